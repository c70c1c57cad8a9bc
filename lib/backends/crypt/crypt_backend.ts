/**
 * @module
 * The `crypt` backend: a {@link Backend} that stores everything in another backend encrypted
 * the way rclone's crypt does, so either program reads what the other wrote. Names go through
 * the {@link NameCipher}; file data is sealed block by block on write and only the blocks a
 * ranged read touches are fetched and opened. Sizes are reported decrypted, computed from the
 * encrypted sizes without reading the files.
 */

import type {
  Backend,
  Change,
  Entry,
  Features,
  ReadOptions,
  Usage,
  WriteOptions,
} from "../backend.ts";
import { cleanPath } from "../_path.ts";
import {
  ExistsError,
  FsError,
  IsDirectoryError,
  NotDirectoryError,
  NotEmptyError,
  NotFoundError,
  NotSupportedError,
} from "../../errors.ts";
import { log } from "../../util/log.ts";
import type { CryptCipher } from "./crypt_cipher.ts";
import { parseHeader, randomNonce } from "./data_cipher.ts";
import { decryptedSize, encryptedSize, FILE_HEADER_SIZE, underlyingRange } from "./data_format.ts";
import { decryptStream } from "./decrypt_stream.ts";
import { encryptStream } from "./encrypt_stream.ts";
import { FullReader } from "./_full_reader.ts";
import { UndecryptableNameError } from "./name_cipher.ts";
import { readAll } from "../../util/read_all.ts";

/** Settings of a {@link CryptBackend}. */
export interface CryptBackendOptions {
  /** The backend holding the encrypted tree (already rooted at the encrypted root). */
  wrapped: Backend;
  /** The cipher built from the passwords and name settings. */
  cipher: CryptCipher;
  /** Display name, e.g. `secret:` (no secrets). */
  name: string;
  /** The plaintext root the backend was created on. */
  root: string;
  /** Store file data in clear (names are still encrypted). */
  noDataEncryption?: boolean;
  /** Fail a listing that meets an undecryptable name instead of skipping it. */
  strictNames?: boolean;
  /** Log (INFO) how each listed name encrypts. */
  showMapping?: boolean;
  /** Pass blocks that fail to authenticate as zeros (data recovery only). */
  passBadBlocks?: boolean;
}

/** Rethrows a wrapped backend's path error naming the plaintext path instead. */
function translate(err: unknown, path: string): never {
  const opts = { cause: err };
  if (err instanceof NotFoundError) throw new NotFoundError(path, opts);
  if (err instanceof ExistsError) throw new ExistsError(path, opts);
  if (err instanceof NotEmptyError) throw new NotEmptyError(path, opts);
  if (err instanceof IsDirectoryError) throw new IsDirectoryError(path, opts);
  if (err instanceof NotDirectoryError) throw new NotDirectoryError(path, opts);
  throw err;
}

/** Joins a directory path and a name. */
function join(dir: string, name: string): string {
  return dir === "" ? name : `${dir}/${name}`;
}

/** A remote encrypted with rclone's crypt format on top of another backend. */
export class CryptBackend implements Backend {
  /** Always `crypt`. */
  readonly type = "crypt";
  /** Display name. */
  readonly name: string;
  /** The plaintext root as given. */
  readonly root: string;
  /** The wrapped backend's features, without hashes; case-insensitive only with names off. */
  readonly features: Features;
  readonly #wrapped: Backend;
  readonly #cipher: CryptCipher;
  readonly #noData: boolean;
  readonly #strict: boolean;
  readonly #showMapping: boolean;
  readonly #passBadBlocks: boolean;

  /** Wraps `opts.wrapped`. */
  constructor(opts: CryptBackendOptions) {
    this.#wrapped = opts.wrapped;
    this.#cipher = opts.cipher;
    this.name = opts.name;
    this.root = opts.root;
    this.#noData = opts.noDataEncryption ?? false;
    this.#strict = opts.strictNames ?? false;
    this.#showMapping = opts.showMapping ?? false;
    this.#passBadBlocks = opts.passBadBlocks ?? false;
    const w = opts.wrapped.features;
    this.features = {
      ...w,
      move: w.move && typeof opts.wrapped.move === "function",
      moveDir: w.moveDir && typeof opts.wrapped.moveDir === "function",
      setModTime: w.setModTime && typeof opts.wrapped.setModTime === "function",
      about: w.about && typeof opts.wrapped.about === "function",
      changeNotify: w.changeNotify && typeof opts.wrapped.watch === "function",
      hashes: [],
      caseInsensitive: opts.cipher.names.mode === "off" && w.caseInsensitive,
    };
    // Optional methods exist only when the wrapped backend has them (see `Backend`).
    const self = this as Partial<Backend>;
    if (!this.features.move) self.move = undefined;
    if (!this.features.moveDir) self.moveDir = undefined;
    if (!this.features.setModTime) self.setModTime = undefined;
    if (!this.features.about) self.about = undefined;
    if (!this.features.changeNotify) self.watch = undefined;
  }

  /** The backend holding the encrypted data. */
  get wrapped(): Backend {
    return this.#wrapped;
  }

  /** The encrypted path of a file (relative to the wrapped backend's root). */
  encryptFileName(path: string): string {
    return this.#cipher.names.encryptFileName(cleanPath(path));
  }

  /** The encrypted path of a directory. */
  encryptDirName(path: string): string {
    return this.#cipher.names.encryptDirName(cleanPath(path));
  }

  /** The plaintext size of an object of the wrapped backend. */
  #plainSize(entry: Entry): number {
    if (entry.isDir || this.#noData) return entry.size;
    const size = decryptedSize(entry.size);
    if (size === undefined) {
      log.debug(`${this.name}: ${entry.path}: bad size for decrypt`);
      return 0;
    }
    return size;
  }

  #plainEntry(entry: Entry, path: string): Entry {
    const out: Entry = {
      path,
      isDir: entry.isDir,
      size: entry.isDir ? 0 : this.#plainSize(entry),
      mtimeMs: entry.mtimeMs,
    };
    if (entry.sizeUnknown) out.sizeUnknown = true;
    return out;
  }

  /** Whether `path` (plaintext, clean) is a directory in the wrapped backend. */
  async #isDir(path: string): Promise<boolean> {
    try {
      return (await this.#wrapped.stat(this.#cipher.names.encryptDirName(path))).isDir;
    } catch (err) {
      if (err instanceof NotFoundError || err instanceof NotDirectoryError) return false;
      throw err;
    }
  }

  /**
   * When files and directories encrypt to different names (names `off`, or directory names in
   * clear), the wrapped backend cannot see that a path runs through a file: `f/x` would create a
   * directory `f` beside the file `f.bin`. This walks the ancestors of `clean` and throws
   * NotDirectoryError when one of them is a file.
   */
  async #checkAncestors(clean: string): Promise<void> {
    const names = this.#cipher.names;
    const segs = clean.split("/");
    for (let i = 1; i < segs.length; i++) {
      const p = segs.slice(0, i).join("/");
      if (names.encryptFileName(p) === names.encryptDirName(p)) continue;
      if (await this.#isDir(p)) continue;
      if (await this.#isFile(p)) throw new NotDirectoryError(clean);
      return; // nothing exists from here down
    }
  }

  /** Whether `path` (plaintext, clean) is a file in the wrapped backend. */
  async #isFile(path: string): Promise<boolean> {
    try {
      return !(await this.#wrapped.stat(this.#cipher.names.encryptFileName(path))).isDir;
    } catch (err) {
      if (err instanceof NotFoundError || err instanceof NotDirectoryError) return false;
      throw err;
    }
  }

  /** Maps an error of a directory operation to the plaintext path (a file there: ENOTDIR). */
  async #dirError(err: unknown, clean: string): Promise<never> {
    const names = this.#cipher.names;
    if (
      err instanceof NotFoundError && clean !== "" &&
      names.encryptFileName(clean) !== names.encryptDirName(clean) && await this.#isFile(clean)
    ) {
      throw new NotDirectoryError(clean, { cause: err });
    }
    translate(err, clean);
  }

  /** Lists a directory, decrypting names; undecryptable names are skipped (or fail if strict). */
  async list(dir: string): Promise<Entry[]> {
    const clean = cleanPath(dir);
    let entries: Entry[];
    try {
      entries = await this.#wrapped.list(this.#cipher.names.encryptDirName(clean));
    } catch (err) {
      return await this.#dirError(err, clean);
    }
    const out: Entry[] = [];
    for (const e of entries) {
      const leaf = e.path.slice(e.path.lastIndexOf("/") + 1);
      let plain: string;
      try {
        plain = e.isDir
          ? this.#cipher.names.decryptDirName(leaf)
          : this.#cipher.names.decryptFileName(leaf);
      } catch (err) {
        if (!(err instanceof UndecryptableNameError)) throw err;
        const kind = e.isDir ? "dir" : "file";
        if (this.#strict) {
          throw new FsError(`${e.path}: undecryptable ${kind} name detected: ${err.message}`);
        }
        log.notice(`${this.name}: ${e.path}: Skipping undecryptable ${kind} name: ${err.message}`);
        continue;
      }
      const path = join(clean, plain);
      if (this.#showMapping) log.info(`${path}: Encrypts to ${JSON.stringify(e.path)}`);
      out.push(this.#plainEntry(e, path));
    }
    return out;
  }

  /** Stats a file or directory. */
  async stat(path: string): Promise<Entry> {
    const clean = cleanPath(path);
    const names = this.#cipher.names;
    if (clean === "") {
      try {
        return this.#plainEntry(await this.#wrapped.stat(""), "");
      } catch (err) {
        translate(err, clean);
      }
    }
    const encFile = names.encryptFileName(clean);
    const encDir = names.encryptDirName(clean);
    try {
      const e = await this.#wrapped.stat(encFile);
      if (!e.isDir || encFile === encDir) return this.#plainEntry(e, clean);
    } catch (err) {
      if (!(err instanceof NotFoundError) || encFile === encDir) translate(err, clean);
    }
    try {
      const e = await this.#wrapped.stat(encDir);
      if (e.isDir) return this.#plainEntry(e, clean);
    } catch (err) {
      translate(err, clean);
    }
    throw new NotFoundError(clean);
  }

  /** Maps an error of reading/removing a file's encrypted object to the plaintext path. */
  async #fileError(err: unknown, clean: string): Promise<never> {
    if (err instanceof NotFoundError && await this.#isDir(clean)) {
      throw new IsDirectoryError(clean, { cause: err });
    }
    translate(err, clean);
  }

  /** Reads a byte range, fetching and opening only the blocks it touches. */
  async read(path: string, options: ReadOptions = {}): Promise<ReadableStream<Uint8Array>> {
    const clean = cleanPath(path);
    const enc = this.#cipher.names.encryptFileName(clean);
    if (this.#noData) {
      try {
        return await this.#wrapped.read(enc, options);
      } catch (err) {
        return await this.#fileError(err, clean);
      }
    }
    const offset = options.offset ?? 0;
    const length = options.length;
    const signal = options.signal;
    try {
      const range = underlyingRange(offset, length);
      let input: FullReader;
      let nonce: Uint8Array;
      if (range.firstBlock === 0) {
        // One request for the header and the blocks.
        const stream = await this.#wrapped.read(enc, {
          offset: 0,
          length: range.length === undefined ? undefined : FILE_HEADER_SIZE + range.length,
          signal,
        });
        input = new FullReader(stream);
        const header = new Uint8Array(FILE_HEADER_SIZE);
        const got = await input.fill(header);
        try {
          nonce = parseHeader(header.subarray(0, got));
        } catch (err) {
          await input.cancel(err);
          throw err;
        }
      } else {
        // The header and the blocks are asked for at once (one round trip on a remote).
        const [header, blocks] = await Promise.allSettled([
          this.#wrapped.read(enc, { offset: 0, length: FILE_HEADER_SIZE, signal }).then(readAll),
          this.#wrapped.read(enc, { offset: range.offset, length: range.length, signal }),
        ]);
        if (header.status === "rejected" || blocks.status === "rejected") {
          if (blocks.status === "fulfilled") await blocks.value.cancel().catch(() => {});
          throw header.status === "rejected"
            ? header.reason
            : (blocks as PromiseRejectedResult).reason;
        }
        input = new FullReader(blocks.value);
        try {
          nonce = parseHeader(header.value);
        } catch (err) {
          await input.cancel(err);
          throw err;
        }
      }
      if (length === 0) {
        await input.cancel();
        return new ReadableStream({ start: (c) => c.close() });
      }
      return decryptStream(input, {
        cipher: this.#cipher.data,
        headerNonce: nonce,
        firstBlock: range.firstBlock,
        discard: range.discard,
        limit: length,
        passBadBlocks: this.#passBadBlocks,
        onBadBlock: (block) =>
          log.error(`${this.name}: ${clean}: crypt: ignoring bad block ${block}`),
      });
    } catch (err) {
      return await this.#fileError(err, clean);
    }
  }

  /** Encrypts a stream into the wrapped backend, block by block. */
  async write(
    path: string,
    data: ReadableStream<Uint8Array>,
    options: WriteOptions = {},
  ): Promise<Entry> {
    const clean = cleanPath(path);
    const names = this.#cipher.names;
    const enc = names.encryptFileName(clean);
    if (enc !== names.encryptDirName(clean)) {
      try {
        if (await this.#isDir(clean)) throw new IsDirectoryError(clean);
        await this.#checkAncestors(clean);
      } catch (err) {
        await data.cancel().catch(() => {});
        throw err;
      }
    }
    const body = this.#noData ? data : encryptStream(data, this.#cipher.data, randomNonce());
    const opts: WriteOptions = { ...options };
    if (options.size !== undefined && !this.#noData) opts.size = encryptedSize(options.size);
    try {
      return this.#plainEntry(await this.#wrapped.write(enc, body, opts), clean);
    } catch (err) {
      translate(err, clean);
    }
  }

  /** Creates a directory (and missing parents). */
  async mkdir(path: string): Promise<void> {
    const clean = cleanPath(path);
    const names = this.#cipher.names;
    const enc = names.encryptDirName(clean);
    const encFile = names.encryptFileName(clean);
    if (clean !== "" && encFile !== enc) {
      // Names differ for files and dirs: refuse a dir where a file of that name lives.
      await this.#checkAncestors(clean);
      let isFile = false;
      try {
        isFile = !(await this.#wrapped.stat(encFile)).isDir;
      } catch (err) {
        if (!(err instanceof NotFoundError || err instanceof NotDirectoryError)) throw err;
      }
      if (isFile) throw new ExistsError(clean);
    }
    try {
      await this.#wrapped.mkdir(enc);
    } catch (err) {
      translate(err, clean);
    }
  }

  /** Removes an empty directory. */
  async rmdir(path: string): Promise<void> {
    const clean = cleanPath(path);
    try {
      await this.#wrapped.rmdir(this.#cipher.names.encryptDirName(clean));
    } catch (err) {
      await this.#dirError(err, clean);
    }
  }

  /** Removes a file. */
  async remove(path: string): Promise<void> {
    const clean = cleanPath(path);
    try {
      await this.#wrapped.remove(this.#cipher.names.encryptFileName(clean));
    } catch (err) {
      await this.#fileError(err, clean);
    }
  }

  /** Server-side move of a file (when the wrapped backend can). */
  async move(from: string, to: string): Promise<Entry> {
    const w = this.#wrapped;
    if (!this.features.move || !w.move) throw new NotSupportedError(`move on ${this.name}`);
    const src = cleanPath(from);
    const dst = cleanPath(to);
    const names = this.#cipher.names;
    if (names.encryptFileName(dst) !== names.encryptDirName(dst)) {
      if (await this.#isDir(dst)) throw new IsDirectoryError(dst);
      await this.#checkAncestors(dst);
    }
    try {
      return this.#plainEntry(
        await w.move(names.encryptFileName(src), names.encryptFileName(dst)),
        dst,
      );
    } catch (err) {
      // A missing source names the source; anything else (e.g. a missing parent) the target.
      const srcExists = await this.stat(src).then(() => true, () => false);
      translate(err, srcExists ? dst : src);
    }
  }

  /** Server-side move of a directory (when the wrapped backend can). */
  async moveDir(from: string, to: string): Promise<void> {
    const w = this.#wrapped;
    if (!this.features.moveDir || !w.moveDir) {
      throw new NotSupportedError(`moveDir on ${this.name}`);
    }
    const src = cleanPath(from);
    const dst = cleanPath(to);
    const names = this.#cipher.names;
    try {
      await w.moveDir(names.encryptDirName(src), names.encryptDirName(dst));
    } catch (err) {
      if (err instanceof ExistsError) translate(err, dst);
      await this.#dirError(err, src);
    }
  }

  /** Sets a file's modification time (when the wrapped backend can). */
  async setModTime(path: string, mtimeMs: number): Promise<void> {
    const w = this.#wrapped;
    if (!this.features.setModTime || !w.setModTime) {
      throw new NotSupportedError(`setModTime on ${this.name}`);
    }
    const clean = cleanPath(path);
    try {
      await w.setModTime(this.#cipher.names.encryptFileName(clean), mtimeMs);
    } catch (err) {
      await this.#fileError(err, clean);
    }
  }

  /** The wrapped backend's usage (sizes are of the encrypted data). */
  async about(): Promise<Usage> {
    const w = this.#wrapped;
    if (!this.features.about || !w.about) throw new NotSupportedError(`about on ${this.name}`);
    return await w.about();
  }

  /** Watches the wrapped backend and reports decrypted paths (undecryptable ones dropped). */
  watch(onChange: (change: Change) => void, intervalMs: number): () => void {
    const w = this.#wrapped;
    if (!this.features.changeNotify || !w.watch) {
      throw new NotSupportedError(`watch on ${this.name}`);
    }
    const names = this.#cipher.names;
    return w.watch((change) => {
      const attempts = change.kind === "dir"
        ? [names.decryptDirName.bind(names)]
        : change.kind === "file"
        ? [names.decryptFileName.bind(names)]
        : [names.decryptFileName.bind(names), names.decryptDirName.bind(names)];
      for (const decrypt of attempts) {
        try {
          onChange({ path: decrypt(change.path), kind: change.kind });
          return;
        } catch (err) {
          if (!(err instanceof UndecryptableNameError)) throw err;
        }
      }
      log.debug(`${this.name}: change notify: unable to decrypt ${JSON.stringify(change.path)}`);
    }, intervalMs);
  }

  /** Closes the wrapped backend. */
  async close(): Promise<void> {
    await this.#wrapped.close?.();
  }
}

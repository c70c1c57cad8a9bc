/**
 * @module
 * The `local` backend: a directory tree on this machine, through Deno's file system APIs.
 * Reads stream a byte range in bounded chunks; writes stream into a hidden temporary file in
 * the destination directory and rename it over the target, so readers see the old or the new
 * file, never a partial one. Symlinks follow rclone: skipped by default, followed with
 * `copy_links`, shown as `<name>.rclonelink` files holding the target with `links`.
 * Metadata calls on files in directories of local-disk file systems run synchronously (see
 * `_meta_calls.ts` for why and when that is safe); directories always use asynchronous calls.
 * Listings read the regular files of such directories with `statx` relative to the directory
 * (`_dir_stat.ts`).
 */

import { resolvePath } from "../../util/os_path.ts";
import {
  type Backend,
  type Entry,
  type Features,
  type HashType,
  NO_FEATURES,
  type ReadOptions,
  type Usage,
  type WriteOptions,
} from "../backend.ts";
import type { OptionValue } from "../../config/option_schema.ts";
import {
  Errno,
  ExistsError,
  FsError,
  InvalidError,
  IsDirectoryError,
  NotDirectoryError,
  NotFoundError,
} from "../../errors.ts";
import { log } from "../../util/log.ts";
import { cleanPath, joinPath, parentOf } from "../_path.ts";
import { hashStream } from "../_hash.ts";
import { fileRangeStream } from "../_range_stream.ts";
import { fromDenoError, fsCall } from "./_errors.ts";
import { DirStat, DT_DIR, DT_LNK, DT_REG, type FileStats, fileStats } from "./_dir_stat.ts";
import { ENOENT, localLibc, lstatMode } from "./_libc.ts";
import { ASYNC_CALLS, MetaCallGate, type MetaCalls } from "./_meta_calls.ts";

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;

/** Suffix of the files that stand for symlinks when the `links` option is on. */
export const LINK_SUFFIX = ".rclonelink";

/** Name pattern of the temporary files of unfinished writes; they never show in listings. */
export const TEMP_NAME_RE = /^\.denoclone-[0-9a-f]{16}\.partial$/;

/** Longest symlink target accepted when writing a `.rclonelink` file. */
const MAX_LINK_BYTES = 64 * 1024;

/** How many `lstat` calls a listing runs at once. */
const LIST_CONCURRENCY = 32;

/** Options of {@link LocalBackend}, keyed by rclone's option names. */
export interface LocalBackendOptions {
  /** The root directory, absolute or relative to the working directory. */
  root: string;
  /** Display name (default `:local:<root>`). */
  name?: string;
  /** Resolved values of `LOCAL_OPTIONS`; missing keys take their defaults. */
  options?: Record<string, OptionValue>;
  /**
   * Always make asynchronous metadata calls (default false: synchronous ones where
   * `_meta_calls.ts` finds them safe). For tests of the asynchronous path.
   */
  asyncMetadata?: boolean;
}

/** What a backend path is on disk. */
interface Resolved {
  /** The absolute path of the object on disk (for a translated link: the symlink). */
  abs: string;
  /** Its file info (followed for `copy_links`). */
  info: Deno.FileInfo;
  /** The link target when the path is a translated `.rclonelink` file. */
  link?: string;
}

function randomHex(bytes: number): string {
  const b = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

async function writeAll(file: Deno.FsFile, chunk: Uint8Array): Promise<void> {
  let off = 0;
  while (off < chunk.length) off += await file.write(chunk.subarray(off));
}

/**
 * Chunks up to this size are written synchronously into a file on a local disk (see
 * `_meta_calls.ts`): copying them into the page cache takes microseconds, while an asynchronous
 * write costs a thread-pool round trip (and Deno duplicates and closes the descriptor for it).
 */
const SYNC_WRITE_MAX = 64 * 1024;

function writeAllSync(file: Deno.FsFile, chunk: Uint8Array): void {
  let off = 0;
  while (off < chunk.length) off += file.writeSync(chunk.subarray(off));
}

/** A local directory tree as a {@link Backend}. */
export class LocalBackend implements Backend {
  /** Always `local`. */
  readonly type = "local";
  /** Display name. */
  readonly name: string;
  /** The root as given. */
  readonly root: string;
  /** Capabilities: move, moveDir, setModTime, about and md5/sha1/sha256. */
  readonly features: Features;
  readonly #rootAbs: string;
  readonly #copyLinks: boolean;
  readonly #links: boolean;
  readonly #skipLinks: boolean;
  readonly #oneFileSystem: boolean;
  readonly #noSetModTime: boolean;
  readonly #nfc: boolean;
  #rootDev: number | undefined;
  readonly #gate: MetaCallGate;

  /** Creates a local backend on `root`; the directory need not exist yet. */
  constructor(opts: LocalBackendOptions) {
    const o = opts.options ?? {};
    const flag = (k: string) => o[k] === true;
    if (flag("copy_links") && flag("links")) {
      throw new InvalidError(`local: can't use "copy_links" and "links" together`);
    }
    this.root = opts.root;
    this.#rootAbs = resolvePath(Deno.cwd(), opts.root === "" ? "." : opts.root);
    this.name = opts.name ?? `:local:${opts.root}`;
    this.#copyLinks = flag("copy_links");
    this.#links = flag("links");
    this.#skipLinks = flag("skip_links");
    this.#oneFileSystem = flag("one_file_system");
    this.#noSetModTime = flag("no_set_modtime");
    this.#nfc = flag("unicode_normalization");
    this.#gate = new MetaCallGate({ forceAsync: opts.asyncMetadata === true });
    localLibc(); // loaded now (once per process), not by the first listing a user waits for
    this.features = {
      ...NO_FEATURES,
      move: true,
      moveDir: true,
      setModTime: !this.#noSetModTime,
      about: true,
      hashes: ["md5", "sha1", "sha256"],
      precisionMs: this.#noSetModTime ? Infinity : 1,
      canHaveEmptyDirs: true,
      caseInsensitive: flag("case_insensitive") && !flag("case_sensitive"),
    };
  }

  /** The absolute root directory. */
  get rootPath(): string {
    return this.#rootAbs;
  }

  #abs(rel: string): string {
    return rel === "" ? this.#rootAbs : `${this.#rootAbs}/${rel}`;
  }

  #entry(rel: string, info: Deno.FileInfo, linkTarget?: string): Entry {
    const isDir = linkTarget === undefined && info.isDirectory;
    return {
      path: rel,
      isDir,
      size: isDir ? 0 : linkTarget !== undefined ? utf8Length(linkTarget) : info.size,
      mtimeMs: info.mtime?.getTime() ?? 0,
    };
  }

  #skipped(rel: string): void {
    if (!this.#skipLinks) {
      log.notice(`${rel}: Can't follow symlink without -L/--copy-links`);
    }
  }

  /**
   * Finds what `rel` is on disk, applying the symlink options; throws NotFoundError. `calls`
   * may be the synchronous set only when `rel` is known to be a file (see `_meta_calls.ts`).
   */
  async #resolve(rel: string, calls: MetaCalls = ASYNC_CALLS): Promise<Resolved> {
    if (this.#links && rel.endsWith(LINK_SUFFIX)) {
      const abs = this.#abs(rel.slice(0, -LINK_SUFFIX.length));
      try {
        const info = await calls.lstat(abs);
        if (info.isSymlink) return { abs, info, link: await calls.readLink(abs) };
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory)) {
          throw fromDenoError(err, rel);
        }
      }
    }
    const abs = this.#abs(rel);
    let info = await fsCall(rel, async () => rel === "" ? Deno.stat(abs) : await calls.lstat(abs));
    if (info.isSymlink) {
      if (!this.#copyLinks) {
        if (!this.#links) this.#skipped(rel);
        throw new NotFoundError(rel);
      }
      info = await fsCall(rel, () => Deno.stat(abs));
    }
    // Like rclone, sockets, FIFOs and devices are not storable objects.
    if (!isStorable(info)) throw new NotFoundError(rel);
    return { abs, info };
  }

  /** Where a new object at `rel` goes on disk, and whether it is a translated link. */
  #target(rel: string): { abs: string; link: boolean } {
    if (this.#links && rel.endsWith(LINK_SUFFIX) && rel.length > LINK_SUFFIX.length) {
      return { abs: this.#abs(rel.slice(0, -LINK_SUFFIX.length)), link: true };
    }
    return { abs: this.#abs(rel), link: false };
  }

  async #mkdirs(rel: string): Promise<void> {
    const abs = this.#abs(rel);
    try {
      await Deno.mkdir(abs, { recursive: true });
    } catch (err) {
      if (err instanceof Deno.errors.AlreadyExists) {
        const info = await fsCall(rel, () => Deno.stat(abs));
        if (info.isDirectory) return;
        throw new ExistsError(rel, { cause: err });
      }
      throw fromDenoError(err, rel);
    }
  }

  async #rootDevice(): Promise<number> {
    if (this.#rootDev === undefined) {
      this.#rootDev = (await fsCall("", () => Deno.stat(this.#rootAbs))).dev;
    }
    return this.#rootDev;
  }

  /** Lists a directory's children (temporary files of unfinished writes left out). */
  async list(dir: string): Promise<Entry[]> {
    const rel = cleanPath(dir);
    const abs = this.#abs(rel);
    const calls = await this.#gate.forDir(abs);
    // Files of a local-disk directory are stat'ed synchronously right here; directories (maybe
    // mountpoints) and everything of other file systems go through the asynchronous workers.
    // There, `DirStat.list` reads the directory and stats its regular files in one pass
    // (statx relative to the directory; a big cold directory on every core, `_dir_stat.ts`).
    const ds = calls.sync ? DirStat.open(abs) : undefined;
    let names: string[];
    let types: number[];
    let stats: FileStats | undefined;
    try {
      const listing = ds?.list();
      if (listing) ({ names, types, stats } = listing);
      else {
        names = [];
        types = [];
        await fsCall(rel, async () => {
          const keep = (d: Deno.DirEntry) => {
            names.push(d.name);
            types.push(d.isFile ? DT_REG : d.isDirectory ? DT_DIR : d.isSymlink ? DT_LNK : 0);
          };
          if (calls.sync) { for (const d of Deno.readDirSync(abs)) keep(d); }
          else for await (const d of Deno.readDir(abs)) keep(d);
        });
        if (ds) {
          stats = fileStats(names.length);
          const files: number[] = [];
          for (let i = 0; i < names.length; i++) if (types[i] === DT_REG) files.push(i);
          ds.files(names, files, stats);
        }
      }
    } finally {
      ds?.close();
    }
    const rootDev = this.#oneFileSystem ? await this.#rootDevice() : 0;
    const out: (Entry | undefined)[] = new Array(names.length);
    const slow: number[] = [];
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      if (TEMP_NAME_RE.test(name)) continue;
      let e: Entry | undefined | null = null;
      if (stats?.ok[i]) e = this.#fileEntry(rel, name, stats.sizes[i]!, stats.mtimesMs[i]!);
      else if (calls.sync && types[i] !== DT_DIR) e = this.#listOneSync(rel, abs, name, rootDev);
      if (e === null) slow.push(i);
      else out[i] = e;
    }
    let next = 0;
    const worker = async () => {
      while (next < slow.length) {
        const i = slow[next++]!;
        out[i] = await this.#listOne(rel, abs, names[i]!, rootDev);
      }
    };
    await Promise.all(Array.from({ length: Math.min(LIST_CONCURRENCY, slow.length) }, worker));
    return out.filter((e): e is Entry => e !== undefined);
  }

  /** The listing entry of `name` (undefined if skipped or vanished), with async calls. */
  async #listOne(
    dirRel: string,
    dirAbs: string,
    name: string,
    rootDev: number,
  ): Promise<Entry | undefined> {
    const abs = `${dirAbs}/${name}`;
    try {
      let info = await Deno.lstat(abs);
      if (info.isSymlink) {
        if (this.#links) return this.#listed(dirRel, name, info, rootDev, await Deno.readLink(abs));
        if (!this.#copyLinks) return this.#listed(dirRel, name, info, rootDev);
        info = await Deno.stat(abs);
      }
      return this.#listed(dirRel, name, info, rootDev);
    } catch (err) {
      // Vanished since readdir, or a dangling link followed with copy_links.
      if (err instanceof Deno.errors.NotFound) return undefined;
      throw fromDenoError(err, joinPath(dirRel, name));
    }
  }

  /** The listing entry of the regular file `name` with the figures `DirStat` read. */
  #fileEntry(dirRel: string, name: string, size: number, mtimeMs: number): Entry {
    const shown = this.#nfc ? name.normalize("NFC") : name;
    const path = dirRel === "" ? shown : `${dirRel}/${shown}`;
    return { path, isDir: false, size, mtimeMs };
  }

  /**
   * {@link #listOne} with synchronous calls, for files of a local-disk directory (see
   * `_meta_calls.ts`); null when the entry needs the asynchronous path (a link to follow).
   */
  #listOneSync(
    dirRel: string,
    dirAbs: string,
    name: string,
    rootDev: number,
  ): Entry | undefined | null {
    const abs = `${dirAbs}/${name}`;
    try {
      const info = Deno.lstatSync(abs);
      if (info.isSymlink) {
        if (this.#links) return this.#listed(dirRel, name, info, rootDev, Deno.readLinkSync(abs));
        if (this.#copyLinks) return null;
      }
      return this.#listed(dirRel, name, info, rootDev);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return undefined;
      throw fromDenoError(err, joinPath(dirRel, name));
    }
  }

  /**
   * The listing entry for `name` given its (followed, for copy_links) file info; `link` is the
   * target when shown as a `.rclonelink` file. A symlink here is skipped (no -L/--links).
   */
  #listed(
    dirRel: string,
    name: string,
    info: Deno.FileInfo,
    rootDev: number,
    link?: string,
  ): Entry | undefined {
    const shown = this.#nfc ? name.normalize("NFC") : name;
    if (link !== undefined) return this.#entry(joinPath(dirRel, shown + LINK_SUFFIX), info, link);
    if (info.isSymlink) {
      this.#skipped(joinPath(dirRel, name));
      return undefined;
    }
    if (this.#oneFileSystem && info.isDirectory && info.dev !== rootDev) return undefined;
    if (!isStorable(info)) return undefined;
    return this.#entry(joinPath(dirRel, shown), info);
  }

  /** Stats one path. */
  async stat(path: string): Promise<Entry> {
    const rel = cleanPath(path);
    const r = await this.#resolve(rel);
    return this.#entry(rel, r.info, r.link);
  }

  /** Streams a byte range of a file in chunks of at most 1 MiB. */
  async read(path: string, options: ReadOptions = {}): Promise<ReadableStream<Uint8Array>> {
    const rel = cleanPath(path);
    const offset = options.offset ?? 0;
    const length = options.length;
    if (offset < 0 || (length !== undefined && length < 0)) {
      throw new InvalidError(`invalid range for ${JSON.stringify(rel)}: negative offset or length`);
    }
    options.signal?.throwIfAborted();
    // a file in a local-disk directory is resolved and opened with synchronous calls
    const calls = rel === "" ? ASYNC_CALLS : await this.#gate.forDir(this.#abs(parentOf(rel)));
    const r = await this.#resolve(rel, calls);
    if (r.link !== undefined) {
      const bytes = new TextEncoder().encode(r.link);
      const end = length === undefined ? bytes.length : Math.min(bytes.length, offset + length);
      const part = bytes.slice(Math.min(offset, bytes.length), end);
      return new ReadableStream({
        start(c) {
          if (part.length) c.enqueue(part);
          c.close();
        },
      });
    }
    if (r.info.isDirectory) throw new IsDirectoryError(rel);
    // (never a followed symlink: its target may be anywhere)
    const sync = calls.sync && r.info.isFile && !this.#copyLinks;
    const file = await fsCall(
      rel,
      async () =>
        sync ? Deno.openSync(r.abs, { read: true }) : await Deno.open(r.abs, { read: true }),
    );
    // with synchronous calls the seek is done here (lseek never waits), so the stream's first
    // read is its only thread-pool round trip: a random read re-opens at a new offset
    let seekHere = false;
    try {
      const info = sync ? file.statSync() : await file.stat();
      if (info.isDirectory) throw new IsDirectoryError(rel);
      if (sync && offset > 0) {
        file.seekSync(offset, Deno.SeekMode.Start);
        seekHere = true;
      }
    } catch (err) {
      file.close();
      throw fromDenoError(err, rel);
    }
    return fileRangeStream(file, {
      offset: seekHere ? 0 : offset,
      length,
      signal: options.signal,
    });
  }

  /** Streams into a temporary file next to the target, then renames it into place. */
  async write(
    path: string,
    data: ReadableStream<Uint8Array>,
    options: WriteOptions = {},
  ): Promise<Entry> {
    const rel = cleanPath(path);
    if (rel === "") {
      await data.cancel().catch(() => {});
      throw new IsDirectoryError(rel);
    }
    const target = this.#target(rel);
    const dirAbs = target.abs.slice(0, target.abs.lastIndexOf("/"));
    const calls = await this.#gate.forDir(dirAbs);
    let oldMode: number | undefined;
    // a new file's missing name, without an exception, when calls may be synchronous
    const mode = calls.sync ? lstatMode(target.abs) : undefined;
    if (mode !== undefined && (mode >= 0 || mode === -ENOENT)) {
      if ((mode & S_IFMT) === S_IFDIR) {
        await data.cancel().catch(() => {});
        throw new IsDirectoryError(rel);
      }
      if ((mode & S_IFMT) === S_IFREG) oldMode = mode & 0o7777;
    } else {
      try {
        const info = await calls.lstat(target.abs);
        if (info.isDirectory) throw new IsDirectoryError(rel);
        if (info.isFile && info.mode !== null) oldMode = info.mode & 0o7777;
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) {
          await data.cancel().catch(() => {});
          throw fromDenoError(err, rel);
        }
      }
    }
    // A directory the gate stat'ed as a directory exists: no mkdir needed.
    if (!calls.sync || target.link) {
      try {
        await this.#mkdirs(parentOf(rel));
      } catch (err) {
        await data.cancel().catch(() => {});
        throw err instanceof ExistsError ? new NotDirectoryError(rel, { cause: err }) : err;
      }
    }
    const tmp = `${dirAbs}/.denoclone-${randomHex(8)}.partial`;
    if (target.link) {
      await this.#writeLink(rel, tmp, target.abs, data, options);
    } else {
      await this.#writeFile(rel, tmp, target.abs, data, options, oldMode, calls);
    }
    const r = await this.#resolve(rel, calls);
    return this.#entry(rel, r.info, r.link);
  }

  /**
   * Creates the temporary file of a write. With synchronous calls the directory was only seen
   * to exist (up to a second ago): if it is gone, it is made again as the asynchronous path does.
   */
  async #createTmp(rel: string, tmp: string, calls: MetaCalls): Promise<Deno.FsFile> {
    try {
      return await calls.createNew(tmp, 0o666);
    } catch (err) {
      if (!(calls.sync && err instanceof Deno.errors.NotFound)) throw fromDenoError(err, rel);
    }
    await this.#mkdirs(parentOf(rel)).catch((err) => {
      throw err instanceof ExistsError ? new NotDirectoryError(rel, { cause: err }) : err;
    });
    return await fsCall(rel, () => Deno.open(tmp, { write: true, createNew: true, mode: 0o666 }));
  }

  async #writeFile(
    rel: string,
    tmp: string,
    abs: string,
    data: ReadableStream<Uint8Array>,
    options: WriteOptions,
    oldMode: number | undefined,
    calls: MetaCalls,
  ): Promise<void> {
    const signal = options.signal;
    const reader = data.getReader();
    const onAbort = () => {
      reader.cancel(signal?.reason).catch(() => {});
    };
    let file: Deno.FsFile | undefined;
    let done = false;
    try {
      signal?.throwIfAborted();
      signal?.addEventListener("abort", onAbort, { once: true });
      file = await this.#createTmp(rel, tmp, calls);
      let written = 0;
      for (;;) {
        const r = await reader.read();
        signal?.throwIfAborted();
        if (r.done) break;
        if (calls.sync && r.value.length <= SYNC_WRITE_MAX) {
          try {
            writeAllSync(file, r.value);
          } catch (err) {
            throw fromDenoError(err, rel);
          }
        } else await fsCall(rel, () => writeAll(file!, r.value));
        written += r.value.length;
      }
      if (options.size !== undefined && options.size >= 0 && written !== options.size) {
        throw new FsError(
          `write of ${JSON.stringify(rel)}: got ${written} bytes, expected ${options.size}`,
          Errno.EIO,
        );
      }
      file.close();
      file = undefined;
      if (oldMode !== undefined) await fsCall(rel, async () => await calls.chmod(tmp, oldMode));
      if (options.mtimeMs !== undefined && !this.#noSetModTime) {
        const t = new Date(options.mtimeMs);
        await fsCall(rel, async () => await calls.utime(tmp, t));
      }
      await fsCall(rel, async () => await calls.rename(tmp, abs));
      done = true;
    } catch (err) {
      await reader.cancel(err).catch(() => {});
      throw err;
    } finally {
      signal?.removeEventListener("abort", onAbort);
      reader.releaseLock();
      if (file) file.close();
      if (!done) await Deno.remove(tmp).catch(() => {});
    }
  }

  async #writeLink(
    rel: string,
    tmp: string,
    abs: string,
    data: ReadableStream<Uint8Array>,
    options: WriteOptions,
  ): Promise<void> {
    const parts: Uint8Array[] = [];
    let n = 0;
    for await (const chunk of data) {
      options.signal?.throwIfAborted();
      n += chunk.length;
      if (n > MAX_LINK_BYTES) {
        throw new InvalidError(`symlink target in ${JSON.stringify(rel)} is too long`);
      }
      parts.push(chunk);
    }
    options.signal?.throwIfAborted();
    const targetBytes = new Uint8Array(n);
    let off = 0;
    for (const p of parts) {
      targetBytes.set(p, off);
      off += p.length;
    }
    const linkTarget = new TextDecoder().decode(targetBytes);
    try {
      await fsCall(rel, () => Deno.symlink(linkTarget, tmp));
      await fsCall(rel, () => Deno.rename(tmp, abs));
    } catch (err) {
      await Deno.remove(tmp).catch(() => {});
      throw err;
    }
  }

  /** Creates a directory and its parents; ExistsError if a file is in the way. */
  async mkdir(path: string): Promise<void> {
    const rel = cleanPath(path);
    await this.#mkdirs(rel);
  }

  /** Removes an empty directory. */
  async rmdir(path: string): Promise<void> {
    const rel = cleanPath(path);
    const abs = this.#abs(rel);
    const info = await fsCall(rel, () => Deno.lstat(abs));
    if (!info.isDirectory) throw new NotDirectoryError(rel);
    await fsCall(rel, () => Deno.remove(abs));
    this.#gate.forgetTree(abs);
  }

  /** Removes a file (or a translated link). */
  async remove(path: string): Promise<void> {
    const rel = cleanPath(path);
    if (rel === "") throw new IsDirectoryError(rel);
    const calls = await this.#gate.forDir(this.#abs(parentOf(rel)));
    const r = await this.#resolve(rel, calls);
    if (r.link === undefined && r.info.isDirectory) throw new IsDirectoryError(rel);
    await fsCall(rel, async () => await calls.remove(r.abs));
  }

  /** Renames a file, replacing the destination file; parents of `to` are created. */
  async move(from: string, to: string): Promise<Entry> {
    const src = cleanPath(from);
    const dst = cleanPath(to);
    if (src === "") throw new IsDirectoryError(src);
    if (dst === "") throw new IsDirectoryError(dst);
    const r = await this.#resolve(src);
    if (r.link === undefined && r.info.isDirectory) throw new IsDirectoryError(src);
    const target = this.#target(dst);
    await this.#mkdirs(parentOf(dst)).catch((err) => {
      throw err instanceof ExistsError ? new NotDirectoryError(dst, { cause: err }) : err;
    });
    await fsCall(dst, () => Deno.rename(r.abs, target.abs));
    return this.stat(r.link !== undefined && !target.link ? dst + LINK_SUFFIX : dst);
  }

  /** Renames a directory; the destination must not exist. */
  async moveDir(from: string, to: string): Promise<void> {
    const src = cleanPath(from);
    const dst = cleanPath(to);
    if (src === "" || dst === "") {
      throw new InvalidError(`can't move the root directory (${JSON.stringify(src)} → ${dst})`);
    }
    const info = await fsCall(src, () => Deno.lstat(this.#abs(src)));
    if (!info.isDirectory) throw new NotDirectoryError(src);
    if (dst === src || dst.startsWith(src + "/")) {
      throw new InvalidError(`can't move ${JSON.stringify(src)} into itself`);
    }
    try {
      await Deno.lstat(this.#abs(dst));
      throw new ExistsError(dst);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw fromDenoError(err, dst);
    }
    await this.#mkdirs(parentOf(dst)).catch((err) => {
      throw err instanceof ExistsError ? new NotDirectoryError(dst, { cause: err }) : err;
    });
    await fsCall(dst, () => Deno.rename(this.#abs(src), this.#abs(dst)));
    this.#gate.forgetTree(this.#abs(src));
    this.#gate.forgetTree(this.#abs(dst));
  }

  /** Sets the modification (and access) time; a no-op with `no_set_modtime`. */
  async setModTime(path: string, mtimeMs: number): Promise<void> {
    const rel = cleanPath(path);
    const r = await this.#resolve(rel);
    if (this.#noSetModTime || r.link !== undefined) return;
    const t = new Date(mtimeMs);
    await fsCall(rel, () => Deno.utime(r.abs, t, t));
  }

  /** Size, use and free space of the file system holding the root. */
  async about(): Promise<Usage> {
    const { statfs } = await import("node:fs/promises");
    const s = await fsCall("", () => statfs(this.#rootAbs));
    return {
      total: s.bsize * s.blocks,
      used: s.bsize * (s.blocks - s.bfree),
      free: s.bsize * s.bavail,
    };
  }

  /** Hashes a file by streaming it. */
  async hash(path: string, type: HashType): Promise<string> {
    return hashStream(await this.read(path), type);
  }

  /** Nothing to release. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Whether rclone would treat this as an object: a regular file or a directory. */
function isStorable(info: Deno.FileInfo): boolean {
  return info.isFile || info.isDirectory;
}

function utf8Length(s: string): number {
  return new TextEncoder().encode(s).length;
}

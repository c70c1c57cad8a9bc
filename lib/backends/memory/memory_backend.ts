/**
 * @module
 * The `memory` backend: a directory tree held in this process's memory (see
 * `memory_store.ts`). Writes become visible only when their stream ends, replacing any old
 * file at once; readers of the old file keep reading the old content.
 */

import {
  type Backend,
  type Entry,
  type Features,
  type HashType,
  NO_FEATURES,
  type ReadOptions,
  type WriteOptions,
} from "../backend.ts";
import {
  Errno,
  ExistsError,
  FsError,
  InvalidError,
  IsDirectoryError,
  NotDirectoryError,
  NotEmptyError,
  NotFoundError,
} from "../../errors.ts";
import { baseName, cleanPath, joinPath, parentOf } from "../_path.ts";
import { newHasher } from "../_hash.ts";
import {
  BlockBuilder,
  type MemDir,
  type MemFile,
  type MemNode,
  MEMORY_BLOCK_BYTES,
  MemoryStore,
  newDir,
} from "./memory_store.ts";

/** Options of {@link MemoryBackend}. */
export interface MemoryBackendOptions {
  /** Path inside the store that is this backend's root (default `""`). */
  root?: string;
  /** Display name (default `:memory:<root>`). */
  name?: string;
  /** The store to use (default: a fresh, private one). */
  store?: MemoryStore;
}

/** An in-memory tree as a {@link Backend}. */
export class MemoryBackend implements Backend {
  /** Always `memory`. */
  readonly type = "memory";
  /** Display name. */
  readonly name: string;
  /** The root as given. */
  readonly root: string;
  /** Capabilities: move, moveDir, setModTime, md5/sha1/sha256; exact modification times. */
  readonly features: Features = {
    ...NO_FEATURES,
    move: true,
    moveDir: true,
    setModTime: true,
    hashes: ["md5", "sha1", "sha256"],
    precisionMs: 0,
    canHaveEmptyDirs: true,
  };
  readonly #store: MemoryStore;
  readonly #prefix: string;

  /** Creates a memory backend; without `store` it gets a private empty store. */
  constructor(opts: MemoryBackendOptions = {}) {
    this.root = opts.root ?? "";
    this.#prefix = cleanPath(this.root);
    this.name = opts.name ?? `:memory:${this.root}`;
    this.#store = opts.store ?? new MemoryStore();
  }

  #full(rel: string): string {
    return joinPath(this.#prefix, rel);
  }

  /** The node at a backend path, or throws NotFound / NotDirectory naming `rel`. */
  #lookup(rel: string): MemNode {
    let node: MemNode = this.#store.top;
    const full = this.#full(rel);
    if (full === "") return node;
    for (const seg of full.split("/")) {
      if (node.kind !== "dir") throw new NotDirectoryError(rel);
      const next: MemNode | undefined = node.children.get(seg);
      if (!next) throw new NotFoundError(rel);
      node = next;
    }
    return node;
  }

  #lookupFile(rel: string): MemFile {
    const node = this.#lookup(rel);
    if (node.kind === "dir") throw new IsDirectoryError(rel);
    return node;
  }

  /** Finds or creates the directory at `rel` and its parents. */
  #mkdirs(rel: string, errorPath = rel): MemDir {
    let node: MemDir = this.#store.top;
    const full = this.#full(rel);
    if (full === "") return node;
    const segs = full.split("/");
    for (let i = 0; i < segs.length; i++) {
      const seg = segs[i]!;
      const next = node.children.get(seg);
      if (next === undefined) {
        const d = newDir();
        node.children.set(seg, d);
        node.mtimeMs = d.mtimeMs;
        node = d;
      } else if (next.kind === "dir") {
        node = next;
      } else if (i === segs.length - 1 && errorPath === rel) {
        throw new ExistsError(rel);
      } else {
        throw new NotDirectoryError(errorPath);
      }
    }
    return node;
  }

  #entry(rel: string, node: MemNode): Entry {
    if (node.kind === "dir") return { path: rel, isDir: true, size: 0, mtimeMs: node.mtimeMs };
    const e: Entry = { path: rel, isDir: false, size: node.size, mtimeMs: node.mtimeMs };
    if (node.hashes.size) e.hashes = Object.fromEntries(node.hashes);
    return e;
  }

  /** Lists a directory's children. */
  list(dir: string): Promise<Entry[]> {
    return settle(() => {
      const rel = cleanPath(dir);
      const node = this.#lookup(rel);
      if (node.kind !== "dir") throw new NotDirectoryError(rel);
      return [...node.children].map(([name, child]) => this.#entry(joinPath(rel, name), child));
    });
  }

  /** Stats one path. */
  stat(path: string): Promise<Entry> {
    return settle(() => {
      const rel = cleanPath(path);
      return this.#entry(rel, this.#lookup(rel));
    });
  }

  /** Streams a byte range of a file in chunks of at most 1 MiB (copies of the stored bytes). */
  read(path: string, options: ReadOptions = {}): Promise<ReadableStream<Uint8Array>> {
    return settle(() => this.#read(path, options));
  }

  #read(path: string, options: ReadOptions): ReadableStream<Uint8Array> {
    const rel = cleanPath(path);
    const offset = options.offset ?? 0;
    if (offset < 0 || (options.length !== undefined && options.length < 0)) {
      throw new InvalidError(`invalid range for ${JSON.stringify(rel)}: negative offset or length`);
    }
    const signal = options.signal;
    signal?.throwIfAborted();
    const file = this.#lookupFile(rel);
    const end = Math.min(file.size, offset + (options.length ?? Infinity));
    let pos = offset;
    let ctrl: ReadableStreamDefaultController<Uint8Array> | undefined;
    const onAbort = () => {
      try {
        ctrl?.error(signal?.reason);
      } catch {
        // already closed
      }
    };
    return new ReadableStream<Uint8Array>({
      start(c) {
        ctrl = c;
        signal?.addEventListener("abort", onAbort, { once: true });
      },
      pull(c) {
        if (pos >= end) {
          signal?.removeEventListener("abort", onAbort);
          c.close();
          return;
        }
        const bi = Math.floor(pos / MEMORY_BLOCK_BYTES);
        const block = file.blocks[bi]!;
        const from = pos - bi * MEMORY_BLOCK_BYTES;
        const to = Math.min(block.length, from + (end - pos));
        c.enqueue(block.slice(from, to));
        pos += to - from;
      },
      cancel() {
        signal?.removeEventListener("abort", onAbort);
      },
    });
  }

  /** Collects the stream and links the new file in when the stream ends. */
  async write(
    path: string,
    data: ReadableStream<Uint8Array>,
    options: WriteOptions = {},
  ): Promise<Entry> {
    const rel = cleanPath(path);
    const signal = options.signal;
    const reader = data.getReader();
    const onAbort = () => {
      reader.cancel(signal?.reason).catch(() => {});
    };
    const builder = new BlockBuilder();
    try {
      if (rel === "") throw new IsDirectoryError(rel);
      this.#checkWritable(rel);
      signal?.throwIfAborted();
      signal?.addEventListener("abort", onAbort, { once: true });
      for (;;) {
        const r = await reader.read();
        signal?.throwIfAborted();
        if (r.done) break;
        builder.add(r.value);
      }
    } catch (err) {
      await reader.cancel(err).catch(() => {});
      throw err;
    } finally {
      signal?.removeEventListener("abort", onAbort);
      reader.releaseLock();
    }
    if (options.size !== undefined && options.size >= 0 && builder.size !== options.size) {
      throw new FsError(
        `write of ${JSON.stringify(rel)}: got ${builder.size} bytes, expected ${options.size}`,
        Errno.EIO,
      );
    }
    const file: MemFile = {
      kind: "file",
      blocks: builder.finish(),
      size: builder.size,
      mtimeMs: options.mtimeMs ?? Date.now(),
      hashes: new Map(),
    };
    this.#link(rel, file);
    return this.#entry(rel, file);
  }

  /** Throws if a file could not be created at `rel` (a directory there or a file above). */
  #checkWritable(rel: string): void {
    try {
      const node = this.#lookup(rel);
      if (node.kind === "dir") throw new IsDirectoryError(rel);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  }

  /** Puts a file node at `rel`, creating parents, replacing a file there. */
  #link(rel: string, node: MemFile): void {
    const parent = this.#mkdirs(parentOf(rel), rel);
    const name = baseName(rel);
    const old = parent.children.get(name);
    if (old?.kind === "dir") throw new IsDirectoryError(rel);
    parent.children.set(name, node);
    parent.mtimeMs = Date.now();
  }

  /** Creates a directory and its parents; ExistsError if a file is in the way. */
  mkdir(path: string): Promise<void> {
    return settle(() => {
      this.#mkdirs(cleanPath(path));
    });
  }

  /** Removes an empty directory (the store's top directory is never removed). */
  rmdir(path: string): Promise<void> {
    return settle(() => {
      const rel = cleanPath(path);
      const node = this.#lookup(rel);
      if (node.kind !== "dir") throw new NotDirectoryError(rel);
      if (node.children.size) throw new NotEmptyError(rel);
      this.#unlink(rel);
    });
  }

  /** Detaches the node at `rel` from its parent (the store's top directory stays). */
  #unlink(rel: string): void {
    const full = this.#full(rel);
    if (full === "") return;
    let dir: MemNode = this.#store.top;
    const segs = full.split("/");
    const name = segs.pop()!;
    for (const seg of segs) {
      const next: MemNode | undefined = dir.kind === "dir" ? dir.children.get(seg) : undefined;
      if (!next) throw new NotFoundError(rel);
      dir = next;
    }
    if (dir.kind !== "dir") throw new NotDirectoryError(rel);
    dir.children.delete(name);
    dir.mtimeMs = Date.now();
  }

  /** Removes a file. */
  remove(path: string): Promise<void> {
    return settle(() => {
      const rel = cleanPath(path);
      this.#lookupFile(rel);
      this.#unlink(rel);
    });
  }

  /** Moves a file, replacing a file at the destination; parents of `to` are created. */
  move(from: string, to: string): Promise<Entry> {
    return settle(() => this.#move(from, to));
  }

  #move(from: string, to: string): Entry {
    const src = cleanPath(from);
    const dst = cleanPath(to);
    const file = this.#lookupFile(src);
    if (dst === "") throw new IsDirectoryError(dst);
    this.#checkWritable(dst);
    if (src !== dst) {
      this.#link(dst, file);
      this.#unlink(src);
    }
    return this.#entry(dst, file);
  }

  /** Moves a directory; the destination must not exist. */
  moveDir(from: string, to: string): Promise<void> {
    return settle(() => this.#moveDir(from, to));
  }

  #moveDir(from: string, to: string): void {
    const src = cleanPath(from);
    const dst = cleanPath(to);
    if (src === "" || dst === "") {
      throw new InvalidError(`can't move the root directory (${JSON.stringify(src)} → ${dst})`);
    }
    const node = this.#lookup(src);
    if (node.kind !== "dir") throw new NotDirectoryError(src);
    if (dst === src || dst.startsWith(src + "/")) {
      throw new InvalidError(`can't move ${JSON.stringify(src)} into itself`);
    }
    let exists = true;
    try {
      this.#lookup(dst);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      exists = false;
    }
    if (exists) throw new ExistsError(dst);
    const parent = this.#mkdirs(parentOf(dst), dst);
    this.#unlink(src);
    parent.children.set(baseName(dst), node);
    parent.mtimeMs = Date.now();
  }

  /** Sets the modification time of a file or directory. */
  setModTime(path: string, mtimeMs: number): Promise<void> {
    return settle(() => {
      const rel = cleanPath(path);
      this.#lookup(rel).mtimeMs = mtimeMs;
    });
  }

  /** Computes a hash once per file content and caches it. */
  async hash(path: string, type: HashType): Promise<string> {
    const file = await settle(() => this.#lookupFile(cleanPath(path)));
    let h = file.hashes.get(type);
    if (h === undefined) {
      const hasher = await newHasher(type);
      for (const b of file.blocks) hasher.update(b);
      h = hasher.digest();
      file.hashes.set(type, h);
    }
    return h;
  }

  /** Nothing to release; the files stay in the store. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Runs a synchronous operation, turning a throw into a rejected promise. */
function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err);
  }
}

/**
 * @module
 * A wrapper around a real backend for cache tests: it counts what is read (calls, ranges and
 * bytes actually consumed) and written, and fails or slows writes on demand, as a remote that
 * goes away and comes back would. Everything else passes through unchanged.
 */

import type {
  Backend,
  Entry,
  Features,
  HashType,
  ReadOptions,
  Usage,
  WriteOptions,
} from "../../lib/backends/backend.ts";
import { Errno, FsError } from "../../lib/errors.ts";

/** One ranged read as requested. */
export interface ReadCall {
  /** Path read. */
  path: string;
  /** First byte requested. */
  offset: number;
  /** Bytes requested (undefined = to the end). */
  length?: number;
}

/** A backend wrapper that counts reads and writes and can make writes fail. */
export class FaultyBackend implements Backend {
  /** Type of the wrapped backend. */
  readonly type: string;
  /** Name of the wrapped backend (the cache directory is keyed by it). */
  readonly name: string;
  /** Root of the wrapped backend. */
  readonly root: string;
  /** Features of the wrapped backend. */
  readonly features: Features;
  /** While true every write fails with EIO (the remote is "down"). */
  failWrites = false;
  /** Extra delay before each write starts, in ms (abortable). */
  writeDelayMs = 0;
  /** Delay after a write landed before it returns, in ms (ignores aborts: it already landed). */
  landDelayMs = 0;
  /** Bytes consumed from read streams. */
  bytesRead = 0;
  /** Every read request. */
  readonly reads: ReadCall[] = [];
  /** Paths of successful writes, in order. */
  readonly writes: string[] = [];
  /** Number of writes that failed on purpose. */
  failedWrites = 0;
  readonly #inner: Backend;

  /** Wraps `inner`. */
  constructor(inner: Backend) {
    this.#inner = inner;
    this.type = inner.type;
    this.name = inner.name;
    this.root = inner.root;
    this.features = inner.features;
  }

  /** Forwards to the wrapped backend. */
  list(dir: string): Promise<Entry[]> {
    return this.#inner.list(dir);
  }

  /** Forwards to the wrapped backend. */
  stat(path: string): Promise<Entry> {
    return this.#inner.stat(path);
  }

  /** Reads through the wrapped backend, counting the bytes the caller actually consumes. */
  async read(path: string, options?: ReadOptions): Promise<ReadableStream<Uint8Array>> {
    this.reads.push({ path, offset: options?.offset ?? 0, length: options?.length });
    const inner = await this.#inner.read(path, options);
    const reader = inner.getReader();
    return new ReadableStream<Uint8Array>({
      pull: async (ctl) => {
        const r = await reader.read();
        if (r.done) {
          ctl.close();
          return;
        }
        this.bytesRead += r.value.length;
        ctl.enqueue(r.value);
      },
      cancel: (reason) => reader.cancel(reason),
    }, { highWaterMark: 0 });
  }

  /** Writes through the wrapped backend unless writes are failing. */
  async write(
    path: string,
    data: ReadableStream<Uint8Array>,
    options?: WriteOptions,
  ): Promise<Entry> {
    if (this.writeDelayMs > 0) {
      await new Promise((r) => setTimeout(r, this.writeDelayMs));
      options?.signal?.throwIfAborted();
    }
    if (this.failWrites) {
      this.failedWrites++;
      await data.cancel().catch(() => {});
      throw new FsError(`remote unavailable while writing ${JSON.stringify(path)}`, Errno.EIO);
    }
    const entry = await this.#inner.write(path, data, options);
    this.writes.push(path);
    if (this.landDelayMs > 0) await new Promise((r) => setTimeout(r, this.landDelayMs));
    return entry;
  }

  /** Forwards to the wrapped backend. */
  mkdir(path: string): Promise<void> {
    return this.#inner.mkdir(path);
  }

  /** Forwards to the wrapped backend. */
  rmdir(path: string): Promise<void> {
    return this.#inner.rmdir(path);
  }

  /** Forwards to the wrapped backend. */
  remove(path: string): Promise<void> {
    return this.#inner.remove(path);
  }

  /** Forwards to the wrapped backend. */
  move(from: string, to: string): Promise<Entry> {
    return this.#inner.move!(from, to);
  }

  /** Forwards to the wrapped backend. */
  setModTime(path: string, mtimeMs: number): Promise<void> {
    return this.#inner.setModTime!(path, mtimeMs);
  }

  /** Forwards to the wrapped backend. */
  about(): Promise<Usage> {
    return this.#inner.about!();
  }

  /** Forwards to the wrapped backend. */
  hash(path: string, type: HashType): Promise<string> {
    return this.#inner.hash!(path, type);
  }

  /** Forwards to the wrapped backend. */
  async close(): Promise<void> {
    await this.#inner.close?.();
  }
}

/**
 * @module
 * Helpers for the VFS tests: a {@link CountingBackend} that wraps a real backend (memory or
 * local), counts calls, can hide optional features (to exercise the fallbacks) and can emit
 * change notifications the way a polling backend would; plus small byte helpers.
 */

import type {
  Backend,
  Change,
  Entry,
  Features,
  ReadOptions,
  Usage,
  WriteOptions,
} from "../lib/backends/backend.ts";
import { MemoryBackend } from "../lib/backends/memory/memory_backend.ts";
import { Errno, FsError } from "../lib/errors.ts";

/** Call counters of a {@link CountingBackend}. */
export interface Counts {
  list: number;
  stat: number;
  read: number;
  write: number;
  move: number;
  moveDir: number;
  remove: number;
}

/** Wraps a backend, counting calls; `features` may be overridden. */
export class CountingBackend implements Backend {
  readonly type: string;
  readonly name: string;
  readonly root: string;
  readonly features: Features;
  readonly counts: Counts = { list: 0, stat: 0, read: 0, write: 0, move: 0, moveDir: 0, remove: 0 };
  /** Ranges of every `read` call. */
  readonly reads: { path: string; offset: number; length?: number }[] = [];
  readonly #inner: Backend;
  #watchers = new Set<(c: Change) => void>();
  /** When set, every write fails after reading more than this many bytes. */
  failWritesAfter?: number;
  /** Usage returned by `about` when the features say so. */
  usage: Usage = { total: 1 << 30, used: 1 << 20, free: (1 << 30) - (1 << 20) };

  constructor(inner: Backend, features: Partial<Features> = {}) {
    this.#inner = inner;
    this.type = inner.type;
    this.name = inner.name;
    this.root = inner.root;
    this.features = { ...inner.features, ...features };
    if (this.features.move) this.move = (f, t) => (this.counts.move++, inner.move!(f, t));
    if (this.features.moveDir) {
      this.moveDir = (f, t) => (this.counts.moveDir++, inner.moveDir!(f, t));
    }
    if (this.features.setModTime && inner.setModTime) {
      this.setModTime = (p, m) => inner.setModTime!(p, m);
    }
    if (this.features.about) this.about = () => Promise.resolve(this.usage);
    if (this.features.changeNotify) {
      this.watch = (fn) => {
        this.#watchers.add(fn);
        return () => this.#watchers.delete(fn);
      };
    }
  }

  move?: (from: string, to: string) => Promise<Entry>;
  moveDir?: (from: string, to: string) => Promise<void>;
  setModTime?: (path: string, mtimeMs: number) => Promise<void>;
  about?: () => Promise<Usage>;
  watch?: (onChange: (change: Change) => void, intervalMs: number) => () => void;

  /** The wrapped backend (to change things "outside" the VFS). */
  get inner(): Backend {
    return this.#inner;
  }

  /** Number of active watchers. */
  get watchers(): number {
    return this.#watchers.size;
  }

  /** Reports a change to every watcher, as a polling backend would. */
  emit(change: Change): void {
    for (const w of this.#watchers) w(change);
  }

  list(dir: string): Promise<Entry[]> {
    this.counts.list++;
    return this.#inner.list(dir);
  }
  stat(path: string): Promise<Entry> {
    this.counts.stat++;
    return this.#inner.stat(path);
  }
  read(path: string, options?: ReadOptions): Promise<ReadableStream<Uint8Array>> {
    this.counts.read++;
    this.reads.push({ path, offset: options?.offset ?? 0, length: options?.length });
    return this.#inner.read(path, options);
  }
  async write(
    path: string,
    data: ReadableStream<Uint8Array>,
    options?: WriteOptions,
  ): Promise<Entry> {
    this.counts.write++;
    if (this.failWritesAfter !== undefined) {
      // Fault injection: read some of the upload, then fail like a dropped connection.
      const reader = data.getReader();
      let got = 0;
      while (got <= this.failWritesAfter) {
        const { value, done } = await reader.read();
        if (done) break;
        got += value.byteLength;
      }
      await reader.cancel();
      throw new FsError(`remote unavailable while writing ${JSON.stringify(path)}`, Errno.EIO);
    }
    return await this.#inner.write(path, data, options);
  }
  mkdir(path: string): Promise<void> {
    return this.#inner.mkdir(path);
  }
  rmdir(path: string): Promise<void> {
    return this.#inner.rmdir(path);
  }
  remove(path: string): Promise<void> {
    this.counts.remove++;
    return this.#inner.remove(path);
  }
}

/** A counting wrapper over a fresh memory backend. */
export function memoryBackend(features: Partial<Features> = {}): CountingBackend {
  return new CountingBackend(new MemoryBackend(), features);
}

/** UTF-8 bytes of a string. */
export function bytes(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** A string from UTF-8 bytes. */
export function text(b: Uint8Array): string {
  return new TextDecoder().decode(b);
}

export { patternBytes } from "./helpers/xorshift_bytes.ts";

/** Writes a whole file straight to a backend. */
export async function putFile(b: Backend, path: string, data: Uint8Array): Promise<Entry> {
  return await b.write(path, new Blob([data as BlobPart]).stream(), { size: data.byteLength });
}

/** Reads a whole file straight from a backend. */
export async function getFile(b: Backend, path: string): Promise<Uint8Array> {
  const s = await b.read(path);
  return new Uint8Array(await new Response(s).arrayBuffer());
}

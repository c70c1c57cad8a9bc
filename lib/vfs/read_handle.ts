/**
 * @module
 * Read-only handle streaming from the remote (cache modes off/minimal/writes), like rclone's
 * `vfs/read.go`:
 *
 * - Sequential reads are served by ONE {@link ChunkedReader}: the first ranged request asks for
 *   `vfs_read_chunk_size` bytes, later ones double up to `vfs_read_chunk_size_limit`.
 * - A read a little ahead of the current position (≤ {@link WAIT_LIMIT}) first waits up to
 *   `vfs_read_wait` for the reads before it to arrive (the kernel may deliver them out of
 *   order). Backward and far reads don't wait: nothing in flight would make them sequential,
 *   and random access would pay the wait on every read.
 * - Still out of place: a small forward gap (≤ {@link SKIP_LIMIT} or what is buffered) is
 *   skipped by reading and discarding; anything else (backwards or far ahead) re-opens the
 *   remote stream at the new offset. With `no_seek` it fails with ESPIPE instead.
 * - `vfs_read_chunk_streams` N ≥ 2 on a file of known size replaces the growing stream by a
 *   {@link ParallelChunkReader}: N ranged reads of a fixed `vfs_read_chunk_size` in flight ahead
 *   of the reader, delivered in order. A read out of place re-positions it ({@link
 *   ParallelChunkReader.seek}: the in-flight chunks at or after the new offset are kept, the
 *   others dropped). 0 or 1 (as rclone), or an unknown size, keep the single growing stream.
 */

import type { Backend } from "../backends/backend.ts";
import { Errno, InvalidError } from "../errors.ts";
import { ChunkedReader } from "./chunked_reader.ts";
import type { OpenHandle } from "./handle.ts";
import { ParallelChunkReader } from "./parallel_chunk_reader.ts";
import { Mutex, PositionNotifier } from "./sequencer.ts";

/** Largest forward gap that waits `vfs_read_wait` for in-order reads (8 MiB, as rclone). */
export const WAIT_LIMIT = 8 * 1024 * 1024;

/** Largest forward gap skipped by reading through it instead of re-opening (1 MiB). */
export const SKIP_LIMIT = 1024 * 1024;

/** Settings of a {@link ReadHandle}. */
export interface ReadHandleOptions {
  /** `vfs_read_chunk_size`. */
  chunkSize: number;
  /** `vfs_read_chunk_size_limit`. */
  chunkSizeLimit: number;
  /** `vfs_read_chunk_streams` (default 0: one growing stream; ≥ 2: parallel ranged reads). */
  chunkStreams?: number;
  /** `vfs_read_wait` in ms. */
  readWaitMs: number;
  /** `no_seek`. */
  noSeek: boolean;
  /** File size at open time (undefined = unknown). */
  size?: number;
  /** Called once when the handle is released. */
  onRelease?: () => void;
}

/** A streaming read-only handle. */
export class ReadHandle implements OpenHandle {
  /** Always `read`. */
  readonly kind = "read";
  readonly #backend: Pick<Backend, "read">;
  readonly #opts: ReadHandleOptions;
  readonly #lock = new Mutex();
  readonly #moved = new PositionNotifier();
  #path: string;
  #reader?: ChunkedReader | ParallelChunkReader;
  #pos = 0;
  #released = false;

  /** Opens a handle; nothing is fetched until the first read. */
  constructor(backend: Pick<Backend, "read">, path: string, opts: ReadHandleOptions) {
    this.#backend = backend;
    this.#path = path;
    this.#opts = opts;
  }

  /** The VFS path of the file. */
  get path(): string {
    return this.#path;
  }

  /** Follows a rename of the open file (the open stream keeps reading the old object). */
  retarget(path: string): void {
    this.#path = path;
  }

  /** Reads up to `length` bytes at `offset`. */
  async read(offset: number, length: number): Promise<Uint8Array> {
    const gap = offset - this.#pos;
    if (gap > 0 && gap <= WAIT_LIMIT) {
      await this.#moved.waitFor(
        () => this.#pos === offset || this.#released,
        this.#opts.readWaitMs,
      );
    }
    return await this.#lock.run(() => this.#readAt(offset, length));
  }

  async #readAt(offset: number, length: number): Promise<Uint8Array> {
    if (this.#released) {
      throw new InvalidError(`read of released handle ${this.#path}`, Errno.EBADF);
    }
    const size = this.#opts.size;
    if (length <= 0 || (size !== undefined && offset >= size)) return new Uint8Array(0);
    try {
      let r = this.#reader;
      if (r && offset !== r.position) {
        if (this.#opts.noSeek) {
          throw new InvalidError(`can't seek in ${this.#path}: no_seek is set`, Errno.ESPIPE);
        }
        const gap = offset - r.position;
        if (r instanceof ParallelChunkReader) {
          await r.seek(offset);
        } else if (gap > 0 && gap <= Math.max(SKIP_LIMIT, r.buffered)) {
          if (!(await r.skip(gap))) return new Uint8Array(0);
        } else {
          await r.close();
          r = undefined;
        }
      }
      if (!r) {
        if (offset !== 0 && this.#opts.noSeek) {
          throw new InvalidError(`can't seek in ${this.#path}: no_seek is set`, Errno.ESPIPE);
        }
        r = this.#open(offset);
        this.#reader = r;
      }
      const data = await r.read(length);
      this.#pos = r.position;
      return data;
    } catch (err) {
      const r = this.#reader;
      this.#reader = undefined;
      await r?.close();
      throw err;
    } finally {
      this.#moved.notify();
    }
  }

  /** A reader at `offset`: parallel with ≥ 2 streams and a known size, else one stream. */
  #open(offset: number): ChunkedReader | ParallelChunkReader {
    const { chunkSize, chunkSizeLimit, chunkStreams = 0, size } = this.#opts;
    if (chunkStreams >= 2 && size !== undefined) {
      return new ParallelChunkReader(this.#backend, this.#path, offset, {
        chunkSize,
        streams: chunkStreams,
        size,
      });
    }
    return new ChunkedReader(this.#backend, this.#path, offset, {
      chunkSize,
      chunkSizeLimit,
      size,
    });
  }

  /** Writing to a read-only handle fails with EBADF. */
  write(): Promise<number> {
    return Promise.reject(
      new InvalidError(`${this.#path} is open read-only`, Errno.EBADF),
    );
  }

  /** Nothing to flush. */
  flush(): Promise<void> {
    return Promise.resolve();
  }

  /** Nothing to sync. */
  fsync(): Promise<void> {
    return Promise.resolve();
  }

  /** Cancels the remote stream. */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    this.#moved.notify();
    await this.#lock.run(async () => {
      await this.#reader?.close();
      this.#reader = undefined;
    });
    this.#opts.onRelease?.();
  }
}

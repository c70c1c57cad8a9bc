/**
 * @module
 * Sequential reader of a remote file through ranged reads, like rclone's `chunkedreader`: the
 * first request asks for `chunkSize` bytes, each following one for twice as many up to
 * `chunkSizeLimit` (-1 = no cap). One backend stream serves a whole chunk however many small
 * reads consume it. `chunkSize` ≤ 0 reads the rest of the file with a single open-ended stream.
 * With `vfs_read_chunk_streams` ≥ 2 and a known size the read handle uses `ParallelChunkReader`
 * (`parallel_chunk_reader.ts`) instead: fixed-size chunks, several ranged reads in flight.
 */

import type { Backend } from "../backends/backend.ts";
import { gatherBytes } from "../util/read_all.ts";

/** Options of a {@link ChunkedReader}. */
export interface ChunkedReaderOptions {
  /** First chunk size in bytes (≤ 0: no chunking). */
  chunkSize: number;
  /** Cap for the doubling (-1 = unlimited; ≤ chunkSize = no doubling). */
  chunkSizeLimit: number;
  /** Known file size, to avoid asking for ranges past the end (undefined = unknown). */
  size?: number;
}

/** Reads a file sequentially from a position, opening ranged streams as needed. */
export class ChunkedReader {
  readonly #backend: Pick<Backend, "read">;
  readonly #path: string;
  readonly #opts: ChunkedReaderOptions;
  #pos: number;
  #chunkEnd = 0;
  #nextChunk: number;
  #reader?: ReadableStreamDefaultReader<Uint8Array>;
  #leftover?: Uint8Array;
  #eof = false;
  #abort?: AbortController;

  /** Creates a reader positioned at `offset`; no stream is opened until the first read. */
  constructor(
    backend: Pick<Backend, "read">,
    path: string,
    offset: number,
    opts: ChunkedReaderOptions,
  ) {
    this.#backend = backend;
    this.#path = path;
    this.#opts = opts;
    this.#pos = offset;
    this.#nextChunk = opts.chunkSize;
  }

  /** The absolute offset of the next byte {@link read} returns. */
  get position(): number {
    return this.#pos;
  }

  /** Bytes already fetched but not yet returned (cheap to skip). */
  get buffered(): number {
    return this.#leftover?.byteLength ?? 0;
  }

  /**
   * Reads up to `n` bytes; returns fewer only at end of file (an empty array = EOF).
   */
  read(n: number): Promise<Uint8Array> {
    return gatherBytes(n, (max) => this.#next(max));
  }

  /** Skips `n` bytes forward by reading and discarding them; false if EOF came first. */
  async skip(n: number): Promise<boolean> {
    let left = n;
    while (left > 0) {
      const piece = await this.#next(left);
      if (!piece) return false;
      left -= piece.byteLength;
    }
    return true;
  }

  /** Cancels the open stream, if any. */
  async close(): Promise<void> {
    await this.#closeStream();
    this.#eof = true;
  }

  async #closeStream(): Promise<void> {
    const r = this.#reader;
    this.#reader = undefined;
    this.#leftover = undefined;
    this.#abort?.abort();
    this.#abort = undefined;
    if (r) await r.cancel().catch(() => {});
  }

  async #open(): Promise<boolean> {
    const { size, chunkSizeLimit } = this.#opts;
    if (size !== undefined && this.#pos >= size) return false;
    let length: number | undefined;
    if (this.#nextChunk > 0) {
      length = this.#nextChunk;
      if (size !== undefined) length = Math.min(length, size - this.#pos);
      const doubled = this.#nextChunk * 2;
      if (chunkSizeLimit < 0) this.#nextChunk = doubled;
      else if (chunkSizeLimit > this.#nextChunk) {
        this.#nextChunk = Math.min(doubled, chunkSizeLimit);
      }
    }
    this.#abort = new AbortController();
    const stream = await this.#backend.read(this.#path, {
      offset: this.#pos,
      length,
      signal: this.#abort.signal,
    });
    this.#reader = stream.getReader();
    this.#chunkEnd = length === undefined ? Infinity : this.#pos + length;
    return true;
  }

  async #next(max: number): Promise<Uint8Array | undefined> {
    if (this.#eof) return undefined;
    for (;;) {
      if (this.#leftover) {
        const l = this.#leftover;
        const piece = l.byteLength <= max ? l : l.subarray(0, max);
        this.#leftover = l.byteLength <= max ? undefined : l.subarray(max);
        this.#pos += piece.byteLength;
        return piece;
      }
      if (!this.#reader) {
        if (!(await this.#open())) {
          this.#eof = true;
          return undefined;
        }
      }
      const { value, done } = await this.#reader!.read();
      if (done) {
        const fullChunk = this.#pos >= this.#chunkEnd;
        this.#reader = undefined;
        this.#abort = undefined;
        if (!fullChunk) {
          this.#eof = true;
          return undefined;
        }
        continue;
      }
      if (value.byteLength > 0) this.#leftover = value;
    }
  }
}

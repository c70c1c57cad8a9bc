/**
 * @module
 * Sequential reader of a remote file through parallel ranged reads, like rclone's (1.68+)
 * `chunkedreader` with `--vfs-read-chunk-streams` N ≥ 2 (`fs/chunkedreader/parallel.go`):
 *
 * - The file is read in chunks of a FIXED size (`vfs_read_chunk_size` rounded up to a multiple
 *   of {@link CHUNK_UNIT}; ≤ 0 means {@link CHUNK_UNIT}); `vfs_read_chunk_size_limit` plays no
 *   part. Up to N chunks are fetched at once, each by its own ranged read, starting at the
 *   reader's position: the one being consumed and N-1 ahead of it.
 * - Each chunk is pulled into memory as fast as the remote sends it and handed out in file
 *   order; a consumed chunk is dropped and the next one past the window is started. At most N
 *   chunks are held, so memory is bounded by N × chunk size per open reader.
 * - A chunk's error (open or transfer) is kept and thrown by the {@link read} that reaches the
 *   first byte the chunk could not deliver: the bytes before it are delivered first, and the
 *   chunks before it are unaffected. Chunk fetches never reject unobserved.
 * - A chunk that ends short (the file shrank) is end of file: nothing after it is delivered.
 * - {@link seek} keeps what is still useful: chunks wholly before the new position are dropped;
 *   a position inside the window discards the front of its chunk as it arrives; a position
 *   behind the current chunk or past the window drops every chunk and restarts there.
 * - {@link close} (release, seek far, error) aborts every ranged read and waits for them to stop.
 *
 * Only for files of known size (rclone falls back to the growing single stream otherwise).
 */

import type { Backend } from "../backends/backend.ts";
import { gatherBytes } from "../util/read_all.ts";

/** Granularity of the chunk size with parallel streams (1 MiB, rclone's buffer page size). */
export const CHUNK_UNIT = 1024 * 1024;

/** Options of a {@link ParallelChunkReader}. */
export interface ParallelChunkReaderOptions {
  /** `vfs_read_chunk_size` (rounded up to a multiple of {@link CHUNK_UNIT}; ≤ 0 = one unit). */
  chunkSize: number;
  /** Number of ranged reads in flight (≥ 1). */
  streams: number;
  /** The file size (known: required for parallel reads). */
  size: number;
}

/** The chunk size actually used for `chunkSize` (see {@link ParallelChunkReaderOptions}). */
export function parallelChunkSize(chunkSize: number): number {
  if (!(chunkSize > 0)) return CHUNK_UNIT;
  return Math.ceil(chunkSize / CHUNK_UNIT) * CHUNK_UNIT;
}

/** One ranged read `[start, end)` pulled into memory in the background. */
class Chunk {
  readonly start: number;
  readonly end: number;
  readonly #abort = new AbortController();
  readonly #task: Promise<void>;
  readonly #parts: Uint8Array[] = [];
  #reader?: ReadableStreamDefaultReader<Uint8Array>;
  /** Bytes handed out or discarded, from `start`. */
  #taken = 0;
  /** Bytes still to discard before handing out (a seek into this chunk). */
  #discard = 0;
  #done = false;
  #error: unknown;
  #wake?: () => void;

  constructor(backend: Pick<Backend, "read">, path: string, start: number, end: number) {
    this.start = start;
    this.end = end;
    this.#task = this.#pump(backend, path);
  }

  /** Absolute offset of the next byte {@link take} returns. */
  get position(): number {
    return this.start + this.#taken + this.#discard;
  }

  /** Moves the consumer forward to `offset` (within this chunk, not backwards). */
  discardTo(offset: number): void {
    this.#discard = offset - this.start - this.#taken;
  }

  /**
   * The next piece of at most `max` bytes; undefined when the chunk is over (complete or
   * short: compare {@link position} with {@link end}). Throws the chunk's error once the bytes
   * before it are handed out.
   */
  async take(max: number): Promise<Uint8Array | undefined> {
    for (;;) {
      const head = this.#parts[0];
      if (head) {
        if (this.#discard > 0) {
          const n = Math.min(this.#discard, head.byteLength);
          this.#drop(head, n);
          this.#discard -= n;
          this.#taken += n;
          continue;
        }
        const n = Math.min(max, head.byteLength);
        const piece = n === head.byteLength ? head : head.subarray(0, n);
        this.#drop(head, n);
        this.#taken += n;
        return piece;
      }
      if (this.#done) {
        if (this.#error !== undefined) throw this.#error;
        return undefined;
      }
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  #drop(head: Uint8Array, n: number): void {
    if (n === head.byteLength) this.#parts.shift();
    else this.#parts[0] = head.subarray(n);
  }

  /** Aborts the ranged read and waits until it has stopped. */
  async close(): Promise<void> {
    this.#abort.abort();
    this.#parts.length = 0;
    const r = this.#reader;
    if (r) await r.cancel().catch(() => {});
    await this.#task;
  }

  async #pump(backend: Pick<Backend, "read">, path: string): Promise<void> {
    const signal = this.#abort.signal;
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    try {
      const stream = await backend.read(path, {
        offset: this.start,
        length: this.end - this.start,
        signal,
      });
      reader = stream.getReader();
      this.#reader = reader;
      while (!signal.aborted) {
        const { value, done } = await reader.read();
        if (done) break;
        if (value.byteLength === 0 || signal.aborted) continue;
        this.#parts.push(value);
        this.#wake?.();
        this.#wake = undefined;
      }
    } catch (err) {
      if (!signal.aborted) this.#error = err;
    } finally {
      if (signal.aborted) await reader?.cancel().catch(() => {});
      this.#done = true;
      this.#wake?.();
      this.#wake = undefined;
    }
  }
}

/**
 * Reads a file sequentially from a position with up to N ranged reads in flight. One caller at
 * a time (the read handle serialises its reads).
 */
export class ParallelChunkReader {
  readonly #backend: Pick<Backend, "read">;
  readonly #path: string;
  readonly #chunkSize: number;
  readonly #streams: number;
  readonly #size: number;
  /** In-flight chunks in file order; the first one is being consumed. */
  #chunks: Chunk[] = [];
  /** Where the next chunk starts. */
  #next: number;
  #pos: number;
  #eof = false;

  /** Creates a reader positioned at `offset`; nothing is fetched until the first read. */
  constructor(
    backend: Pick<Backend, "read">,
    path: string,
    offset: number,
    opts: ParallelChunkReaderOptions,
  ) {
    this.#backend = backend;
    this.#path = path;
    this.#chunkSize = parallelChunkSize(opts.chunkSize);
    this.#streams = Math.max(1, Math.floor(opts.streams));
    this.#size = opts.size;
    this.#pos = offset;
    this.#next = offset;
  }

  /** The absolute offset of the next byte {@link read} returns. */
  get position(): number {
    return this.#pos;
  }

  /** Number of ranged reads started and not yet dropped (at most N). */
  get inFlight(): number {
    return this.#chunks.length;
  }

  /** Reads up to `n` bytes; returns fewer only at end of file (an empty array = EOF). */
  read(n: number): Promise<Uint8Array> {
    return gatherBytes(n, (max) => this.#piece(max));
  }

  /**
   * Moves to `offset`, keeping the in-flight chunks that cover it and those after it; anything
   * else drops every chunk (the next read starts new ones at `offset`).
   */
  async seek(offset: number): Promise<void> {
    if (offset === this.#pos) return;
    this.#eof = false;
    const front = this.#chunks[0];
    if (!front || offset < front.position || offset >= this.#next) {
      await this.#dropAll();
      this.#next = offset;
    } else {
      while (this.#chunks[0]!.end <= offset) await this.#chunks.shift()!.close();
      this.#chunks[0]!.discardTo(offset);
    }
    this.#pos = offset;
  }

  /** Aborts every ranged read and waits for them to stop; later reads return EOF. */
  async close(): Promise<void> {
    this.#eof = true;
    await this.#dropAll();
  }

  async #dropAll(): Promise<void> {
    const chunks = this.#chunks;
    this.#chunks = [];
    await Promise.all(chunks.map((c) => c.close()));
  }

  /** Starts chunks until N are in flight or the file is covered. */
  #fill(): void {
    while (this.#chunks.length < this.#streams && this.#next < this.#size) {
      const end = Math.min(this.#size, this.#next + this.#chunkSize);
      this.#chunks.push(new Chunk(this.#backend, this.#path, this.#next, end));
      this.#next = end;
    }
  }

  async #piece(max: number): Promise<Uint8Array | undefined> {
    for (;;) {
      if (this.#eof) return undefined;
      this.#fill();
      const c = this.#chunks[0];
      if (!c) {
        this.#eof = true;
        return undefined;
      }
      const piece = await c.take(max);
      if (piece) {
        this.#pos += piece.byteLength;
        return piece;
      }
      this.#chunks.shift();
      await c.close();
      if (c.position < c.end) {
        // Short chunk: the file ended early; what the later chunks hold is not this file.
        await this.close();
        return undefined;
      }
    }
  }
}

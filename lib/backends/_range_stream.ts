/**
 * @module
 * A ReadableStream over a byte range of an open file: it seeks once, reads in bounded chunks
 * on demand (one chunk of read-ahead), closes the file at the end, on cancel and on abort,
 * and never holds more than a chunk or two in memory. The first chunk is
 * {@link FIRST_CHUNK_BYTES}; each later one ends at twice the bytes read so far, up to the chunk
 * size (64K, 64K, 128K, 256K, 512K, 1M, 1M… from the range's start), so a short random read does
 * not pay for a megabyte of read-ahead while a long one soon reads in big chunks, and every chunk
 * from the chunk size on starts at a multiple of it: a reader taking 1 MiB pieces at 1 MiB
 * offsets (FUSE READs) gets one whole chunk each time instead of two halves to join.
 */

/** The largest chunk a ranged file stream hands out. */
export const READ_CHUNK_BYTES = 1024 * 1024;

/** The first chunk a ranged file stream reads (later ones end at twice the bytes read so far). */
export const FIRST_CHUNK_BYTES = 64 * 1024;

/**
 * Where the chunk after `done` bytes ends, counted from the range's start: the first power of
 * two times {@link FIRST_CHUNK_BYTES} past `done` while under `chunkBytes`, then the next
 * multiple of `chunkBytes` (so a short read does not shift the later chunks).
 */
export function chunkEnd(done: number, chunkBytes: number): number {
  if (done >= chunkBytes) return (Math.floor(done / chunkBytes) + 1) * chunkBytes;
  let end = FIRST_CHUNK_BYTES;
  while (end <= done) end *= 2;
  return Math.min(end, chunkBytes);
}

/** Options of {@link fileRangeStream}. */
export interface FileRangeOptions {
  /** First byte (default 0). */
  offset?: number;
  /** Maximum number of bytes (default: to the end of the file). */
  length?: number;
  /** Errors the stream and closes the file when aborted. */
  signal?: AbortSignal;
  /** Chunk size (default {@link READ_CHUNK_BYTES}). */
  chunkBytes?: number;
}

/** Streams a byte range of `file`; the stream owns the file and closes it. */
export function fileRangeStream(
  file: Deno.FsFile,
  options: FileRangeOptions = {},
): ReadableStream<Uint8Array> {
  const offset = options.offset ?? 0;
  let remaining = options.length ?? Infinity;
  const chunkBytes = options.chunkBytes ?? READ_CHUNK_BYTES;
  let nextBytes = chunkEnd(0, chunkBytes);
  let readSoFar = 0;
  const signal = options.signal;
  let closed = false;
  let seeked = offset === 0;
  const close = () => {
    if (closed) return;
    closed = true;
    signal?.removeEventListener("abort", onAbort);
    try {
      file.close();
    } catch {
      // already closed
    }
  };
  let ctrl: ReadableStreamDefaultController<Uint8Array> | undefined;
  const onAbort = () => {
    if (closed) return;
    close();
    try {
      ctrl?.error(signal?.reason ?? new DOMException("aborted", "AbortError"));
    } catch {
      // stream already closed
    }
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      ctrl = controller;
      if (signal?.aborted) {
        close();
        controller.error(signal.reason);
        return;
      }
      signal?.addEventListener("abort", onAbort, { once: true });
    },
    async pull(controller) {
      if (closed) return;
      try {
        if (!seeked) {
          await file.seek(offset, Deno.SeekMode.Start);
          seeked = true;
        }
        if (remaining <= 0) {
          close();
          controller.close();
          return;
        }
        const buf = new Uint8Array(Math.min(nextBytes, remaining));
        const n = await file.read(buf);
        if (closed) return;
        if (n === null) {
          close();
          controller.close();
          return;
        }
        remaining -= n;
        readSoFar += n;
        nextBytes = chunkEnd(readSoFar, chunkBytes) - readSoFar;
        controller.enqueue(n === buf.length ? buf : buf.subarray(0, n));
      } catch (err) {
        if (closed) return;
        close();
        controller.error(err);
      }
    },
    cancel() {
      close();
    },
  });
}

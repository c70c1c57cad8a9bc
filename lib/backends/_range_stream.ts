/**
 * @module
 * A ReadableStream over a byte range of an open file: it seeks once, reads in bounded chunks
 * on demand (one chunk of read-ahead), closes the file at the end, on cancel and on abort,
 * and never holds more than a chunk or two in memory. Chunks start at
 * {@link FIRST_CHUNK_BYTES} and double up to the chunk size, so a short random read does not
 * pay for a megabyte of read-ahead while a long one soon reads in big chunks.
 */

/** The largest chunk a ranged file stream hands out. */
export const READ_CHUNK_BYTES = 1024 * 1024;

/** The first chunk a ranged file stream reads (later ones double up to the chunk size). */
export const FIRST_CHUNK_BYTES = 64 * 1024;

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
  let nextBytes = Math.min(FIRST_CHUNK_BYTES, chunkBytes);
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
        nextBytes = Math.min(nextBytes * 2, chunkBytes);
        const n = await file.read(buf);
        if (closed) return;
        if (n === null) {
          close();
          controller.close();
          return;
        }
        remaining -= n;
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

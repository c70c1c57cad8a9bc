/**
 * @module
 * Reads a byte stream in fixed-size pieces: {@link FullReader.fill} fills a buffer completely
 * unless the stream ends first, keeping what is left of a chunk for the next call, and
 * {@link FullReader.take} does the same without a copy when one chunk holds the bytes. The crypt
 * streams use it to cut data into 64 KiB blocks whatever chunk sizes the source yields.
 */

/** Fills buffers from a stream reader, carrying leftovers between calls. */
export class FullReader {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #rest: Uint8Array = new Uint8Array(0);
  #done = false;

  /** Wraps a stream; the reader lock is held until the stream ends or is cancelled. */
  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }

  /** Fills `buf`; returns the bytes written, less than `buf.length` only at end of stream. */
  async fill(buf: Uint8Array): Promise<number> {
    let n = 0;
    while (n < buf.length) {
      if (this.#rest.length === 0) {
        if (this.#done) break;
        const { value, done } = await this.#reader.read();
        if (done) {
          this.#done = true;
          this.#reader.releaseLock();
          break;
        }
        this.#rest = value;
      }
      const take = Math.min(this.#rest.length, buf.length - n);
      buf.set(this.#rest.subarray(0, take), n);
      this.#rest = this.#rest.subarray(take);
      n += take;
    }
    return n;
  }

  /**
   * Reads `n` bytes, fewer only at end of stream: a view of the source's chunk when it holds
   * them all, or when the stream ends within that chunk (the source must not reuse a chunk it
   * has handed out), else a copy of exactly the bytes returned (a small file's one short block
   * costs no 64 KiB buffer).
   */
  async take(n: number): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    let have = 0;
    while (have + this.#rest.length < n && !this.#done) {
      if (this.#rest.length > 0) {
        parts.push(this.#rest);
        have += this.#rest.length;
      }
      const { value, done } = await this.#reader.read();
      if (done) {
        this.#done = true;
        this.#reader.releaseLock();
        this.#rest = new Uint8Array(0);
      } else {
        this.#rest = value;
      }
    }
    const last = Math.min(this.#rest.length, n - have);
    const tail = this.#rest.subarray(0, last);
    this.#rest = this.#rest.subarray(last);
    if (parts.length === 0) return tail;
    if (parts.length === 1 && last === 0) return parts[0]!;
    const out = new Uint8Array(have + last);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    out.set(tail, at);
    return out;
  }

  /** Cancels the source stream (no-op once it has ended). */
  async cancel(reason?: unknown): Promise<void> {
    this.#rest = new Uint8Array(0);
    if (this.#done) return;
    this.#done = true;
    await this.#reader.cancel(reason);
  }
}

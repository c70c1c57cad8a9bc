/**
 * @module
 * A small pool of equally sized receive buffers for a FUSE session. A WRITE's payload is handed
 * to its handler as a view of the buffer it was read into (no copy); the session then reads the
 * next requests into another buffer taken from here, and gives the WRITE's buffer back once the
 * handler's promise has settled. Buffers are made only when the pool is empty (an idle mount
 * never allocates one) and at most {@link BufferPool.max} spares are kept; extra ones are left
 * to the garbage collector.
 */

import { offHeap } from "./libc.ts";

/** Recycles fixed-size byte buffers. */
export class BufferPool {
  /** Size of every buffer in bytes. */
  readonly size: number;
  /** Most spare buffers kept. */
  readonly max: number;
  readonly #free: Uint8Array<ArrayBuffer>[] = [];

  /** A pool of `size`-byte buffers keeping at most `max` spares. */
  constructor(size: number, max: number) {
    this.size = size;
    this.max = max;
  }

  /** Number of spare buffers held. */
  get spares(): number {
    return this.#free.length;
  }

  /** A spare buffer, or a new zeroed one when none is left. Its old contents are undefined. */
  take(): Uint8Array<ArrayBuffer> {
    return this.#free.pop() ?? offHeap(this.size);
  }

  /** Gives a buffer back (whole, as {@link take} returned it); kept only while under `max`. */
  give(buf: Uint8Array<ArrayBuffer>): void {
    if (buf.byteLength !== this.size || this.#free.length >= this.max) return;
    if (this.#free.includes(buf)) return;
    this.#free.push(buf);
  }
}

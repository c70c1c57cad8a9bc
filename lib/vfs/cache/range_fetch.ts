/**
 * @module
 * One ranged download from the remote into a cache item: it streams `[start, end)` and hands
 * each piece to a sink as it arrives, so readers waiting on the first bytes need not wait for
 * the whole range. A sequential fetch is paced: it never runs more than its `demand` allows
 * ahead of the readers (they raise `demand` as they advance) and gives up after sitting idle.
 */

import type { Backend } from "../../backends/backend.ts";

/** Where a fetch delivers its bytes. */
export interface FetchSink {
  /** Stores `data` fetched at `offset`. Returns false to stop the fetch (nothing more wanted). */
  deliver(offset: number, data: Uint8Array): boolean;
}

/** How long a paced fetch waits for readers to raise its demand before giving up. */
export const FETCH_IDLE_MS = 10_000;

/** A running ranged download. */
export class RangeFetch {
  /** First byte fetched. */
  readonly start: number;
  /** End of the range (exclusive). */
  readonly end: number;
  /** True for a paced (sequential read-ahead) fetch. */
  readonly paced: boolean;
  /** Next byte to arrive. */
  pos: number;
  /** Settles when the fetch ends; rejects with the remote's error. */
  readonly done: Promise<void>;
  #demand: number;
  #abort = new AbortController();
  #wake: (() => void) | undefined;
  #finished = false;

  /** Starts fetching `[start, end)` of `path` into `sink`. */
  constructor(
    backend: Backend,
    path: string,
    range: { start: number; end: number; demand?: number },
    sink: FetchSink,
    idleMs = FETCH_IDLE_MS,
  ) {
    this.start = range.start;
    this.end = range.end;
    this.pos = range.start;
    this.paced = range.demand !== undefined;
    this.#demand = range.demand ?? range.end;
    this.done = this.#run(backend, path, sink, idleMs).finally(() => {
      this.#finished = true;
    });
    // A failure is observed by whoever waits on `done`; never leave it unhandled.
    this.done.catch(() => {});
  }

  /** Whether the fetch has ended. */
  get finished(): boolean {
    return this.#finished;
  }

  /** How far the fetch will go without more demand: `end`, or less for a paced fetch. */
  get reach(): number {
    return Math.min(this.end, this.#demand);
  }

  /** Lets a paced fetch run up to `upTo` (never lowers it). */
  raiseDemand(upTo: number): void {
    if (upTo > this.#demand) {
      this.#demand = upTo;
      this.#wake?.();
    }
  }

  /** Stops the fetch; `done` resolves. */
  abort(): void {
    this.#abort.abort();
    this.#wake?.();
  }

  async #waitForDemand(idleMs: number): Promise<boolean> {
    while (this.pos >= this.#demand && !this.#abort.signal.aborted) {
      const woke = await new Promise<boolean>((resolve) => {
        const t = setTimeout(() => resolve(false), idleMs);
        this.#wake = () => {
          clearTimeout(t);
          resolve(true);
        };
      });
      this.#wake = undefined;
      if (!woke) return false;
    }
    return !this.#abort.signal.aborted;
  }

  async #run(backend: Backend, path: string, sink: FetchSink, idleMs: number): Promise<void> {
    if (this.end <= this.start) return;
    const signal = this.#abort.signal;
    let stream: ReadableStream<Uint8Array>;
    try {
      stream = await backend.read(path, {
        offset: this.start,
        length: this.end - this.start,
        signal,
      });
    } catch (err) {
      if (signal.aborted) return;
      throw err;
    }
    const reader = stream.getReader();
    try {
      while (this.pos < this.end) {
        if (!(await this.#waitForDemand(idleMs))) break;
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (err) {
          if (signal.aborted) break;
          throw err;
        }
        if (chunk.done || signal.aborted) break;
        let data = chunk.value;
        if (data.length > this.end - this.pos) data = data.subarray(0, this.end - this.pos);
        const at = this.pos;
        this.pos += data.length;
        if (!sink.deliver(at, data)) break;
      }
    } finally {
      reader.cancel().catch(() => {});
      reader.releaseLock();
    }
  }
}

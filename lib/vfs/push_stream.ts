/**
 * @module
 * A byte stream fed by `push()` calls, for streaming uploads: the consumer (a backend's `write`)
 * pulls from {@link PushStream.readable}; `push()` resolves once the queued bytes are under the
 * high-water mark, so a slow upload slows the writer down instead of filling memory.
 */

/** A push-fed ReadableStream with back-pressure. */
export class PushStream {
  /** The stream to hand to the consumer. */
  readonly readable: ReadableStream<Uint8Array>;
  readonly #highWater: number;
  #queue: Uint8Array[] = [];
  #queued = 0;
  #closed = false;
  #error: unknown = undefined;
  #failed = false;
  #wakeConsumer?: () => void;
  #wakeProducers: (() => void)[] = [];

  /** Creates a stream buffering at most about `highWater` bytes before `push()` waits. */
  constructor(highWater: number) {
    this.#highWater = highWater;
    this.readable = new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        while (this.#queue.length === 0 && !this.#closed && !this.#failed) {
          await new Promise<void>((r) => (this.#wakeConsumer = r));
        }
        if (this.#failed) {
          controller.error(this.#error);
          return;
        }
        const chunk = this.#queue.shift();
        if (chunk) {
          this.#queued -= chunk.byteLength;
          controller.enqueue(chunk);
          this.#wakeAllProducers();
          return;
        }
        controller.close();
      },
      cancel: (reason) => {
        this.fail(reason ?? new Error("upload stream cancelled"));
      },
    }, { highWaterMark: 0 });
  }

  /** Queues a chunk (not copied: pass a copy if the caller reuses its buffer). */
  async push(chunk: Uint8Array): Promise<void> {
    if (this.#failed) throw this.#error;
    if (this.#closed) throw new Error("push after close");
    this.#queue.push(chunk);
    this.#queued += chunk.byteLength;
    this.#wakeConsumer?.();
    while (this.#queued > this.#highWater && !this.#failed) {
      await new Promise<void>((r) => this.#wakeProducers.push(r));
    }
    if (this.#failed) throw this.#error;
  }

  /** Ends the stream after the queued chunks. */
  close(): void {
    this.#closed = true;
    this.#wakeConsumer?.();
  }

  /** Fails the stream and every waiting `push()` with `err`. */
  fail(err: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#error = err;
    this.#queue = [];
    this.#queued = 0;
    this.#wakeConsumer?.();
    this.#wakeAllProducers();
  }

  #wakeAllProducers(): void {
    const ws = this.#wakeProducers;
    this.#wakeProducers = [];
    for (const w of ws) w();
  }
}

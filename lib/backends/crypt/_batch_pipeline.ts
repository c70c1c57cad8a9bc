/**
 * @module
 * Read-ahead for the crypt streams: {@link BatchPipeline} runs a batch step (read the next
 * batch from the source, seal or open it) up to `depth` batches ahead of the consumer, so the
 * source's reads overlap with the consumer's handling of earlier batches. Steps run strictly
 * one after the other and their results are handed out in order. The read-ahead grows by one
 * batch per batch asked for, so a consumer that takes one batch and leaves (a small random
 * read) costs one step.
 */

/** Reads and processes the next batch; resolves to undefined when the source has ended. */
export type BatchStep<T> = () => Promise<T | undefined>;

/** Runs a {@link BatchStep} up to `depth` batches ahead of the consumer. */
export class BatchPipeline<T> {
  #step: BatchStep<T>;
  #depth: number;
  #ahead = 0;
  #last: Promise<unknown> = Promise.resolve();
  #queue: Promise<T | undefined>[] = [];
  #done = false;

  /**
   * Creates the pipeline; no step runs before the first {@link next}. `depth` counts the batch
   * being waited for and those read ahead of it.
   */
  constructor(step: BatchStep<T>, depth: number) {
    this.#step = step;
    this.#depth = depth;
  }

  /** Starts steps until enough batches are queued (each step waits for the one before). */
  #fill(): void {
    while (!this.#done && this.#queue.length < this.#ahead) {
      const result = this.#last.then(() => this.#done ? undefined : this.#step());
      this.#last = result.then(
        (batch) => {
          if (batch === undefined) this.#done = true;
        },
        () => {
          this.#done = true;
        },
      );
      // Rejections reach the consumer through next(); this keeps a step that fails while an
      // earlier batch is awaited from counting as unhandled.
      result.catch(() => {});
      this.#queue.push(result);
    }
  }

  /** The next batch in order, or undefined once the source has ended. */
  async next(): Promise<T | undefined> {
    this.#ahead = Math.min(this.#depth, this.#ahead + 1);
    this.#fill();
    const head = this.#queue.shift();
    if (head === undefined) return undefined;
    const value = await head;
    if (value === undefined) {
      this.#done = true;
      this.#queue = [];
    }
    return value;
  }

  /** Stops reading ahead (a step already running still finishes). */
  stop(): void {
    this.#done = true;
    this.#queue = [];
  }
}

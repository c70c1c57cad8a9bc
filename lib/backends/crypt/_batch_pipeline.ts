/**
 * @module
 * Read-ahead for the crypt streams: {@link BatchPipeline} keeps a few batches under way so
 * reading the next batch from the source, sealing or opening the batches already read (on
 * libsodium's threads) and handing the oldest one downstream all overlap. Batches are read
 * strictly one after the other and handed out in order.
 */

/**
 * Reads the next batch and starts its processing; resolves as soon as the batch is read, to
 * the processing's promise (wrapped, so that it is not awaited with the read), or to undefined
 * when the source has ended.
 */
export type BatchStep<T> = () => Promise<{ work: Promise<T> } | undefined>;

/** Runs a {@link BatchStep} up to `depth` batches ahead of the consumer. */
export class BatchPipeline<T> {
  #step: BatchStep<T>;
  #depth: number;
  #reads: Promise<unknown> = Promise.resolve();
  #queue: Promise<T | undefined>[] = [];
  #done = false;

  /** Creates the pipeline; nothing is read before the first {@link next}. */
  constructor(step: BatchStep<T>, depth: number) {
    this.#step = step;
    this.#depth = depth;
  }

  /** Starts reads until `depth` batches are queued (each read waits for the one before). */
  #fill(): void {
    while (!this.#done && this.#queue.length < this.#depth) {
      const read = this.#reads.then(() => this.#done ? undefined : this.#step());
      this.#reads = read.then(
        (started) => {
          if (started === undefined) this.#done = true;
        },
        () => {
          this.#done = true;
        },
      );
      const result = read.then((started) => started?.work);
      // Rejections reach the consumer through next(); this keeps a batch that fails while an
      // earlier one is awaited from counting as unhandled.
      result.catch(() => {});
      this.#queue.push(result);
    }
  }

  /** The next batch in order, or undefined once the source has ended. */
  async next(): Promise<T | undefined> {
    this.#fill();
    const head = this.#queue.shift();
    if (head === undefined) return undefined;
    const value = await head;
    if (value === undefined) {
      this.#done = true;
      this.#queue = [];
    } else {
      this.#fill();
    }
    return value;
  }

  /** Stops reading ahead (batches already started still settle). */
  stop(): void {
    this.#done = true;
    this.#queue = [];
  }
}

/**
 * @module
 * A minimal async mutex: callers of {@link Mutex.run} run one at a time, in arrival order.
 * The driver keeps one per volume so a slow remote only ever delays its own volume.
 */

/** An async mutual-exclusion lock. */
export class Mutex {
  #tail: Promise<void> = Promise.resolve();
  #held = false;

  /** True while some caller holds the lock. */
  get locked(): boolean {
    return this.#held;
  }

  /** Runs `fn` once every earlier caller is done; the lock is released however `fn` ends. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const prev = this.#tail;
    let release!: () => void;
    this.#tail = new Promise<void>((r) => release = r);
    return prev.then(async () => {
      this.#held = true;
      try {
        return await fn();
      } finally {
        this.#held = false;
        release();
      }
    });
  }
}

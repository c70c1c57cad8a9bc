/**
 * @module
 * Small concurrency helpers for file handles: a FIFO mutex and a position notifier used to wait
 * briefly for in-sequence reads and writes (rclone's `waitSequential`).
 */

/** A FIFO async mutex. */
export class Mutex {
  #tail: Promise<void> = Promise.resolve();

  /** Runs `fn` while holding the lock; calls run one at a time in call order. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(fn);
    this.#tail = result.then(() => {}, () => {});
    return result;
  }
}

/** Wakes waiters whenever a position changes. */
export class PositionNotifier {
  #waiters = new Set<() => void>();

  /** Wakes every waiter so it re-checks its condition. */
  notify(): void {
    const ws = [...this.#waiters];
    this.#waiters.clear();
    for (const w of ws) w();
  }

  /**
   * Waits until `ready()` is true or `timeoutMs` passed; resolves to the final `ready()`.
   * A timeout of 0 or less checks once.
   */
  async waitFor(ready: () => boolean, timeoutMs: number): Promise<boolean> {
    if (ready()) return true;
    if (timeoutMs <= 0) return false;
    const deadline = Date.now() + timeoutMs;
    while (!ready()) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      let wake!: () => void;
      const woken = new Promise<void>((r) => (wake = r));
      this.#waiters.add(wake);
      const timer = setTimeout(wake, left);
      await woken;
      clearTimeout(timer);
      this.#waiters.delete(wake);
    }
    return true;
  }
}

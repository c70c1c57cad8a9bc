/**
 * @module
 * The write-back scheduler: each key (a dirty cache item) is uploaded after a delay, retried
 * with exponential backoff while the remote fails, and at most `parallel` uploads run at once.
 * Scheduling again replaces the pending delay (writes after close push the upload back);
 * {@link UploadQueue.cancel} aborts a running upload and waits until it has stopped, which is
 * what rename and remove need. Persistence is the cache's job (the items' dirty flags).
 */

/** How the queue uploads and reports. */
export interface UploadQueueOptions<K> {
  /** Write-back delay used when `schedule` gets none. */
  delayMs: number;
  /** First retry delay after a failure. */
  retryMinMs: number;
  /** Longest retry delay. */
  retryMaxMs: number;
  /** Most uploads running at once (default 4, like rclone's `--transfers`). */
  parallel?: number;
  /** Uploads one key; throws to be retried. Must stop soon after `signal` aborts. */
  upload(key: K, signal: AbortSignal): Promise<void>;
  /** Whether an unforced upload may start now (e.g. the file is not open for writing). */
  ready?(key: K): boolean;
  /** Called after a failed attempt, before the retry is scheduled. */
  onError?(key: K, err: unknown, attempt: number, retryInMs: number): void;
}

interface KeyState {
  timer?: ReturnType<typeof setTimeout>;
  force: boolean;
  attempt: number;
  running?: { ctl: AbortController; promise: Promise<void> };
  again?: { delayMs: number; force: boolean };
  waiting: boolean;
}

/** Schedules, runs and retries uploads. */
export class UploadQueue<K> {
  #opts: UploadQueueOptions<K>;
  #states = new Map<K, KeyState>();
  #waiting: K[] = [];
  #running = 0;
  #listeners = new Set<() => void>();
  #closed = false;

  /** Creates an idle queue. */
  constructor(opts: UploadQueueOptions<K>) {
    this.#opts = opts;
  }

  /** Number of uploads running now. */
  get inFlight(): number {
    return this.#running;
  }

  /** Whether `key` has a pending or running upload. */
  has(key: K): boolean {
    return this.#states.has(key);
  }

  /** Whether `key` is being uploaded right now. */
  isRunning(key: K): boolean {
    return this.#states.get(key)?.running !== undefined;
  }

  /** Resolves the next time an upload ends (successfully or not) or is cancelled. */
  changed(): Promise<void> {
    return new Promise((resolve) => this.#listeners.add(resolve));
  }

  #emit(): void {
    const ls = [...this.#listeners];
    this.#listeners.clear();
    for (const l of ls) l();
  }

  /**
   * Uploads `key` after `delayMs` (default: the write-back delay), replacing any pending delay.
   * A forced upload runs even if `ready` says no. If an upload of `key` is running, another
   * follows it.
   */
  schedule(key: K, opts: { delayMs?: number; force?: boolean } = {}): void {
    if (this.#closed) return;
    const delayMs = Math.max(0, opts.delayMs ?? this.#opts.delayMs);
    let st = this.#states.get(key);
    if (!st) {
      st = { force: false, attempt: 0, waiting: false };
      this.#states.set(key, st);
    }
    if (st.running) {
      st.again = {
        delayMs: Math.min(delayMs, st.again?.delayMs ?? delayMs),
        force: (st.again?.force ?? false) || !!opts.force,
      };
      return;
    }
    st.force ||= !!opts.force;
    if (st.waiting) return;
    if (st.timer !== undefined) clearTimeout(st.timer);
    st.timer = setTimeout(() => this.#fire(key), delayMs);
  }

  #fire(key: K): void {
    const st = this.#states.get(key);
    if (!st || this.#closed) return;
    st.timer = undefined;
    if (!st.force && this.#opts.ready && !this.#opts.ready(key)) {
      // Not ready (still open for writing): whoever makes it ready schedules it again.
      this.#states.delete(key);
      this.#emit();
      return;
    }
    if (this.#running >= (this.#opts.parallel ?? 4)) {
      st.waiting = true;
      this.#waiting.push(key);
      return;
    }
    this.#start(key, st);
  }

  #start(key: K, st: KeyState): void {
    const ctl = new AbortController();
    this.#running++;
    const promise = (async () => {
      try {
        await this.#opts.upload(key, ctl.signal);
        st.attempt = 0;
      } catch (err) {
        if (ctl.signal.aborted || this.#closed) return;
        st.attempt++;
        const retryInMs = Math.min(
          this.#opts.retryMinMs * 2 ** (st.attempt - 1),
          this.#opts.retryMaxMs,
        );
        this.#opts.onError?.(key, err, st.attempt, retryInMs);
        st.again = {
          delayMs: Math.min(retryInMs, st.again?.delayMs ?? retryInMs),
          force: st.force || (st.again?.force ?? false),
        };
      }
    })().finally(() => {
      this.#running--;
      st.running = undefined;
      const again = st.again;
      st.again = undefined;
      st.force = false;
      if (this.#states.get(key) === st) {
        if (again && !ctl.signal.aborted && !this.#closed) {
          st.force = again.force;
          st.timer = setTimeout(() => this.#fire(key), again.delayMs);
        } else if (!ctl.signal.aborted) {
          this.#states.delete(key);
        }
      }
      this.#next();
      this.#emit();
    });
    st.running = { ctl, promise };
  }

  #next(): void {
    while (this.#running < (this.#opts.parallel ?? 4) && this.#waiting.length > 0) {
      const key = this.#waiting.shift()!;
      const st = this.#states.get(key);
      if (!st || !st.waiting) continue;
      st.waiting = false;
      this.#start(key, st);
    }
  }

  /** Drops any pending upload of `key`, aborts a running one and waits until it has stopped. */
  async cancel(key: K): Promise<void> {
    const st = this.#states.get(key);
    if (!st) return;
    this.#states.delete(key);
    if (st.timer !== undefined) clearTimeout(st.timer);
    st.waiting = false;
    this.#waiting = this.#waiting.filter((k) => k !== key);
    if (st.running) {
      st.running.ctl.abort();
      await st.running.promise;
    }
    this.#emit();
  }

  /** Stops everything: clears timers, aborts running uploads and waits for them. */
  async close(): Promise<void> {
    this.#closed = true;
    const running: Promise<void>[] = [];
    for (const st of this.#states.values()) {
      if (st.timer !== undefined) clearTimeout(st.timer);
      if (st.running) {
        st.running.ctl.abort();
        running.push(st.running.promise);
      }
    }
    this.#states.clear();
    this.#waiting = [];
    await Promise.allSettled(running);
    this.#emit();
  }
}

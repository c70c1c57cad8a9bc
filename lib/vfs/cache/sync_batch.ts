/**
 * @module
 * Batched durability for closed files. Closing a dirty file writes its data and metadata to
 * the kernel before close(2) returns, which is all a killed process (kill -9) needs; making
 * them durable against a power loss too is done here, for many files at once: one `syncfs(2)`
 * (`sync -f`) of the cache's file system shortly after a burst of closes, instead of several
 * fsyncs on the path of every close. fsync(2) of a file and shutdown stay synchronous
 * ({@link SyncBatch.flush}).
 */

import { log } from "../../util/log.ts";

/** Runs `sync -f <dir>` (syncfs of the file system holding `dir`). */
export async function syncFs(dir: string): Promise<void> {
  const out = await new Deno.Command("sync", {
    args: ["-f", dir],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`sync -f ${dir} failed: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
}

/** Coalesces requests for durability into one file-system sync per `delayMs`. */
export class SyncBatch {
  #dir: string;
  #delayMs: number;
  #sync: (dir: string) => Promise<void>;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #pending = false;
  #running: Promise<void> | undefined;

  /** Syncs the file system of `dir` at most `delayMs` after a request. */
  constructor(dir: string, delayMs = 500, sync: (dir: string) => Promise<void> = syncFs) {
    this.#dir = dir;
    this.#delayMs = delayMs;
    this.#sync = sync;
  }

  /** Whether changes wait for the next sync. */
  get pending(): boolean {
    return this.#pending;
  }

  /** Asks for a sync of everything written so far, within the delay. */
  request(): void {
    this.#pending = true;
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.flush().catch((err) => log.error(`vfs cache: ${err}`));
    }, this.#delayMs);
    Deno.unrefTimer(this.#timer);
  }

  /** Syncs now everything written before this call (waits for a sync that started after it). */
  async flush(): Promise<void> {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    // A sync already running may have started before the caller's writes: let it finish.
    if (this.#running) await this.#running.catch(() => {});
    // Any sync started after this call covers the caller's writes: join it or start one.
    if (!this.#running) {
      this.#pending = false;
      this.#running = this.#sync(this.#dir).catch((err) => {
        this.#pending = true;
        throw err;
      }).finally(() => (this.#running = undefined));
    }
    await this.#running;
  }
}

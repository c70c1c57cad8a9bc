/**
 * @module
 * One process-wide poll(2) loop for every `/dev/fuse` fd. A single nonblocking FFI `poll()` is
 * parked on Deno's blocking pool (about 32 threads, shared with file and FFI I/O) however many
 * mounts the process serves; when an fd is readable its handler reads requests synchronously on
 * the JS thread (so errno is visible). An eventfd wakes the parked poll when fds are added or
 * removed. The loop ends, releasing the pool thread, when no fd is registered.
 */

import * as libc from "./libc.ts";

/** Called when an fd is readable or in error; returns false to stop watching it. */
export type ReadyHandler = (revents: number) => boolean;

class FdPoller {
  #handlers = new Map<number, ReadyHandler>();
  #removed = new Map<number, () => void>();
  #efd = -1;
  #loop: Promise<void> | undefined;

  /** Watches `fd` for POLLIN; `onReady` runs on the JS thread after each wake-up. */
  add(fd: number, onReady: ReadyHandler): void {
    this.#handlers.set(fd, onReady);
    this.#ensureRunning();
    this.#wake();
  }

  /** Stops watching `fd`; resolves once no parked poll refers to it (it may then be closed). */
  remove(fd: number): Promise<void> {
    if (!this.#handlers.delete(fd)) return Promise.resolve();
    if (!this.#loop) return Promise.resolve();
    return new Promise((resolve) => {
      this.#removed.set(fd, resolve);
      this.#wake();
    });
  }

  #wake(): void {
    if (this.#efd < 0) return;
    const one = libc.offHeap(8);
    new DataView(one.buffer).setBigUint64(0, 1n, true);
    libc.write(this.#efd, one);
  }

  #ensureRunning(): void {
    if (this.#loop) return;
    if (this.#efd < 0) this.#efd = libc.eventfd();
    this.#loop = this.#run().finally(() => {
      this.#loop = undefined;
      for (const r of this.#removed.values()) r();
      this.#removed.clear();
      if (this.#handlers.size > 0) this.#ensureRunning();
    });
  }

  async #run(): Promise<void> {
    const drain = libc.offHeap(8);
    while (this.#handlers.size > 0) {
      for (const r of this.#removed.values()) r();
      this.#removed.clear();
      const fds = [...this.#handlers.keys()];
      const pfds = libc.offHeap(8 * (fds.length + 1));
      const dv = new DataView(pfds.buffer);
      [this.#efd, ...fds].forEach((fd, i) => {
        dv.setInt32(i * 8, fd, true);
        dv.setInt16(i * 8 + 4, libc.Sys.POLLIN, true);
      });
      const r = await libc.pollAsync(pfds, -1);
      if (r < 0) {
        // EINTR or a transient failure: errno is on the pool thread; just poll again
        await new Promise((res) => setTimeout(res, 1));
        continue;
      }
      if (dv.getInt16(6, true) !== 0) libc.read(this.#efd, drain);
      fds.forEach((fd, i) => {
        const revents = dv.getInt16((i + 1) * 8 + 6, true);
        if (revents === 0) return;
        const h = this.#handlers.get(fd);
        if (!h) return;
        let keep = false;
        try {
          keep = h(revents);
        } catch {
          keep = false;
        }
        if (!keep) this.#handlers.delete(fd);
      });
    }
  }
}

/** The process-wide poller. */
export const fdPoller: FdPoller = new FdPoller();

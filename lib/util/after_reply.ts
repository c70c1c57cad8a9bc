/**
 * @module
 * Chores a request starts that can wait until it has been answered. Handing work to a pool
 * thread costs the daemon's only JS thread twice on a two-core machine: the dispatch, and the
 * woken thread taking the core the answer is being computed on (a state save's background
 * unlink and next temp file cost a plugin call ~0.1–0.2 ms that way). So such chores are
 * queued here and started by the transport right after it has written the reply
 * ({@link runAfterReply}), or by a zero-delay timer when no transport does (a caller outside
 * the HTTP server, a test), so nothing queued is ever left waiting.
 */
import { log } from "./log.ts";

const queue: (() => void)[] = [];
let timer: ReturnType<typeof setTimeout> | undefined;

/** Queues `chore` to start once the current request's reply has been written. */
export function afterReply(chore: () => void): void {
  queue.push(chore);
  timer ??= setTimeout(runAfterReply, 0);
}

/**
 * Starts every queued chore, in the order queued (the transport calls this after writing a
 * reply; anyone may call it to flush the queue). Chores handle their own failures; one that
 * throws anyway is logged and doesn't stop the others.
 */
export function runAfterReply(): void {
  if (timer !== undefined) {
    clearTimeout(timer);
    timer = undefined;
  }
  if (queue.length === 0) return;
  for (const chore of queue.splice(0)) {
    try {
      chore();
    } catch (err) {
      log.error(`background chore failed: ${(err as Error).message}`);
    }
  }
}

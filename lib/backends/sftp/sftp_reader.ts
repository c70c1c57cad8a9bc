/**
 * @module
 * Ranged reads for the sftp backend as a ReadableStream. Up to `concurrency` READ requests of
 * `chunk_size` bytes are in flight at once, so one big file moves at the link's speed; bytes
 * are delivered in order. When the connection fails mid-read, the file is reopened on a new
 * connection and the read continues from the first byte not yet delivered.
 */

import type { Buffer } from "node:buffer";
import { log } from "../../util/log.ts";
import { isConnectionError, sftpCall, type SshConnection } from "./ssh_connection.ts";
import { SshConnectionLostError, type SshPool } from "./ssh_pool.ts";

/** What to read and how. */
export interface ReadRequest {
  /** The connection pool. */
  pool: SshPool;
  /** Absolute (server-side) path. */
  remotePath: string;
  /** First byte. */
  offset: number;
  /** Bytes to read at most (undefined = to the end). */
  length?: number;
  /** Bytes per READ request. */
  chunkSize: number;
  /** READ requests in flight at once. */
  concurrency: number;
  /** Aborts the read. */
  signal?: AbortSignal;
  /** Label for messages (`user@host:port`). */
  label: string;
  /**
   * Opens the file on a connection and returns its handle and size; throws typed errors
   * (NotFoundError, IsDirectoryError).
   */
  open(conn: SshConnection): Promise<{ handle: Buffer; size: number }>;
}

interface Pending {
  pos: number;
  len: number;
  data: Promise<Uint8Array>;
}

/** Opens the file (errors surface here) and returns a stream of the requested range. */
export async function openReadStream(req: ReadRequest): Promise<ReadableStream<Uint8Array>> {
  let conn: SshConnection | undefined;
  let handle: Buffer | undefined;
  let end = 0;
  let delivered = req.offset; // next byte to hand to the consumer
  let nextReq = req.offset; // next byte to request
  let queue: Pending[] = [];
  const tries = { failures: 0 };
  let finished = false;

  const connect = async (first: boolean) => {
    const got = await req.pool.acquireWith((c) => req.open(c), tries);
    if (finished) {
      // Cancelled while reconnecting: nobody will close this handle but us.
      const c = got.conn;
      sftpCall.close(c.sftp, got.value.handle).catch(() => {}).finally(() => req.pool.release(c));
      return;
    }
    conn = got.conn;
    handle = got.value.handle;
    if (first) {
      const size = got.value.size;
      end = req.length === undefined ? size : Math.min(size, req.offset + req.length);
    }
  };

  const cleanup = () => {
    if (finished) return;
    finished = true;
    const c = conn;
    const h = handle;
    conn = undefined;
    handle = undefined;
    for (const p of queue) p.data.catch(() => {});
    queue = [];
    if (c) {
      if (h && !c.dead) {
        sftpCall.close(c.sftp, h).catch(() => {}).finally(() => req.pool.release(c));
      } else req.pool.release(c, c.dead);
    }
  };

  const issue = (pos: number, len: number): Pending => {
    // ssh2 never answers a request sent on a closed channel: fail it so the reader reconnects.
    const data = conn!.dead
      ? Promise.reject(new Error("SFTP channel closed"))
      : sftpCall.read(conn!.sftp, handle!, pos, len);
    data.catch(() => {}); // observed when it reaches the head of the queue
    return { pos, len, data };
  };

  await connect(true);
  if (end <= req.offset) {
    cleanup();
    return new ReadableStream({ start: (c) => c.close() });
  }

  let onAbort: (() => void) | undefined;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (req.signal) {
        onAbort = () => {
          cleanup();
          try {
            controller.error(req.signal!.reason ?? new DOMException("aborted", "AbortError"));
          } catch {
            // Already closed.
          }
        };
        if (req.signal.aborted) onAbort();
        else req.signal.addEventListener("abort", onAbort, { once: true });
      }
    },
    async pull(controller) {
      for (;;) {
        if (finished) return;
        if (delivered >= end) {
          cleanup();
          req.signal?.removeEventListener("abort", onAbort!);
          controller.close();
          return;
        }
        while (queue.length < req.concurrency && nextReq < end) {
          const len = Math.min(req.chunkSize, end - nextReq);
          queue.push(issue(nextReq, len));
          nextReq += len;
        }
        const head = queue[0]!;
        let data: Uint8Array;
        try {
          data = await head.data;
        } catch (err) {
          if (finished) return;
          const c = conn!;
          if (!isConnectionError(err, c) || tries.failures >= req.pool.retries) {
            cleanup();
            req.signal?.removeEventListener("abort", onAbort!);
            throw isConnectionError(err, c) ? new SshConnectionLostError(req.label, err) : err;
          }
          // Reconnect and carry on from the first undelivered byte.
          for (const p of queue) p.data.catch(() => {});
          queue = [];
          conn = undefined;
          handle = undefined;
          req.pool.release(c, true);
          tries.failures++;
          await req.pool.backoff(tries.failures);
          try {
            await connect(false);
          } catch (e) {
            cleanup();
            throw e;
          }
          nextReq = delivered;
          log.debug(
            `sftp: read of ${JSON.stringify(req.remotePath)}: connection failed (${
              (err as Error)?.message
            }); resuming at byte ${delivered} on a new connection`,
          );
          continue;
        }
        if (finished) return;
        queue.shift();
        if (data.length === 0) {
          // The file shrank while we read it: end here.
          end = delivered;
          continue;
        }
        tries.failures = 0;
        if (data.length < head.len) {
          // A short read: ask again for the rest of this chunk, ahead of the queue.
          queue.unshift(issue(head.pos + data.length, head.len - data.length));
        }
        delivered += data.length;
        controller.enqueue(data);
        return;
      }
    },
    cancel() {
      req.signal?.removeEventListener("abort", onAbort!);
      cleanup();
    },
  }, { highWaterMark: 4 });
}

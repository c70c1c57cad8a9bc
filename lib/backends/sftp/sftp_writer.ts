/**
 * @module
 * Streaming uploads for the sftp backend. Data goes to a temporary name next to the target in
 * `chunk_size` WRITE requests, up to `concurrency` in flight; each chunk is kept until the
 * server acknowledges it, so when the connection fails the temp file is reopened on a new
 * connection and the unacknowledged chunks are sent again. A failed, short or aborted upload
 * removes the temp file; the caller renames a complete one over the target.
 */

import type { Buffer } from "node:buffer";
import { InvalidError } from "../../errors.ts";
import { log } from "../../util/log.ts";
import { isConnectionError, sftpCall, type SshConnection } from "./ssh_connection.ts";
import { SshConnectionLostError, type SshPool } from "./ssh_pool.ts";

/** What to upload and how. */
export interface UploadRequest {
  /** The connection pool. */
  pool: SshPool;
  /** Absolute (server-side) path of the temp file. */
  tempPath: string;
  /** The data. */
  data: ReadableStream<Uint8Array>;
  /** Bytes per WRITE request. */
  chunkSize: number;
  /** WRITE requests in flight at once. */
  concurrency: number;
  /** Expected size; a different byte count is an error. */
  size?: number;
  /** Aborts the upload. */
  signal?: AbortSignal;
  /** Label for messages (`user@host:port`). */
  label: string;
  /** Relative path for messages. */
  path: string;
  /**
   * Creates (`first`) or reopens the temp file on a connection; throws typed errors and
   * creates missing parents itself.
   */
  open(conn: SshConnection, first: boolean): Promise<Buffer>;
}

/** Uploads `data` to the temp file; returns the byte count. The temp file is complete. */
export async function uploadToTemp(req: UploadRequest): Promise<number> {
  let conn: SshConnection | undefined;
  let handle: Buffer | undefined;
  const tries = { failures: 0 };
  let opened = false;
  const unacked = new Map<number, Uint8Array>();
  const inflight = new Set<Promise<void>>();
  let broken: unknown;

  const connect = async () => {
    const got = await req.pool.acquireWith((c) => req.open(c, !opened), tries);
    conn = got.conn;
    handle = got.value;
    opened = true;
  };

  const send = (pos: number, data: Uint8Array) => {
    const c = conn!;
    // ssh2 never answers a request sent on a closed channel: keep the chunk for the resend.
    if (broken !== undefined || c.dead) return void (broken ??= new Error("SFTP channel closed"));
    const p = sftpCall.write(c.sftp, handle!, pos, data).then(
      () => {
        unacked.delete(pos);
        tries.failures = 0;
      },
      (err) => {
        if (broken === undefined) broken = err;
      },
    ).finally(() => inflight.delete(p));
    inflight.add(p);
  };

  /** Waits for all writes; on a transport failure reconnects and resends what is unacked. */
  const drain = async (all: boolean) => {
    for (;;) {
      if (all) await Promise.all(inflight);
      else {
        // Until there is room: waiting for one reply per chunk read would let the requests in
        // flight (and ssh2's buffer behind the channel window) grow without bound.
        while (inflight.size >= req.concurrency && broken === undefined) {
          await Promise.race(inflight);
        }
      }
      if (broken === undefined) return;
      const err = broken;
      const c = conn!;
      await Promise.all(inflight);
      broken = undefined;
      if (!isConnectionError(err, c) || tries.failures >= req.pool.retries) {
        throw isConnectionError(err, c) ? new SshConnectionLostError(req.label, err) : err;
      }
      conn = undefined;
      handle = undefined;
      req.pool.release(c, true);
      tries.failures++;
      await req.pool.backoff(tries.failures);
      await connect();
      log.debug(
        `sftp: upload of ${JSON.stringify(req.path)}: connection failed (${
          (err as Error)?.message
        }); resending ${unacked.size} unacknowledged chunks on a new connection`,
      );
      for (const [pos, data] of [...unacked].sort((a, b) => a[0] - b[0])) {
        send(pos, data);
        while (inflight.size >= req.concurrency && broken === undefined) {
          await Promise.race(inflight);
        }
      }
    }
  };

  const reader = req.data.getReader();
  const onAbort = () => reader.cancel(req.signal?.reason).catch(() => {});
  const checkAbort = () => {
    if (req.signal?.aborted) {
      throw req.signal.reason ?? new DOMException("The upload was aborted", "AbortError");
    }
  };
  req.signal?.addEventListener("abort", onAbort, { once: true });
  let pos = 0;
  try {
    checkAbort();
    await connect();
    let buf: Uint8Array[] = [];
    let buffered = 0;
    const emit = (final: boolean) => {
      while (buffered >= req.chunkSize || (final && buffered > 0)) {
        const n = Math.min(req.chunkSize, buffered);
        let piece: Uint8Array;
        if (buf[0]!.length >= n) {
          piece = buf[0]!.subarray(0, n);
          buf[0] = buf[0]!.subarray(n);
          if (buf[0]!.length === 0) buf.shift();
        } else {
          piece = new Uint8Array(n);
          let o = 0;
          while (o < n) {
            const b = buf[0]!;
            const take = Math.min(b.length, n - o);
            piece.set(b.subarray(0, take), o);
            o += take;
            if (take === b.length) buf.shift();
            else buf[0] = b.subarray(take);
          }
        }
        buffered -= n;
        unacked.set(pos, piece);
        send(pos, piece);
        pos += n;
      }
    };
    for (;;) {
      const { done, value } = await reader.read();
      checkAbort();
      if (done) break;
      if (value.length === 0) continue;
      // Copy: the producer may reuse its buffer once we return.
      buf.push(value.slice());
      buffered += value.length;
      emit(false);
      await drain(false);
      checkAbort();
    }
    emit(true);
    buf = [];
    await drain(true);
    checkAbort();
    if (req.size !== undefined && req.size >= 0 && pos !== req.size) {
      throw new InvalidError(
        `sftp: upload of ${JSON.stringify(req.path)} got ${pos} bytes but expected ${req.size}`,
      );
    }
    const c = conn!;
    const h = handle!;
    conn = undefined;
    handle = undefined;
    try {
      await sftpCall.close(c.sftp, h);
      req.pool.release(c);
    } catch (err) {
      // Every write was acknowledged, so the data is on the server either way.
      req.pool.release(c, isConnectionError(err, c));
    }
    return pos;
  } catch (err) {
    await Promise.allSettled(inflight);
    const c = conn;
    const h = handle;
    if (c) {
      if (h && !c.dead) await sftpCall.close(c.sftp, h).catch(() => {});
      req.pool.release(c, c.dead);
    }
    reader.cancel(err).catch(() => {});
    throw err;
  } finally {
    req.signal?.removeEventListener("abort", onAbort);
  }
}

/**
 * @module
 * Coalesces the many small socket writes ssh2 makes into one write per burst. Each SSH packet is at
 * least one write (one with the libsodium ciphers of `sodium_transport.ts`; three with ssh2's own
 * JavaScript ciphers: length, encrypted payload, MAC), and a burst of SFTP requests is many
 * packets, each write a Deno op and, with TCP_NODELAY, its own TCP segment that wakes the server.
 * Here the buffers written during one synchronous run (a burst of SFTP requests, or the answers to
 * one batch of incoming data) are joined and written once, when the microtask queue runs, or at
 * once when the burst reaches {@link COALESCE_LIMIT}. The order of bytes is kept, nothing is
 * delayed past the current task, and `end()` writes what is pending first.
 */

import { Buffer } from "node:buffer";

/** A burst is written as soon as it holds this many bytes (512 KiB). */
export const COALESCE_LIMIT = 512 * 1024;

/** The part of a node:net Socket the coalescer wraps. */
export interface CoalescableSocket {
  /** Writes a chunk (node:stream semantics). */
  write(chunk: unknown, ...rest: unknown[]): boolean;
  /** Ends the writable side after the data written so far. */
  end(...args: unknown[]): unknown;
  /** False once the socket can no longer be written to. */
  readonly writable?: boolean;
}

/**
 * Replaces `sock.write` and `sock.end` on this instance so that Buffer writes made in the same
 * synchronous run reach the socket as one write. Other chunk types (strings, writes with an
 * encoding or callback) flush the pending bytes and pass through unchanged, keeping the order.
 * Callers must not modify a buffer after writing it (ssh2 never does: every packet is fresh).
 */
export function coalesceWrites(sock: CoalescableSocket): void {
  const write = sock.write.bind(sock);
  const end = sock.end.bind(sock);
  let pending: Uint8Array[] = [];
  let bytes = 0;
  let scheduled = false;
  const flush = () => {
    if (pending.length === 0) return;
    const chunks = pending;
    const n = bytes;
    pending = [];
    bytes = 0;
    // ssh2 checks writability before each write; data of a socket that died meanwhile is moot.
    if (sock.writable === false) return;
    write(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, n));
  };
  const onMicrotask = () => {
    scheduled = false;
    flush();
  };
  sock.write = (chunk: unknown, ...rest: unknown[]): boolean => {
    if (!(chunk instanceof Uint8Array) || rest.length > 0) {
      flush();
      return write(chunk, ...rest);
    }
    if (chunk.byteLength === 0) return true;
    pending.push(chunk);
    bytes += chunk.byteLength;
    if (bytes >= COALESCE_LIMIT) flush();
    else if (!scheduled) {
      scheduled = true;
      queueMicrotask(onMicrotask);
    }
    return true;
  };
  sock.end = (...args: unknown[]) => {
    flush();
    return end(...args);
  };
}

/**
 * @module
 * A pool of SSH connections shared by the sftp backend's operations. SFTP multiplexes requests,
 * so several operations share one connection; a new connection opens when all are busy (up to
 * a limit). Dead connections leave the pool at once, idle ones close after `idle_timeout`.
 * {@link SshPool.run} retries an operation on a fresh connection when the transport fails
 * (server restart, network drop), with backoff, so callers never see a stale connection.
 */

import { FsError } from "../../errors.ts";
import { log } from "../../util/log.ts";
import { isConnectionError, SshConnectError, type SshConnection } from "./ssh_connection.ts";

/** Tuning of a pool. */
export interface SshPoolOptions {
  /** Close a connection after it has been unused this long (ms); 0 or less = never. */
  idleTimeoutMs: number;
  /** Most connections open at once. */
  maxConnections?: number;
  /** Operations sharing one connection before another is opened. */
  sharePerConnection?: number;
  /** Attempts after the first when the connection fails. */
  retries?: number;
  /** Longest wait between attempts (ms). */
  maxBackoffMs?: number;
  /** Name for messages, e.g. `user@host:22`. */
  label: string;
}

/** The transport failed and retries ran out; wraps the last error. */
export class SshConnectionLostError extends FsError {
  /** Creates the error; the message names the server. */
  constructor(label: string, cause: unknown) {
    super(
      `sftp: connection to ${label} failed: ${(cause as Error)?.message ?? String(cause)}`,
      5,
      { cause },
    );
  }
}

/** A pool of SSH connections to one server. */
export class SshPool {
  #open: () => Promise<SshConnection>;
  #conns: SshConnection[] = [];
  #connecting: Promise<SshConnection> | undefined;
  #idle = new Map<SshConnection, number>();
  #closed = false;
  #closing = new Set<SshConnection>();
  #opts: Required<SshPoolOptions>;

  /** Creates a pool that opens connections with `open`. */
  constructor(open: () => Promise<SshConnection>, opts: SshPoolOptions) {
    this.#open = open;
    this.#opts = {
      maxConnections: 8,
      sharePerConnection: 16,
      retries: 10,
      maxBackoffMs: 2000,
      ...opts,
    };
  }

  /** Number of live connections (for tests and status). */
  get size(): number {
    return this.#conns.filter((c) => !c.dead).length;
  }

  /** Adds an already open connection (the one made to validate the settings). */
  adopt(conn: SshConnection): void {
    this.#track(conn);
    this.#armIdle(conn);
  }

  #track(conn: SshConnection): void {
    this.#conns.push(conn);
    conn.onDead(() => {
      this.#conns = this.#conns.filter((c) => c !== conn);
      const t = this.#idle.get(conn);
      if (t !== undefined) clearTimeout(t);
      this.#idle.delete(conn);
    });
  }

  #armIdle(conn: SshConnection): void {
    if (conn.load > 0 || this.#opts.idleTimeoutMs <= 0 || conn.dead) return;
    const prev = this.#idle.get(conn);
    if (prev !== undefined) clearTimeout(prev);
    const t = setTimeout(() => {
      this.#idle.delete(conn);
      if (conn.load === 0) {
        log.debug(`sftp: closing idle connection ${conn.id} to ${this.#opts.label}`);
        this.#drop(conn);
      }
    }, this.#opts.idleTimeoutMs) as unknown as number;
    Deno.unrefTimer(t);
    this.#idle.set(conn, t);
  }

  /** Gets a connection for one operation; pair with {@link release}. */
  async acquire(): Promise<SshConnection> {
    for (;;) {
      if (this.#closed) throw new FsError(`sftp: backend for ${this.#opts.label} is closed`);
      const live = this.#conns.filter((c) => !c.dead);
      let best: SshConnection | undefined;
      for (const c of live) if (!best || c.load < best.load) best = c;
      const full = live.length >= this.#opts.maxConnections;
      if (best && (best.load < this.#opts.sharePerConnection || full || this.#connecting)) {
        if (best.load >= this.#opts.sharePerConnection && this.#connecting) {
          await this.#connecting.catch(() => {});
          continue;
        }
        return this.#take(best);
      }
      if (this.#connecting) {
        await this.#connecting.catch(() => {});
        continue;
      }
      const p = this.#open();
      this.#connecting = p;
      try {
        const conn = await p;
        if (this.#closed) {
          this.#drop(conn);
          continue;
        }
        this.#track(conn);
        return this.#take(conn);
      } finally {
        if (this.#connecting === p) this.#connecting = undefined;
      }
    }
  }

  #drop(conn: SshConnection): void {
    this.#closing.add(conn);
    conn.close().then(() => this.#closing.delete(conn));
  }

  #take(conn: SshConnection): SshConnection {
    conn.load++;
    const t = this.#idle.get(conn);
    if (t !== undefined) clearTimeout(t);
    this.#idle.delete(conn);
    return conn;
  }

  /** Returns a connection; `broken` closes it so nobody else gets it. */
  release(conn: SshConnection, broken = false): void {
    conn.load = Math.max(0, conn.load - 1);
    if (broken || this.#closed) {
      if (broken || conn.load === 0) this.#drop(conn);
      return;
    }
    this.#armIdle(conn);
  }

  /**
   * Acquires a connection and runs `setup` on it (opening a file, say). When either fails with
   * a transport error the connection is dropped and, after a backoff, both run again on a new
   * one; each failure counts in `tries.failures`, which the caller shares with its own resends,
   * up to {@link retries}. Other errors are thrown as they are. The caller releases the
   * connection it gets.
   */
  async acquireWith<T>(
    setup: (conn: SshConnection) => Promise<T>,
    tries: { failures: number },
  ): Promise<{ conn: SshConnection; value: T }> {
    for (;;) {
      let conn: SshConnection;
      try {
        conn = await this.acquire();
      } catch (err) {
        if (!isConnectionError(err) || ++tries.failures > this.#opts.retries) throw err;
        await this.backoff(tries.failures);
        continue;
      }
      try {
        return { conn, value: await setup(conn) };
      } catch (err) {
        const broken = isConnectionError(err, conn);
        this.release(conn, broken);
        if (!broken) throw err;
        if (++tries.failures > this.#opts.retries) {
          throw new SshConnectionLostError(this.#opts.label, err);
        }
        await this.backoff(tries.failures);
      }
    }
  }

  /** Waits before attempt `attempt` (1-based). */
  backoff(attempt: number): Promise<void> {
    const ms = Math.min(100 * 2 ** (attempt - 1), this.#opts.maxBackoffMs);
    return new Promise((r) => setTimeout(r, ms));
  }

  /** The number of retries allowed after a transport failure. */
  get retries(): number {
    return this.#opts.retries;
  }

  /**
   * Runs `fn` with a connection. When the transport fails (or a reconnect is refused), the
   * connection is dropped and `fn` runs again on a new one, up to `retries` times; `attempt`
   * tells `fn` whether it is a repeat. SFTP status errors are not retried.
   */
  async run<T>(fn: (conn: SshConnection, attempt: number) => Promise<T>): Promise<T> {
    for (let attempt = 0;; attempt++) {
      let conn: SshConnection;
      try {
        conn = await this.acquire();
      } catch (err) {
        if (this.#closed || !isConnectionError(err) || attempt >= this.#opts.retries) throw err;
        log.debug(`sftp: reconnect to ${this.#opts.label} failed (${(err as Error).message})`);
        await this.backoff(attempt + 1);
        continue;
      }
      try {
        const out = await fn(conn, attempt);
        this.release(conn);
        return out;
      } catch (err) {
        const broken = isConnectionError(err, conn);
        this.release(conn, broken);
        if (!broken) throw err;
        if (this.#closed || attempt >= this.#opts.retries) {
          throw err instanceof SshConnectError ? err : new SshConnectionLostError(
            this.#opts.label,
            err,
          );
        }
        log.debug(
          `sftp: connection ${conn.id} to ${this.#opts.label} failed (${
            (err as Error).message
          }); retrying`,
        );
        await this.backoff(attempt + 1);
      }
    }
  }

  /** Closes every connection; the pool refuses new work afterwards. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const t of this.#idle.values()) clearTimeout(t);
    this.#idle.clear();
    const all = this.#conns.splice(0);
    await Promise.all([...all, ...this.#closing].map((c) => c.close()));
    this.#closing.clear();
  }
}

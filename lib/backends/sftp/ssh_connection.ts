/**
 * @module
 * One SSH connection with its SFTP session, as promises. Connecting checks the host key against
 * known_hosts (a mismatch or an unknown host is an error, never a silent accept), sets TCP_NODELAY
 * once ready (ssh2 never does, and request/response traffic otherwise stalls on delayed ACKs) with
 * the socket writes of each burst joined into one (`write_coalescer.ts`), has libsodium encrypt and
 * decrypt the packets where it can (`sodium_transport.ts`), and turns failures into
 * {@link SshConnectError}s that name the server and the reason without any secret. The SFTP
 * session is rclone's `subsystem` or, when set, its `server_command` run by an `exec` request
 * (`startSftp`), bounded by the connect timeout. A connection marks itself dead when the
 * transport goes away. Listings keep several READDIRs in flight; {@link declaredLimits} reports
 * the request sizes the server accepts.
 */

// @ts-types="@types/ssh2"
import { Client } from "ssh2";
// @ts-types="@types/ssh2"
import type {
  AnyAuthMethod,
  ClientChannel,
  ConnectConfig,
  OpenMode,
  SFTPWrapper,
  Stats,
} from "ssh2";
import { Buffer } from "node:buffer";
import { FsError } from "../../errors.ts";
import { log, redact } from "../../util/log.ts";
import type { SshAlgorithms } from "./ssh_algorithms.ts";
import { type CoalescableSocket, coalesceWrites } from "./write_coalescer.ts";
import { installSodiumTransport, sodiumInUse } from "./sodium_transport.ts";
import type { SshAuth } from "./auth.ts";
import { checkHostKey, fingerprint, keyTypeOf, type KnownHostEntry } from "./known_hosts.ts";

/** Why a connection could not be made. */
export type SshConnectFailure =
  | "auth"
  | "host-key"
  | "refused"
  | "unreachable"
  | "timeout"
  | "config"
  | "protocol";

/** A connection could not be established; the message names user@host:port and the reason. */
export class SshConnectError extends FsError {
  /** The class of failure; `auth`, `host-key` and `config` are never retried. */
  readonly kind: SshConnectFailure;
  /** Creates a connect error. */
  constructor(message: string, kind: SshConnectFailure, options?: ErrorOptions) {
    super(message, kind === "auth" ? 13 : kind === "timeout" ? 110 : 5, options);
    this.kind = kind;
  }
  /** Whether trying again later may succeed. */
  get transient(): boolean {
    return this.kind === "refused" || this.kind === "unreachable" || this.kind === "timeout" ||
      this.kind === "protocol";
  }
}

/** Everything needed to open a connection. */
export interface SshSettings {
  /** Host name or address. */
  host: string;
  /** TCP port. */
  port: number;
  /** Login name. */
  user: string;
  /** Authentication settings. */
  auth: SshAuth;
  /** Offered algorithms. */
  algorithms: SshAlgorithms;
  /** known_hosts entries to check the host key against; undefined = accept any key. */
  knownHosts?: { file: string; entries: KnownHostEntry[] };
  /** Environment variables for the SFTP session and commands. */
  env?: Record<string, string>;
  /** rclone's `subsystem`: the SSH subsystem serving SFTP (default `sftp`). */
  subsystem?: string;
  /**
   * rclone's `server_command`: when not empty, the SFTP session is this command (an SSH `exec`
   * request) instead of a subsystem, and `subsystem` is ignored.
   */
  serverCommand?: string;
  /** Timeout of TCP connect plus handshake, ms. */
  connectTimeoutMs: number;
  /** SSH keepalive interval, ms (0 = off). */
  keepaliveMs: number;
}

/** Output of a remote command. */
export interface ExecResult {
  /** Exit code (-1 if killed by a signal). */
  code: number;
  /** Standard output. */
  stdout: string;
  /** Standard error. */
  stderr: string;
}

let nextId = 1;

/** Exec channels one connection runs at once (OpenSSH's MaxSessions defaults to 10). */
export const MAX_EXEC_CHANNELS = 4;

/** One live SSH connection and its SFTP session. */
export class SshConnection {
  /** Number for debug messages. */
  readonly id = nextId++;
  /** The SFTP session. */
  readonly sftp: SFTPWrapper;
  /** Operations currently using this connection (kept by the pool). */
  load = 0;
  #client: Client;
  #dead = false;
  #onDead: (() => void)[] = [];
  #env?: Record<string, string>;
  #closed: Promise<void> | undefined;
  #socketClosed = false;
  #execs = 0;
  #execWaiters: (() => void)[] = [];

  private constructor(client: Client, sftp: SFTPWrapper, env?: Record<string, string>) {
    this.#client = client;
    this.sftp = sftp;
    this.#env = env;
    const die = () => this.#markDead();
    client.on("close", () => {
      this.#socketClosed = true;
      die();
    });
    client.on("end", die);
    client.on("error", die);
    sftp.on("close", die);
    sftp.on("error", die);
  }

  /** True once the transport or the SFTP channel has gone away. */
  get dead(): boolean {
    return this.#dead;
  }

  /** Which directions of the transport run on libsodium now (`sodium_transport.ts`). */
  get sodium(): { cipher: boolean; decipher: boolean } {
    return sodiumInUse((this.#client as unknown as { _protocol: unknown })._protocol);
  }

  /** Registers a callback run once when the connection dies. */
  onDead(fn: () => void): void {
    if (this.#dead) fn();
    else this.#onDead.push(fn);
  }

  #markDead(): void {
    if (this.#dead) return;
    this.#dead = true;
    failPendingRequests(this.sftp);
    for (const fn of this.#onDead.splice(0)) fn();
  }

  /** Opens a connection and its SFTP session. Throws {@link SshConnectError}. */
  static async open(s: SshSettings): Promise<SshConnection> {
    const where = `${s.user}@${s.host}:${s.port}`;
    const client = new Client();
    let hostKeyProblem: string | undefined;
    const config: ConnectConfig = {
      host: s.host,
      port: s.port,
      username: s.user,
      authHandler: authMethods(s.user, s.auth),
      readyTimeout: s.connectTimeoutMs,
      keepaliveInterval: s.keepaliveMs,
      keepaliveCountMax: 3,
      algorithms: {
        kex: s.algorithms.kex as never,
        cipher: s.algorithms.cipher as never,
        hmac: s.algorithms.hmac as never,
        serverHostKey: s.algorithms.serverHostKey as never,
      },
      hostVerifier: (key: Buffer) => {
        if (!s.knownHosts) return true;
        const blob = new Uint8Array(key);
        const r = checkHostKey(s.knownHosts.entries, s.host, s.port, blob);
        if (r.ok) return true;
        const what = `the server's ${keyTypeOf(blob)} key ${fingerprint(blob)}`;
        const file = JSON.stringify(s.knownHosts.file);
        hostKeyProblem = r.reason === "unknown"
          ? `${what} is unknown: the host is not in known_hosts_file ${file}`
          : r.reason === "revoked"
          ? `${what} is revoked in known_hosts_file ${file}`
          : `${what} does not match known_hosts_file ${file} (known: ${
            r.knownTypes.join(", ")
          }) - possible man-in-the-middle attack`;
        return false;
      },
    };
    const failWith = (err: unknown): SshConnectError => {
      const e = err as Error & { level?: string; code?: string };
      const msg = redact(e?.message ?? String(err));
      const prefix = `sftp: couldn't connect to ${where}`;
      if (hostKeyProblem !== undefined) {
        return new SshConnectError(
          `${prefix}: host key verification failed: ${hostKeyProblem}`,
          "host-key",
        );
      }
      if (e?.level === "client-authentication") {
        return new SshConnectError(
          `${prefix}: authentication failed (tried ${s.auth.methods.join(", ")})`,
          "auth",
        );
      }
      if (e?.level === "client-timeout") {
        return new SshConnectError(
          `${prefix}: timed out after ${s.connectTimeoutMs}ms waiting for the SSH handshake`,
          "timeout",
        );
      }
      if (e?.code === "ECONNREFUSED") {
        return new SshConnectError(`${prefix}: connection refused`, "refused");
      }
      if (
        e?.level === "client-dns" || e?.code === "ENOTFOUND" || e?.code === "EHOSTUNREACH" ||
        e?.code === "ENETUNREACH" || e?.code === "EAI_AGAIN"
      ) {
        return new SshConnectError(`${prefix}: host unreachable: ${msg}`, "unreachable");
      }
      if (/privateKey|Unsupported algorithm|passphrase/i.test(msg)) {
        return new SshConnectError(`${prefix}: invalid configuration: ${msg}`, "config");
      }
      return new SshConnectError(`${prefix}: ${msg}`, "protocol");
    };
    // An error must never be unhandled, not even a second one ssh2 raises right after the
    // first (a failed signature, then "All configured authentication methods failed") once the
    // handshake's listener below is gone: the connection reports the first and marks itself dead.
    client.on("error", () => {});
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const done = (err?: unknown) => {
        if (settled) return;
        settled = true;
        client.removeListener("ready", onReady);
        client.removeListener("error", onError);
        client.removeListener("close", onClose);
        if (err === undefined) resolve();
        else {
          client.destroy();
          reject(failWith(err));
        }
      };
      const onReady = () => done();
      const onError = (err: Error) => done(err);
      const onClose = () => done(new Error("connection closed during the handshake"));
      client.on("ready", onReady);
      client.on("error", onError);
      client.on("close", onClose);
      client.once("handshake", (n) => {
        const proto = (client as unknown as { _protocol: unknown })._protocol;
        log.debug(
          `sftp: ${where}: kex ${n.kex}, host key ${n.serverHostKey}, cipher ${n.sc?.cipher}${
            sodiumInUse(proto).decipher ? " (libsodium)" : ""
          }`,
        );
      });
      try {
        client.connect(config);
        // connect() has created the socket synchronously; nothing is written to it yet.
        coalesceWrites((client as unknown as { _sock: CoalescableSocket })._sock);
        // Packets encrypted and decrypted by libsodium where it can (sodium_transport.ts).
        installSodiumTransport((client as unknown as { _protocol: unknown })._protocol);
      } catch (err) {
        done(err);
      }
    });
    // Without this every request/response round trip waits for a delayed ACK.
    client.setNoDelay(true);
    const sftp = await startSftp(client, s, where);
    return new SshConnection(client, sftp, s.env);
  }

  /**
   * Runs a command over an exec channel with empty stdin, collecting its output. At most
   * {@link MAX_EXEC_CHANNELS} run at once per connection (OpenSSH allows 10 sessions per
   * connection and the SFTP session is one of them); the rest wait their turn.
   */
  async exec(command: string, timeoutMs = 30_000): Promise<ExecResult> {
    while (this.#execs >= MAX_EXEC_CHANNELS) {
      await new Promise<void>((r) => this.#execWaiters.push(r));
    }
    this.#execs++;
    try {
      return await this.#execNow(command, timeoutMs);
    } finally {
      this.#execs--;
      this.#execWaiters.shift()?.();
    }
  }

  #execNow(command: string, timeoutMs: number): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      const opts = this.#env ? { env: this.#env } : {};
      let timer: number | undefined;
      try {
        this.#client.exec(command, opts, (err: Error | undefined, ch: ClientChannel) => {
          if (err) return reject(err);
          const out: Buffer[] = [];
          const errOut: Buffer[] = [];
          let code = -1;
          timer = setTimeout(() => {
            ch.close();
            reject(new Error(`command timed out after ${timeoutMs}ms`));
          }, timeoutMs) as unknown as number;
          ch.on("data", (d: Buffer) => out.push(d));
          ch.stderr.on("data", (d: Buffer) => errOut.push(d));
          ch.on("exit", (c: number | null) => code = c ?? -1);
          ch.on("error", (e: Error) => {
            clearTimeout(timer);
            reject(e);
          });
          ch.on("close", () => {
            clearTimeout(timer);
            resolve({
              code,
              stdout: Buffer.concat(out).toString("utf8"),
              stderr: Buffer.concat(errOut).toString("utf8"),
            });
          });
          ch.end();
        });
      } catch (err) {
        clearTimeout(timer);
        reject(err);
      }
    });
  }

  /** Ends the connection (politely, then forcibly after a second); resolves once closed. */
  close(): Promise<void> {
    this.#markDead();
    if (!this.#closed) {
      const c = this.#client;
      this.#closed = new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          c.destroy();
          resolve();
        }, 1000);
        c.once("close", () => {
          clearTimeout(timer);
          resolve();
        });
        try {
          this.sftp.end();
        } catch {
          // The channel is already gone.
        }
        try {
          c.end();
        } catch {
          c.destroy();
        }
        if (this.#socketClosed) {
          clearTimeout(timer);
          resolve();
        }
      });
    }
    return this.#closed;
  }
}

/** The request that starts the SFTP session, by the rclone option that chose it. */
interface SessionRequest {
  /** The option naming it, for error messages. */
  option: "subsystem" | "server_command";
  /** The subsystem name or the command line. */
  value: string;
}

/**
 * rclone 1.60's rule (backend/sftp/sftp.go, `newSftpClient`): a non-empty `server_command` is
 * run (an `exec` request) and `subsystem` is ignored; otherwise the `subsystem` is requested.
 * `set_env` applies to both.
 */
function sessionRequest(s: SshSettings): SessionRequest {
  const command = s.serverCommand ?? "";
  if (command !== "") return { option: "server_command", value: command };
  return { option: "subsystem", value: s.subsystem ?? "sftp" };
}

/** Whether `req` is other than ssh2's own request, the `sftp` subsystem. */
function isCustom(req: SessionRequest): boolean {
  return req.option === "server_command" || req.value !== "sftp";
}

/** The two request senders of ssh2's protocol object that {@link redirectSftpRequest} uses. */
interface ProtocolRequests {
  subsystem(channel: number, name: string, wantReply: boolean): void;
  exec(channel: number, command: string, wantReply: boolean): void;
}

/**
 * Makes the next `client.sftp()` start its channel with `req` instead of the `sftp` subsystem;
 * returns `used()` (whether the redirect ran) and `restore()`. Relies on two ssh2 1.x internals
 * (node_modules ssh2/lib/client.js): `Client#sftp` opens the session channel, sends the `env`
 * requests, then calls `client._protocol.subsystem(channelId, "sftp", true)` exactly once and
 * waits for its reply (through the channel's own callback queue, which also takes the reply to
 * an `exec`); and `_protocol.exec(channelId, command, wantReply)` sends an `exec` request. The
 * redirect is an own property of this connection's protocol object, removed at its first call
 * (and by `restore()`); no other channel is opened on a connection before its SFTP session, so
 * the first subsystem request is this one. If a later ssh2 took another path, `used()` stays
 * false and {@link startSftp} fails instead of silently using the `sftp` subsystem.
 */
function redirectSftpRequest(
  client: Client,
  req: SessionRequest,
): { used: () => boolean; restore: () => void } {
  const proto = (client as unknown as { _protocol?: ProtocolRequests })._protocol;
  if (typeof proto?.subsystem !== "function" || typeof proto.exec !== "function") {
    throw new Error("this ssh2 version has no subsystem/exec request senders");
  }
  const hadOwn = Object.hasOwn(proto, "subsystem");
  const original = proto.subsystem;
  let used = false;
  const restore = () => {
    if (hadOwn) proto.subsystem = original;
    else delete (proto as Partial<ProtocolRequests>).subsystem;
  };
  proto.subsystem = (channel: number, _name: string, wantReply: boolean) => {
    restore();
    used = true;
    if (req.option === "server_command") proto.exec(channel, req.value, wantReply);
    else original.call(proto, channel, req.value, wantReply);
  };
  return { used: () => used, restore };
}

/** E.g. `subsystem "x" (option "subsystem")` or `command "y" (option "server_command")`. */
function describe(req: SessionRequest): string {
  const noun = req.option === "subsystem" ? "subsystem" : "command";
  return `${noun} ${JSON.stringify(req.value)} (option "${req.option}")`;
}

/** Why starting the SFTP session failed, in words naming the option and its value. */
function sessionFailure(
  req: SessionRequest,
  err: Error & { code?: unknown },
  envCount: number,
): {
  reason: string;
  kind: SshConnectFailure;
} {
  const what = describe(req);
  const custom = isCustom(req);
  if (/^Unable to start subsystem/.test(err.message)) {
    // ssh2 1.x waits for one reply to all its `env` requests, so with several set_env variables
    // the refusal of a later one arrives where the answer to the session request is expected.
    const env = envCount > 1 ? " or one of the set_env variables" : "";
    return {
      reason: `the server refused ${what}${env}`,
      kind: custom ? "config" : "protocol",
    };
  }
  if (/^Unable to set environment/.test(err.message)) {
    return { reason: "the server refused the set_env variables", kind: "protocol" };
  }
  if (typeof err.code === "number") {
    const hint = err.code === 127
      ? " (command not found)"
      : err.code === 126
      ? " (command not executable)"
      : "";
    return {
      reason: `${what} exited with code ${err.code}${hint} before the SFTP handshake`,
      kind: custom && (err.code === 126 || err.code === 127) ? "config" : "protocol",
    };
  }
  return { reason: `${what}: ${err.message}`, kind: "protocol" };
}

/**
 * Opens the connection's SFTP session as rclone does (see {@link sessionRequest}), within the
 * connect timeout: a command that runs but never answers the SFTP version handshake is an
 * error, not a hang. On failure the client is destroyed and an {@link SshConnectError} names
 * the option and its value.
 */
async function startSftp(client: Client, s: SshSettings, where: string): Promise<SFTPWrapper> {
  const req = sessionRequest(s);
  const what = describe(req);
  const prefix = `sftp: couldn't start the SFTP session on ${where}`;
  let redirect: { used: () => boolean; restore: () => void } | undefined;
  let timer: number | undefined;
  try {
    if (isCustom(req)) redirect = redirectSftpRequest(client, req);
    const sftp = await new Promise<SFTPWrapper>((resolve, reject) => {
      timer = setTimeout(() => {
        const e = new Error(`no SFTP answer from ${what} within ${s.connectTimeoutMs}ms`);
        reject(Object.assign(e, { timeout: true }));
      }, s.connectTimeoutMs) as unknown as number;
      const cb = (err: Error | undefined, sftp: SFTPWrapper) => err ? reject(err) : resolve(sftp);
      if (s.env && Object.keys(s.env).length > 0) {
        (client as unknown as { sftp(env: Record<string, string>, c: typeof cb): void })
          .sftp(s.env, cb);
      } else client.sftp(cb);
    });
    if (redirect && !redirect.used()) {
      sftp.end();
      throw new Error("ssh2 did not send the redirected request (unsupported ssh2 version)");
    }
    sftp.on("error", () => {});
    return sftp;
  } catch (err) {
    client.destroy();
    const e = err as Error & { code?: unknown; timeout?: boolean };
    if (e.timeout) throw new SshConnectError(redact(`${prefix}: ${e.message}`), "timeout");
    const { reason, kind } = sessionFailure(req, e, Object.keys(s.env ?? {}).length);
    throw new SshConnectError(redact(`${prefix}: ${reason}`), kind);
  } finally {
    clearTimeout(timer);
    redirect?.restore();
  }
}

/** The authentication attempts in rclone's order: key, agent, password, keyboard-interactive. */
function authMethods(username: string, auth: SshAuth): AnyAuthMethod[] {
  const out: AnyAuthMethod[] = [];
  if (auth.privateKey) out.push({ type: "publickey", username, key: auth.privateKey });
  if (auth.agent) out.push({ type: "agent", username, agent: auth.agent });
  if (auth.password !== undefined) {
    const password = auth.password;
    out.push({ type: "password", username, password });
    out.push({
      type: "keyboard-interactive",
      username,
      prompt: (
        _n: string,
        _i: string,
        _l: string,
        prompts: unknown[],
        finish: (r: string[]) => void,
      ) => finish(prompts.map(() => password)),
    });
  }
  return out;
}

/** ssh2's SFTP status codes (SSH_FX_*). */
export const SftpStatus = {
  OK: 0,
  EOF: 1,
  NO_SUCH_FILE: 2,
  PERMISSION_DENIED: 3,
  FAILURE: 4,
  BAD_MESSAGE: 5,
  NO_CONNECTION: 6,
  CONNECTION_LOST: 7,
  OP_UNSUPPORTED: 8,
} as const;

/** The SFTP status code of an error, or undefined for transport-level errors. */
export function sftpStatusOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "number" ? code : undefined;
}

/** Whether an error means the connection is unusable (rather than an SFTP status reply). */
export function isConnectionError(err: unknown, conn?: SshConnection): boolean {
  if (err instanceof SshConnectError) return err.transient;
  if (err instanceof FsError) return false;
  const st = sftpStatusOf(err);
  if (st === SftpStatus.NO_CONNECTION || st === SftpStatus.CONNECTION_LOST) return true;
  if (st !== undefined) return conn?.dead ?? false;
  return true;
}

/** Promise wrappers for the SFTP requests the backend uses. */
export const sftpCall = {
  /** stat(2) following links. */
  stat: (s: SFTPWrapper, p: string) => call<Stats>(s, (cb) => s.stat(p, cb)),
  /** lstat(2). */
  lstat: (s: SFTPWrapper, p: string) => call<Stats>(s, (cb) => s.lstat(p, cb)),
  /** fstat of an open handle. */
  fstat: (s: SFTPWrapper, h: Buffer) => call<Stats>(s, (cb) => s.fstat(h, cb)),
  /** Reads a whole directory (see {@link readWholeDir}). */
  readdir: (s: SFTPWrapper, p: string) => readWholeDir(s, p),
  /** Opens a file (`r`, `w`, `r+`…). */
  open: (s: SFTPWrapper, p: string, flags: OpenMode, mode?: number) =>
    call<Buffer>(
      s,
      (cb) => mode === undefined ? s.open(p, flags, cb) : s.open(p, flags, { mode }, cb),
    ),
  /** Closes a handle. */
  close: (s: SFTPWrapper, h: Buffer) => call<void>(s, (cb) => s.close(h, cb)),
  /** Reads into a new buffer; returns the bytes read (empty at EOF). */
  read: (s: SFTPWrapper, h: Buffer, position: number, length: number) => {
    const buf = Buffer.allocUnsafe(length);
    return call<Uint8Array>(s, (cb) =>
      s.read(h, buf, 0, length, position, (err, n) => {
        if (err && sftpStatusOf(err) === SftpStatus.EOF) cb(undefined, new Uint8Array(0));
        else if (err) cb(err, new Uint8Array(0));
        else cb(undefined, buf.subarray(0, n));
      }));
  },
  /** Writes bytes at a position. */
  write: (s: SFTPWrapper, h: Buffer, position: number, data: Uint8Array) =>
    call<void>(s, (cb) =>
      s.write(
        h,
        Buffer.from(data.buffer, data.byteOffset, data.byteLength),
        0,
        data.byteLength,
        position,
        cb,
      )),
  /** Creates a directory. */
  mkdir: (s: SFTPWrapper, p: string) => call<void>(s, (cb) => s.mkdir(p, cb)),
  /** Removes a directory. */
  rmdir: (s: SFTPWrapper, p: string) => call<void>(s, (cb) => s.rmdir(p, cb)),
  /** Removes a file. */
  unlink: (s: SFTPWrapper, p: string) => call<void>(s, (cb) => s.unlink(p, cb)),
  /** SFTP v3 rename (fails if the target exists). */
  rename: (s: SFTPWrapper, a: string, b: string) => call<void>(s, (cb) => s.rename(a, b, cb)),
  /** posix-rename@openssh.com (atomically replaces the target). */
  posixRename: (s: SFTPWrapper, a: string, b: string) =>
    call<void>(s, (cb) => s.ext_openssh_rename(a, b, cb)),
  /** Sets atime and mtime (seconds) of a path. */
  utimes: (s: SFTPWrapper, p: string, atime: number, mtime: number) =>
    call<void>(s, (cb) => s.utimes(p, atime, mtime, cb)),
  /** Sets atime and mtime (seconds) of a handle. */
  futimes: (s: SFTPWrapper, h: Buffer, atime: number, mtime: number) =>
    call<void>(s, (cb) => s.futimes(h, atime, mtime, cb)),
  /** statvfs@openssh.com. */
  statvfs: (s: SFTPWrapper, p: string) =>
    call<Record<string, number | bigint>>(s, (cb) => s.ext_openssh_statvfs(p, cb)),
};

/** READDIR requests kept in flight while listing one directory. */
export const READDIR_AHEAD = 4;

/**
 * Lists a directory: OPENDIR, then READDIR requests with up to {@link READDIR_AHEAD} in flight
 * until the server answers EOF, then CLOSE. ssh2's own readdir waits for each batch (about 100
 * names from OpenSSH) before asking for the next, one round trip per batch. The server answers
 * a handle's requests in order, so every batch before the first EOF is kept, in order; `.` and
 * `..` are left out.
 */
async function readWholeDir(
  s: SFTPWrapper,
  path: string,
): Promise<{ filename: string; attrs: Stats }[]> {
  const handle = await call<Buffer>(s, (cb) => s.opendir(path, cb));
  const batches: { filename: string; attrs: Stats }[][] = [];
  const running = new Set<Promise<void>>();
  let next = 0;
  let eof = false;
  let failed: { err: unknown } | undefined;
  const one = (i: number) => {
    const p = call<{ filename: string; attrs: Stats }[]>(s, (cb) => s.readdir(handle, cb)).then(
      (list) => void (batches[i] = list),
      (err) => {
        if (sftpStatusOf(err) === SftpStatus.EOF) eof = true;
        else failed ??= { err };
      },
    ).finally(() => running.delete(p));
    running.add(p);
  };
  while (!eof && !failed) {
    while (running.size < READDIR_AHEAD && !eof && !failed) one(next++);
    await Promise.race(running);
  }
  await Promise.all(running);
  try {
    await call<void>(s, (cb) => s.close(handle, cb));
  } catch (err) {
    if (!failed) throw err;
  }
  if (failed) throw failed.err;
  return batches.flat();
}

/**
 * Whether an SFTP channel still accepts requests. ssh2 silently drops a request sent on a
 * channel that is no longer open and never calls it back, so every call checks this first.
 */
export function channelOpen(s: SFTPWrapper): boolean {
  return (s as unknown as { outgoing?: { state?: string } }).outgoing?.state === "open";
}

/** The error of a request that was not sent because the channel is closed (a transport error). */
function channelClosedError(): Error {
  return new Error("SFTP channel closed");
}

/** Rejecters of the requests in flight on each SFTP channel. */
const inFlight = new WeakMap<SFTPWrapper, Set<(err: Error) => void>>();
/** Channels whose connection died (ssh2 may still think they are open). */
const deadChannels = new WeakSet<SFTPWrapper>();

/**
 * Fails every request still waiting on `s`. Called when the channel or its connection goes
 * away: ssh2 answers requests pending at that moment, but not those its own multi-step calls
 * (readdir, long reads) issue afterwards, so without this they would wait forever.
 */
export function failPendingRequests(s: SFTPWrapper): void {
  deadChannels.add(s);
  const set = inFlight.get(s);
  if (!set) return;
  inFlight.delete(s);
  for (const reject of set) reject(channelClosedError());
}

function call<T>(
  s: SFTPWrapper,
  fn: (cb: (err: Error | undefined | null, v: T) => void) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (!channelOpen(s) || deadChannels.has(s)) return reject(channelClosedError());
    let set = inFlight.get(s);
    if (!set) inFlight.set(s, set = new Set());
    const pending = set;
    let done = false;
    const fail = (err: unknown) => {
      if (done) return;
      done = true;
      pending.delete(fail);
      reject(err);
    };
    pending.add(fail);
    try {
      fn((err, v) => {
        if (done) return;
        done = true;
        pending.delete(fail);
        if (err) reject(err);
        else resolve(v);
      });
    } catch (err) {
      fail(err);
    }
  });
}

/** Whether the server advertises an SFTP extension (e.g. `posix-rename@openssh.com`). */
export function hasExtension(s: SFTPWrapper, name: string): boolean {
  return !!(s as unknown as { _extensions?: Record<string, unknown> })._extensions?.[name];
}

/** The largest SFTP READ or WRITE data length used, whatever a server declares (256 KiB). */
export const MAX_TRANSFER = 256 * 1024;

/** Data lengths of one SFTP READ and WRITE a server declared it serves. */
export interface TransferLimits {
  /** `max-read-length`, capped at {@link MAX_TRANSFER}. */
  read: number;
  /** `max-write-length`, capped at {@link MAX_TRANSFER}. */
  write: number;
}

/**
 * The READ and WRITE data lengths the server declared (`limits@openssh.com`, OpenSSH 8.6+),
 * capped at {@link MAX_TRANSFER}; undefined when it declared none. ssh2 requests the limits
 * before the session is ready.
 */
export function declaredLimits(s: SFTPWrapper): TransferLimits | undefined {
  const w = s as unknown as {
    maxOpenHandles?: number;
    _maxReadLen?: number;
    _maxWriteLen?: number;
  };
  // ssh2 sets maxOpenHandles only from a limits reply.
  if (!hasExtension(s, "limits@openssh.com") || w.maxOpenHandles === undefined) return undefined;
  const read = Number(w._maxReadLen);
  const write = Number(w._maxWriteLen);
  if (!(read > 0) || !(write > 0)) return undefined;
  return { read: Math.min(read, MAX_TRANSFER), write: Math.min(write, MAX_TRANSFER) };
}

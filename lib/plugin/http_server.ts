/**
 * @module
 * Serves the pure plugin handler over HTTP/1.1 on a unix socket path, a TCP address or an
 * inherited file descriptor (systemd socket activation). Requests are framed by
 * {@link Http1RequestParser} and answered in order on each connection (keep-alive, pipelining).
 * Unix and TCP listeners are `Deno.listen` (one read and one write op per call, no Node stream
 * layers: `node:http` cost ~0.15 ms more per call); only the inherited fd goes through
 * `node:net` (imported on demand), since Deno can't listen on an fd. Every response carries `Content-Length` and
 * `Date` like Go's server; a request the parser can't frame gets a plain-text 4xx/5xx answer
 * and the connection is closed.
 */
import type { Socket } from "node:net";
import { runAfterReply } from "../util/after_reply.ts";
import { asciiString, isAscii, writeAscii } from "../util/byte_strings.ts";
import { log } from "../util/log.ts";
import type { Driver } from "./driver.ts";
import { handle, type WireResponse } from "./handler.ts";
import { type Http1Request, Http1RequestParser, HttpFramingError } from "./http1_request_parser.ts";

/**
 * The path of a request target, origin-form (`/Plugin.Activate?x`) or absolute-form
 * (`http://plugin/Plugin.Activate`, which Go's server — and so rclone — also accepts).
 */
export function requestPath(target: string): string {
  const absolute = target.charCodeAt(0) !== 0x2f /* "/" */ &&
    /^[a-z][a-z0-9+.-]*:\/\//i.test(target);
  const t = absolute ? new URL(target).pathname : target;
  const q = t.indexOf("?");
  return q < 0 ? t : t.slice(0, q);
}

/** Where the HTTP server listens. */
export type ListenSpec =
  | { kind: "unix"; path: string }
  | { kind: "tcp"; host: string; port: number }
  | { kind: "fd"; fd: number };

/** A listening plugin HTTP server. */
export interface PluginHttpServer {
  /** `tcp` servers: the actual address, `host:port` (`[::]:port` for IPv6). */
  readonly address: string;
  /** Stops accepting, closes every connection and resolves when the server is closed. */
  close(): Promise<void>;
}

const REASONS: Record<number, string> = {
  100: "Continue",
  200: "OK",
  400: "Bad Request",
  404: "Not Found",
  405: "Method Not Allowed",
  413: "Request Entity Too Large",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  505: "HTTP Version Not Supported",
};

/** Idle keep-alive connections are closed after this long (Go's server has no limit). */
export const IDLE_TIMEOUT_MS = 5 * 60_000;
/** Idle connections are looked for at most this often, when a new connection arrives. */
const IDLE_SWEEP_MS = 30_000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const CONTINUE = encoder.encode("HTTP/1.1 100 Continue\r\n\r\n");

let dateSecond = -1;
let dateText = "";

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * `ms` as an HTTP date (IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`), built from the UTC
 * fields: the same text as `Date.prototype.toUTCString`, whose first call costs a Deno process
 * ~1.5 MiB resident (V8's date formatting), which the idle plugin daemon need not hold.
 */
export function imfFixdate(ms: number): string {
  const d = new Date(ms);
  const p2 = (n: number) => String(n).padStart(2, "0");
  return `${DAYS[d.getUTCDay()]}, ${p2(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ` +
    `${String(d.getUTCFullYear()).padStart(4, "0")} ${p2(d.getUTCHours())}:` +
    `${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} GMT`;
}

/** `Date` header value (IMF-fixdate), recomputed at most once a second. */
function httpDate(): string {
  const now = Date.now();
  const s = Math.floor(now / 1000);
  if (s !== dateSecond) {
    dateSecond = s;
    dateText = imfFixdate(now);
  }
  return dateText;
}

/**
 * A connection's reusable output buffer: every answer is encoded into it instead of a fresh
 * array (a new ArrayBuffer per answer cost the daemon ~5-10 µs of CPU per call here, in
 * allocation and collection). It may be reused once the previous write of it has completed.
 */
export class OutputBuffer {
  /** The bytes, grown when an answer doesn't fit. */
  bytes: Uint8Array = new Uint8Array(1024);
}

/**
 * Serialises a response: status line, headers, `Content-Length`, body (omitted for HEAD).
 * With `out`, the result is a view into `out`'s bytes, valid until the next use of `out`.
 */
export function encodeResponse(
  r: WireResponse,
  opts: { close: boolean; head: boolean },
  out?: OutputBuffer,
): Uint8Array {
  const length = isAscii(r.body) ? r.body.length : encoder.encode(r.body).length;
  let h = `HTTP/1.1 ${r.status} ${REASONS[r.status] ?? "Unknown"}\r\n`;
  for (const k in r.headers) h += `${k}: ${r.headers[k]}\r\n`;
  h += `Date: ${httpDate()}\r\nContent-Length: ${length}\r\n`;
  if (opts.close) h += "Connection: close\r\n";
  h += "\r\n";
  const text = opts.head || length === 0 ? h : h + r.body;
  if (!out) return encoder.encode(text);
  const n = writeAscii(text, out.bytes);
  if (n >= 0) return out.bytes.subarray(0, n);
  for (;;) {
    const { read, written } = encoder.encodeInto(text, out.bytes);
    if (read === text.length) return out.bytes.subarray(0, written);
    out.bytes = new Uint8Array(Math.max(2 * out.bytes.length, 3 * text.length));
  }
}

function plainError(status: number, message: string): WireResponse {
  return {
    status,
    headers: { "Content-Type": "text/plain; charset=utf-8" },
    body: `${status} ${REASONS[status] ?? ""}: ${message}\n`,
  };
}

/** A byte stream the connection loop reads from and writes to. */
interface Stream {
  /** Reads into `buf`: the number of bytes read, or null at end of stream. */
  read(buf: Uint8Array): Promise<number | null>;
  /** Writes some of `data` (at least one byte): the number written. */
  write(data: Uint8Array): Promise<number>;
  /** Closes the stream (idempotent). */
  close(): void;
  /** True while a request of this connection is being handled. */
  busy: boolean;
  /** When the connection started waiting for bytes (0 while it is not waiting). */
  idleSince: number;
}

/**
 * Closes the connections of `streams` waiting for a request since before `now` minus
 * {@link IDLE_TIMEOUT_MS}; returns how many it closed.
 */
export function closeIdle(
  streams: Iterable<{ idleSince: number; close(): void }>,
  now: number,
): number {
  const cutoff = now - IDLE_TIMEOUT_MS;
  let n = 0;
  for (const s of streams) {
    if (s.idleSince && s.idleSince < cutoff) {
      s.close();
      n++;
    }
  }
  return n;
}

/**
 * Returns the function a server calls on each new connection: every {@link IDLE_SWEEP_MS} at
 * most, it closes the connections idle for longer than {@link IDLE_TIMEOUT_MS}. Idle
 * connections only pile up as new ones arrive, so sweeping then bounds them as a timer would,
 * without one: the first JS timer of a Deno process costs it ~3.5 MiB resident (the runtime's
 * timer machinery), which an idle plugin daemon would otherwise hold for this alone.
 */
function idleSweeper(streams: () => Iterable<Stream>): () => void {
  let last = Date.now();
  return () => {
    const now = Date.now();
    if (now - last < IDLE_SWEEP_MS) return;
    last = now;
    closeIdle(streams(), now);
  };
}

/** Writes all of `data`. */
async function writeAll(s: Stream, data: Uint8Array): Promise<void> {
  for (let off = 0; off < data.length;) off += await s.write(off ? data.subarray(off) : data);
}

/**
 * The encoded answer to `req`. The request path awaits as little as it can (a synchronous
 * answer is not awaited at all): on a daemon that sleeps between calls, every promise hop of a
 * request is paid in cache misses.
 */
function answer(
  driver: Driver,
  req: Http1Request,
  out: OutputBuffer,
): Uint8Array | Promise<Uint8Array> {
  const opts = { close: !req.keepAlive, head: req.method === "HEAD" };
  try {
    const body = asciiString(req.body) ?? decoder.decode(req.body);
    const r = handle(driver, req.method, requestPath(req.target), body);
    if (!(r instanceof Promise)) return encodeResponse(r, opts, out);
    return r.then((r) => encodeResponse(r, opts, out), (err) => handlerFailed(err, opts, out));
  } catch (err) {
    return handlerFailed(err, opts, out);
  }
}

/** The bare 500 answer when the handler itself failed (a bug: it answers every error). */
function handlerFailed(
  err: unknown,
  opts: { close: boolean; head: boolean },
  out: OutputBuffer,
): Uint8Array {
  log.error(`plugin handler failed: ${(err as Error).message}`);
  return encodeResponse({ status: 500, headers: {}, body: "" }, opts, out);
}

/**
 * Serves one connection: frames requests, answers them in order, closes on `Connection:
 * close`, on a framing error (after answering it), at end of stream, or after an idle period.
 */
async function serveConnection(driver: Driver, s: Stream): Promise<void> {
  const parser = new Http1RequestParser();
  const out = new OutputBuffer();
  const buf = new Uint8Array(64 * 1024);
  try {
    for (;;) {
      let req: Http1Request | undefined;
      try {
        req = parser.next();
      } catch (err) {
        if (!(err instanceof HttpFramingError)) throw err;
        await writeAll(
          s,
          encodeResponse(plainError(err.status, err.message), { close: true, head: false }),
        );
        return;
      }
      if (req) {
        s.busy = true;
        let res = answer(driver, req, out);
        if (res instanceof Promise) res = await res;
        s.busy = false;
        const n = await s.write(res);
        if (n < res.length) await writeAll(s, res.subarray(n));
        // Chores the request queued start now that its answer is out (see after_reply.ts).
        runAfterReply();
        if (!req.keepAlive) return;
        continue;
      }
      if (parser.wantsContinue()) await writeAll(s, CONTINUE);
      s.idleSince = Date.now();
      const n = await s.read(buf);
      s.idleSince = 0;
      if (n === null) return;
      parser.push(buf.subarray(0, n));
    }
  } catch {
    // A connection reset or closed under us: nothing to answer.
  } finally {
    s.close();
  }
}

/** Adapts a `Deno.Conn` (its reads and writes are the stream's). */
function denoStream(conn: Deno.Conn): Stream {
  let closed = false;
  return {
    busy: false,
    idleSince: 0,
    read: (buf) => conn.read(buf),
    write: (data) => conn.write(data),
    close() {
      if (closed) return;
      closed = true;
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    },
  };
}

/** Adapts a `node:net` socket to the pull-style {@link Stream}. */
function nodeStream(sock: Socket): Stream {
  const queue: (Uint8Array | null)[] = [];
  let waiter: (() => void) | undefined;
  const deliver = (c: Uint8Array | null) => {
    queue.push(c);
    const w = waiter;
    waiter = undefined;
    w?.();
  };
  sock.on("data", (c: Uint8Array) => deliver(c));
  sock.on("end", () => deliver(null));
  sock.on("close", () => deliver(null));
  sock.on("error", () => deliver(null));
  /** Moves queued bytes into `buf` (a chunk too big for it stays queued in part). */
  const take = (buf: Uint8Array): number | null => {
    const c = queue[0]!;
    if (c === null) return null;
    const n = Math.min(c.length, buf.length);
    buf.set(c.subarray(0, n));
    if (n < c.length) queue[0] = c.subarray(n);
    else queue.shift();
    return n;
  };
  return {
    busy: false,
    idleSince: 0,
    read(buf) {
      if (queue.length) return Promise.resolve(take(buf));
      return new Promise((res) => waiter = () => res(take(buf)));
    },
    write(data) {
      return new Promise((res, rej) =>
        sock.write(data, (err) => err ? rej(err) : res(data.length))
      );
    },
    close() {
      sock.destroy();
    },
  };
}

/**
 * Serves `listener` until closed. close() ends every connection and waits for those not in
 * the middle of a request (a handler stuck on a dead remote must not block the exit; its
 * answer is dropped with the connection).
 */
function serveDenoListener(
  driver: Driver,
  listener: Deno.Listener,
  address: string,
): PluginHttpServer {
  const conns = new Map<Stream, Promise<void>>();
  const sweep = idleSweeper(() => conns.keys());
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        sweep();
        if (conn.localAddr.transport === "tcp") (conn as Deno.TcpConn).setNoDelay(true);
        const s = denoStream(conn);
        conns.set(s, serveConnection(driver, s).finally(() => conns.delete(s)));
      }
    } catch (err) {
      if (!(err instanceof Deno.errors.BadResource)) {
        log.error(`plugin server: ${(err as Error).message}`);
      }
    }
  })();
  let closing: Promise<void> | undefined;
  return {
    address,
    close: () =>
      closing ??= (async () => {
        try {
          listener.close();
        } catch {
          // Already closed.
        }
        const idle = [...conns].filter(([s]) => !s.busy).map(([, p]) => p);
        for (const s of conns.keys()) s.close();
        await Promise.all([accepting, ...idle]);
      })(),
  };
}

/** Serves an inherited listening fd with `node:net` (loaded only then: it is big). */
async function serveFd(driver: Driver, fd: number): Promise<PluginHttpServer> {
  const { default: net } = await import("node:net");
  const socks = new Map<Socket, Stream>();
  const sweep = idleSweeper(() => socks.values());
  const server = net.createServer((sock) => {
    sweep();
    const s = nodeStream(sock);
    socks.set(sock, s);
    sock.setNoDelay?.(true);
    void serveConnection(driver, s).finally(() => socks.delete(sock));
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ fd }, () => {
      server.off("error", reject);
      server.on("error", (err) => log.error(`plugin server: ${err.message}`));
      resolve({
        address: `fd:${fd}`,
        close: () =>
          new Promise<void>((res) => {
            server.close(() => res());
            for (const s of socks.keys()) s.destroy();
          }),
      });
    });
  });
}

/** Starts serving `driver` on `spec`; resolves once the socket listens. */
export async function startHttpServer(
  driver: Driver,
  spec: ListenSpec,
): Promise<PluginHttpServer> {
  if (spec.kind === "fd") return await serveFd(driver, spec.fd);
  if (spec.kind === "unix") {
    const listener = Deno.listen({ transport: "unix", path: spec.path });
    return serveDenoListener(driver, listener, spec.path);
  }
  // An empty host listens on every address, IPv6 and IPv4 (dual-stack), like Go and Node.
  const listener = Deno.listen({ hostname: spec.host || "::", port: spec.port });
  const a = listener.addr as Deno.NetAddr;
  const address = a.hostname.includes(":")
    ? `[${a.hostname}]:${a.port}`
    : `${a.hostname}:${a.port}`;
  return serveDenoListener(driver, listener, address);
}

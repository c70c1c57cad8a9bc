/**
 * @module
 * Incremental HTTP/1.x request framing for the plugin server: bytes go in as they arrive,
 * complete requests (method, target, body) come out in order. It covers what Docker's plugin
 * client and other HTTP/1.1 clients send: origin- or absolute-form targets, `Content-Length`
 * or `chunked` bodies (chunk extensions and trailers skipped), keep-alive by default on
 * HTTP/1.1 and on request on HTTP/1.0, `Connection: close`, `Expect: 100-continue`, bare-LF
 * line endings and empty lines before a request (as Go's server tolerates). Malformed framing
 * is an {@link HttpFramingError} carrying the status to answer before closing the connection.
 */

/** One complete request. */
export interface Http1Request {
  /** Method, as sent (case-sensitive, like Go). */
  method: string;
  /** Request target as sent (`/Plugin.Activate`, `http://plugin/Plugin.Activate`, …). */
  target: string;
  /** The decoded body. */
  body: Uint8Array;
  /** Whether the connection stays open after the response. */
  keepAlive: boolean;
}

/** A request the server cannot frame; answer `status` and close the connection. */
export class HttpFramingError extends Error {
  /** HTTP status to answer with (400, 413, 431, 501, 505). */
  readonly status: number;
  /** Creates a framing error. */
  constructor(status: number, message: string) {
    super(message);
    this.name = "HttpFramingError";
    this.status = status;
  }
}

/** Largest request head (request line + headers), as Go's `DefaultMaxHeaderBytes` (1 MiB). */
export const MAX_HEAD_BYTES = 1 << 20;
/** Largest request body accepted (plugin requests are a few hundred bytes). */
export const MAX_BODY_BYTES = 16 << 20;

const LF = 0x0a;
const CR = 0x0d;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const latin1 = new TextDecoder("latin1");
const EMPTY = new Uint8Array(0);

interface Head {
  method: string;
  target: string;
  keepAlive: boolean;
  chunked: boolean;
  length: number;
  expectContinue: boolean;
}

/** Index just past the blank line ending the head starting at `from`, or -1. */
function headEnd(buf: Uint8Array, from: number, to: number): number {
  for (let i = buf.indexOf(LF, from); i >= 0 && i < to; i = buf.indexOf(LF, i + 1)) {
    if (i + 1 < to && buf[i + 1] === LF) return i + 2;
    if (i + 2 < to && buf[i + 1] === CR && buf[i + 2] === LF) return i + 3;
  }
  return -1;
}

/** Every header line of a head is `token ":" value` (one native regex pass over them all). */
const HEADER_LINES = /^(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[^\n]*\n)*\r?\n$/;

/**
 * Parses a head (request line, header lines, blank line). Written for the interpreter as much
 * as for the JIT: a plugin answers a few hundred requests, so most run before V8 optimises
 * this. One regex validates all header lines, and only the four framing headers are looked at
 * (found by name length before any lower-casing).
 */
function parseHead(text: string): Head {
  const eol = text.indexOf("\n");
  const line = text.charCodeAt(eol - 1) === CR ? text.slice(0, eol - 1) : text.slice(0, eol);
  const sp1 = line.indexOf(" ");
  const sp2 = line.indexOf(" ", sp1 + 1);
  const method = line.slice(0, sp1);
  const target = line.slice(sp1 + 1, sp2);
  const version = line.slice(sp2 + 1);
  if (
    sp1 <= 0 || sp2 <= sp1 + 1 || line.indexOf(" ", sp2 + 1) >= 0 || !TOKEN.test(method) ||
    !/^HTTP\/\d\.\d$/.test(version)
  ) {
    throw new HttpFramingError(400, "malformed request line");
  }
  if (version !== "HTTP/1.1" && version !== "HTTP/1.0") {
    throw new HttpFramingError(505, "HTTP version not supported");
  }
  if (!HEADER_LINES.test(text.slice(eol + 1))) {
    throw new HttpFramingError(400, "malformed header line");
  }
  let length = -1;
  let chunked = false;
  let connection = "";
  let expectContinue = false;
  for (let at = eol + 1, nl = text.indexOf("\n", at); nl > at + 1; nl = text.indexOf("\n", at)) {
    const colon = text.indexOf(":", at);
    const nameLength = colon - at;
    if (nameLength === 14 || nameLength === 17 || nameLength === 10 || nameLength === 6) {
      const name = text.slice(at, colon).toLowerCase();
      const value = text.slice(colon + 1, nl).trim();
      if (name === "content-length") {
        if (!/^\d{1,15}$/.test(value)) throw new HttpFramingError(400, "bad Content-Length");
        const n = Number(value);
        if (length >= 0 && length !== n) {
          throw new HttpFramingError(400, "conflicting Content-Length");
        }
        length = n;
      } else if (name === "transfer-encoding") {
        const codings = value.toLowerCase().split(",").map((c) => c.trim()).filter((c) => c);
        if (codings.length !== 1 || codings[0] !== "chunked") {
          throw new HttpFramingError(501, `unsupported transfer encoding ${value}`);
        }
        chunked = true;
      } else if (name === "connection") {
        connection += `,${value.toLowerCase()}`;
      } else if (name === "expect") {
        if (value.toLowerCase() === "100-continue") expectContinue = true;
      }
    }
    at = nl + 1;
  }
  if (chunked && length >= 0) {
    throw new HttpFramingError(400, "both Transfer-Encoding and Content-Length");
  }
  let keepAlive = version === "HTTP/1.1";
  if (connection) {
    const tokens = connection.split(",").map((c) => c.trim());
    keepAlive = keepAlive ? !tokens.includes("close") : tokens.includes("keep-alive");
  }
  if (length > MAX_BODY_BYTES) throw new HttpFramingError(413, "request body too large");
  return { method, target, keepAlive, chunked, length: Math.max(length, 0), expectContinue };
}

/**
 * Decodes a chunked body in `buf[from, to)`: the body and the index just past the trailers,
 * or undefined when more bytes are needed.
 */
function decodeChunked(
  buf: Uint8Array,
  from: number,
  to: number,
): { body: Uint8Array; end: number } | undefined {
  const parts: Uint8Array[] = [];
  let total = 0;
  let at = from;
  for (;;) {
    const nl = buf.indexOf(LF, at);
    if (nl < 0 || nl >= to) {
      if (to - at > 4096) throw new HttpFramingError(400, "malformed chunk size line");
      return undefined;
    }
    const line = latin1.decode(buf.subarray(at, nl)).replace(/\r$/, "");
    const hex = line.split(";")[0]!.trim();
    if (!/^[0-9a-fA-F]{1,8}$/.test(hex)) throw new HttpFramingError(400, "malformed chunk size");
    const size = parseInt(hex, 16);
    at = nl + 1;
    if (size === 0) {
      // Trailers (skipped) up to an empty line.
      for (;;) {
        const t = buf.indexOf(LF, at);
        if (t < 0 || t >= to) return undefined;
        const empty = t === at || (t === at + 1 && buf[at] === CR);
        at = t + 1;
        if (empty) break;
      }
      if (parts.length <= 1) return { body: parts[0] ?? EMPTY, end: at };
      const body = new Uint8Array(total);
      let o = 0;
      for (const p of parts) {
        body.set(p, o);
        o += p.length;
      }
      return { body, end: at };
    }
    total += size;
    if (total > MAX_BODY_BYTES) throw new HttpFramingError(413, "request body too large");
    if (to - at < size + 1) return undefined;
    parts.push(buf.subarray(at, at + size));
    at += size;
    if (buf[at] === CR) {
      if (to - at < 2) return undefined;
      at++;
    }
    if (buf[at] !== LF) throw new HttpFramingError(400, "malformed chunk");
    at++;
  }
}

/** Splits a byte stream into HTTP/1.x requests. */
export class Http1RequestParser {
  #buf = new Uint8Array(4096);
  #start = 0;
  #end = 0;
  #head?: Head;
  #bodyStart = 0;
  #continueSent = false;

  /** Appends bytes read from the connection. */
  push(chunk: Uint8Array): void {
    if (this.#start === this.#end) this.#start = this.#end = 0;
    if (this.#end + chunk.length > this.#buf.length) {
      const used = this.#end - this.#start;
      const need = used + chunk.length;
      if (need > this.#buf.length) {
        const next = new Uint8Array(Math.max(need, this.#buf.length * 2));
        next.set(this.#buf.subarray(this.#start, this.#end), 0);
        this.#buf = next;
      } else {
        this.#buf.copyWithin(0, this.#start, this.#end);
      }
      this.#bodyStart -= this.#start;
      this.#end = used;
      this.#start = 0;
    }
    this.#buf.set(chunk, this.#end);
    this.#end += chunk.length;
  }

  /**
   * True once when the current request asked for `100 Continue` and its body has not fully
   * arrived: the server should send `HTTP/1.1 100 Continue` now.
   */
  wantsContinue(): boolean {
    if (!this.#head?.expectContinue || this.#continueSent) return false;
    this.#continueSent = true;
    return true;
  }

  /**
   * The next complete request, or undefined until more bytes arrive. Throws
   * {@link HttpFramingError} on malformed or oversized input.
   */
  next(): Http1Request | undefined {
    const buf = this.#buf;
    if (!this.#head) {
      // Empty lines before a request line are ignored (RFC 9112 §2.2).
      while (this.#start < this.#end && (buf[this.#start] === CR || buf[this.#start] === LF)) {
        this.#start++;
      }
      if (this.#start === this.#end) return undefined;
      const end = headEnd(buf, this.#start, this.#end);
      if (end < 0) {
        if (this.#end - this.#start > MAX_HEAD_BYTES) {
          throw new HttpFramingError(431, "request header fields too large");
        }
        return undefined;
      }
      if (end - this.#start > MAX_HEAD_BYTES) {
        throw new HttpFramingError(431, "request header fields too large");
      }
      this.#head = parseHead(latin1.decode(buf.subarray(this.#start, end)));
      this.#bodyStart = end;
      this.#continueSent = false;
    }
    const head = this.#head;
    let body: Uint8Array;
    let end: number;
    if (head.chunked) {
      const r = decodeChunked(buf, this.#bodyStart, this.#end);
      if (!r) return undefined;
      body = r.body.slice();
      end = r.end;
    } else {
      end = this.#bodyStart + head.length;
      if (end > this.#end) return undefined;
      body = head.length ? buf.slice(this.#bodyStart, end) : EMPTY;
    }
    this.#start = end;
    this.#head = undefined;
    return { method: head.method, target: head.target, body, keepAlive: head.keepAlive };
  }
}

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

import { latin1String } from "../util/byte_strings.ts";

/** One complete request. */
export interface Http1Request {
  /** Method, as sent (case-sensitive, like Go). */
  method: string;
  /** Request target as sent (`/Plugin.Activate`, `http://plugin/Plugin.Activate`, …). */
  target: string;
  /**
   * The decoded body: a view into the parser's buffer (no copy), valid until the next
   * {@link Http1RequestParser.push}, so decode or copy it before pushing more bytes.
   */
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
const SP = 0x20;
const HT = 0x09;
const COLON = 0x3a;
const EMPTY = new Uint8Array(0);

/** 1 for the bytes of an RFC 9110 token (method, header name). */
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
  TCHAR[c.charCodeAt(0)] = 1;
}

/** Whether `buf[at, at + name.length)` is `name` (lower case) in any letter case. */
function nameIs(buf: Uint8Array, at: number, name: Uint8Array): boolean {
  for (let i = 0; i < name.length; i++) {
    const b = buf[at + i]!;
    if ((b >= 0x41 && b <= 0x5a ? b | 0x20 : b) !== name[i]) return false;
  }
  return true;
}

/** Whether `buf[at, at + prefix.length)` is exactly `prefix`. */
function startsWith(buf: Uint8Array, at: number, prefix: Uint8Array): boolean {
  for (let i = 0; i < prefix.length; i++) if (buf[at + i] !== prefix[i]) return false;
  return true;
}

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const CONTENT_LENGTH = bytes("content-length");
const TRANSFER_ENCODING = bytes("transfer-encoding");
const CONNECTION = bytes("connection");
const EXPECT = bytes("expect");
const HTTP_SLASH = bytes("HTTP/");

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

const isDigit = (b: number | undefined) => b !== undefined && b >= 0x30 && b <= 0x39;

/**
 * Parses the head in `buf[start, end)` (request line, header lines, the empty line), byte by
 * byte: a token method, one space, a target without spaces, one space, `HTTP/d.d`; header lines
 * `token ":" value`. Values are trimmed of spaces, tabs and the CR of a CRLF.
 */
function parseHead(buf: Uint8Array, start: number, end: number): Head {
  const eol = buf.indexOf(LF, start);
  const lineEnd = buf[eol - 1] === CR ? eol - 1 : eol;
  let sp1 = start;
  while (sp1 < lineEnd && TCHAR[buf[sp1]!]) sp1++;
  let sp2 = sp1 + 1;
  while (sp2 < lineEnd && buf[sp2] !== SP) sp2++;
  const v = sp2 + 1;
  if (
    sp1 === start || buf[sp1] !== SP || sp2 === sp1 + 1 || sp2 >= lineEnd ||
    lineEnd - v !== 8 || !startsWith(buf, v, HTTP_SLASH) || !isDigit(buf[v + 5]) ||
    buf[v + 6] !== 0x2e || !isDigit(buf[v + 7])
  ) {
    throw new HttpFramingError(400, "malformed request line");
  }
  const minor = buf[v + 7]! - 0x30;
  if (buf[v + 5] !== 0x31 || minor > 1) {
    throw new HttpFramingError(505, "HTTP version not supported");
  }
  let length = -1;
  let chunked = false;
  let close = false;
  let keepAliveAsked = false;
  let expectContinue = false;
  for (let at = eol + 1;;) {
    const nl = buf.indexOf(LF, at);
    if (nl < 0 || nl >= end) throw new HttpFramingError(400, "malformed header line");
    if (nl === at || (nl === at + 1 && buf[at] === CR)) break; // the empty line
    let colon = at;
    while (colon < nl && TCHAR[buf[colon]!]) colon++;
    if (colon === at || buf[colon] !== COLON) {
      throw new HttpFramingError(400, "malformed header line");
    }
    let from = colon + 1;
    let to = nl;
    while (from < to && (buf[from] === SP || buf[from] === HT)) from++;
    while (to > from && (buf[to - 1] === SP || buf[to - 1] === HT || buf[to - 1] === CR)) to--;
    const nameLength = colon - at;
    if (nameLength === CONTENT_LENGTH.length && nameIs(buf, at, CONTENT_LENGTH)) {
      let n = 0;
      for (let i = from; i < to; i++) {
        if (!isDigit(buf[i])) throw new HttpFramingError(400, "bad Content-Length");
        n = n * 10 + buf[i]! - 0x30;
      }
      if (to === from || to - from > 15) throw new HttpFramingError(400, "bad Content-Length");
      if (length >= 0 && length !== n) {
        throw new HttpFramingError(400, "conflicting Content-Length");
      }
      length = n;
    } else if (nameLength === TRANSFER_ENCODING.length && nameIs(buf, at, TRANSFER_ENCODING)) {
      const value = latin1String(buf, from, to);
      const codings = value.toLowerCase().split(",").map((c) => c.trim()).filter((c) => c);
      if (codings.length !== 1 || codings[0] !== "chunked") {
        throw new HttpFramingError(501, `unsupported transfer encoding ${value}`);
      }
      chunked = true;
    } else if (nameLength === CONNECTION.length && nameIs(buf, at, CONNECTION)) {
      for (const token of latin1String(buf, from, to).toLowerCase().split(",")) {
        const t = token.trim();
        if (t === "close") close = true;
        else if (t === "keep-alive") keepAliveAsked = true;
      }
    } else if (nameLength === EXPECT.length && nameIs(buf, at, EXPECT)) {
      if (latin1String(buf, from, to).toLowerCase() === "100-continue") expectContinue = true;
    }
    at = nl + 1;
  }
  if (chunked && length >= 0) {
    throw new HttpFramingError(400, "both Transfer-Encoding and Content-Length");
  }
  if (length > MAX_BODY_BYTES) throw new HttpFramingError(413, "request body too large");
  return {
    method: latin1String(buf, start, sp1),
    target: latin1String(buf, sp1 + 1, sp2),
    keepAlive: minor === 1 ? !close : keepAliveAsked,
    chunked,
    length: Math.max(length, 0),
    expectContinue,
  };
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
    const line = latin1String(buf, at, nl).replace(/\r$/, "");
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

  /** Appends bytes read from the connection (the bodies returned so far become invalid). */
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
      this.#head = parseHead(buf, this.#start, end);
      this.#bodyStart = end;
      this.#continueSent = false;
    }
    const head = this.#head;
    let body: Uint8Array;
    let end: number;
    if (head.chunked) {
      const r = decodeChunked(buf, this.#bodyStart, this.#end);
      if (!r) return undefined;
      body = r.body;
      end = r.end;
    } else {
      end = this.#bodyStart + head.length;
      if (end > this.#end) return undefined;
      body = head.length ? buf.subarray(this.#bodyStart, end) : EMPTY;
    }
    this.#start = end;
    this.#head = undefined;
    return { method: head.method, target: head.target, body, keepAlive: head.keepAlive };
  }
}

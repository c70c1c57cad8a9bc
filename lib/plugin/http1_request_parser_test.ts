import { deepStrictEqual as assertEquals, ok, throws } from "node:assert/strict";
import {
  type Http1Request,
  Http1RequestParser,
  HttpFramingError,
  MAX_BODY_BYTES,
  MAX_HEAD_BYTES,
} from "./http1_request_parser.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const text = (r: Http1Request | undefined) => r && { ...r, body: new TextDecoder().decode(r.body) };

function parseAll(input: string, step = input.length): ReturnType<typeof text>[] {
  const p = new Http1RequestParser();
  const out: ReturnType<typeof text>[] = [];
  const bytes = enc(input);
  for (let i = 0; i < bytes.length; i += step) {
    p.push(bytes.subarray(i, i + step));
    for (let r = p.next(); r; r = p.next()) out.push(text(r));
  }
  return out;
}

function framingStatus(input: string): number {
  const p = new Http1RequestParser();
  p.push(enc(input));
  try {
    p.next();
  } catch (err) {
    ok(err instanceof HttpFramingError);
    return err.status;
  }
  return 0;
}

Deno.test("Http1RequestParser: Content-Length body, whole or one byte at a time", () => {
  const req = "POST /VolumeDriver.Get HTTP/1.1\r\nHost: plugin\r\n" +
    'Content-Type: application/json\r\nContent-Length: 12\r\n\r\n{"Name":"v"}';
  const want = [{
    method: "POST",
    target: "/VolumeDriver.Get",
    body: '{"Name":"v"}',
    keepAlive: true,
  }];
  assertEquals(parseAll(req), want);
  assertEquals(parseAll(req, 1), want);
});

Deno.test("Http1RequestParser: pipelined requests come out in order; no body means empty", () => {
  const a = "POST /Plugin.Activate HTTP/1.1\r\nHost: x\r\n\r\n";
  const b = "POST http://plugin/VolumeDriver.List HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}";
  assertEquals(parseAll(a + b + a), [
    { method: "POST", target: "/Plugin.Activate", body: "", keepAlive: true },
    { method: "POST", target: "http://plugin/VolumeDriver.List", body: "{}", keepAlive: true },
    { method: "POST", target: "/Plugin.Activate", body: "", keepAlive: true },
  ]);
});

Deno.test("Http1RequestParser: chunked bodies with extensions and trailers, split anywhere", () => {
  const req = "POST /VolumeDriver.Create HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" +
    '5;ext=1\r\n{"Nam\r\n7\r\ne":"v"}\r\n0\r\nX-Trailer: y\r\n\r\n' +
    "POST /next HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n0\r\n\r\n";
  const want = [
    { method: "POST", target: "/VolumeDriver.Create", body: '{"Name":"v"}', keepAlive: true },
    { method: "POST", target: "/next", body: "", keepAlive: true },
  ];
  assertEquals(parseAll(req), want);
  assertEquals(parseAll(req, 1), want);
  assertEquals(parseAll(req, 7), want);
});

Deno.test("Http1RequestParser: keep-alive follows the version and Connection", () => {
  const ka = (head: string) => parseAll(`${head}\r\n\r\n`)[0]!.keepAlive;
  assertEquals(ka("POST / HTTP/1.1"), true);
  assertEquals(ka("POST / HTTP/1.1\r\nConnection: Close"), false);
  assertEquals(ka("POST / HTTP/1.1\r\nConnection: upgrade, close"), false);
  assertEquals(ka("POST / HTTP/1.0"), false);
  assertEquals(ka("POST / HTTP/1.0\r\nConnection: keep-alive"), true);
  assertEquals(ka("POST / HTTP/1.0\r\nX-Long-Header-Name: v\r\nCONNECTION:Keep-Alive "), true);
});

Deno.test("Http1RequestParser: header values are trimmed of spaces and tabs", () => {
  assertEquals(parseAll("POST /a HTTP/1.1\r\ncontent-LENGTH:\t 1 \t\r\n\r\nx"), [
    { method: "POST", target: "/a", body: "x", keepAlive: true },
  ]);
});

Deno.test("Http1RequestParser: bare LF line endings and leading empty lines are accepted", () => {
  assertEquals(parseAll("\r\n\nPOST /a HTTP/1.1\nContent-Length: 1\n\nx"), [
    { method: "POST", target: "/a", body: "x", keepAlive: true },
  ]);
});

Deno.test("Http1RequestParser: Expect: 100-continue is reported once while the body is missing", () => {
  const p = new Http1RequestParser();
  p.push(enc("POST /a HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n"));
  assertEquals(p.next(), undefined);
  assertEquals(p.wantsContinue(), true);
  assertEquals(p.wantsContinue(), false);
  p.push(enc("{}"));
  assertEquals(text(p.next())?.body, "{}");
  assertEquals(p.wantsContinue(), false);
});

Deno.test("Http1RequestParser: malformed or oversized framing gives the status to answer", () => {
  assertEquals(framingStatus("GARBAGE\r\n\r\n"), 400);
  assertEquals(framingStatus("POST  / HTTP/1.1\r\n\r\n"), 400);
  assertEquals(framingStatus("POST / HTTP/1.1 x\r\n\r\n"), 400);
  assertEquals(framingStatus("POST / HTTP/1.x\r\n\r\n"), 400);
  assertEquals(framingStatus("POST / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n"), 400);
  assertEquals(framingStatus("POST / HTTP/1.1\r\n: empty name\r\n\r\n"), 400);
  assertEquals(framingStatus("POST / HTTP/2.0\r\n\r\n"), 505);
  assertEquals(framingStatus("POST / HTTP/1.2\r\n\r\n"), 505);
  assertEquals(framingStatus("POST / http/1.1\r\n\r\n"), 400);
  assertEquals(framingStatus("POST / HTTP/1.10\r\n\r\n"), 400);
  assertEquals(framingStatus("POST /\r\n\r\n"), 400);
  assertEquals(framingStatus("POST / HTTP/1.1\r\nContent-Length:\r\n\r\n"), 400);
  assertEquals(framingStatus(`POST / HTTP/1.1\r\nContent-Length: ${"1".repeat(16)}\r\n\r\n`), 400);
  assertEquals(framingStatus("POST / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n"), 400);
  assertEquals(framingStatus("POST / HTTP/1.1\r\nbad header\r\n\r\n"), 400);
  assertEquals(framingStatus("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"), 400);
  assertEquals(
    framingStatus("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"),
    400,
  );
  assertEquals(
    framingStatus("POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"),
    400,
  );
  assertEquals(framingStatus("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"), 501);
  assertEquals(
    framingStatus(`POST / HTTP/1.1\r\nContent-Length: ${MAX_BODY_BYTES + 1}\r\n\r\n`),
    413,
  );
  assertEquals(framingStatus("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"), 400);
  assertEquals(framingStatus("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab"), 400);
  assertEquals(framingStatus(`POST / HTTP/1.1\r\nX: ${"a".repeat(MAX_HEAD_BYTES)}`), 431);
  // Incomplete but well-formed input is not an error.
  assertEquals(framingStatus("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab"), 0);
  throws(() => {
    const p = new Http1RequestParser();
    p.push(enc("\x00 / HTTP/1.1\r\n\r\n"));
    p.next();
  }, HttpFramingError);
});

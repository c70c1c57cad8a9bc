import { deepStrictEqual, match, ok } from "node:assert/strict";
import {
  closeIdle,
  encodeResponse,
  IDLE_TIMEOUT_MS,
  imfFixdate,
  requestPath,
  startHttpServer,
} from "./http_server.ts";
import { testEnv } from "./_test_env.ts";

Deno.test("closeIdle() closes only connections waiting for a request for too long", () => {
  const now = 1_000_000_000;
  const closed: string[] = [];
  const conn = (name: string, idleSince: number) => ({
    idleSince,
    close: () => closed.push(name),
  });
  const n = closeIdle([
    conn("busy", 0),
    conn("stale", now - IDLE_TIMEOUT_MS - 1),
    conn("recent", now - IDLE_TIMEOUT_MS + 1000),
    conn("older", now - 2 * IDLE_TIMEOUT_MS),
  ], now);
  deepStrictEqual([n, closed], [2, ["stale", "older"]]);
});

Deno.test("imfFixdate() writes the HTTP date exactly as toUTCString does", () => {
  deepStrictEqual(imfFixdate(784111777000), "Sun, 06 Nov 1994 08:49:37 GMT");
  for (
    const ms of [0, 951782400000, 1_700_000_000_123, 1798761599999, 4102444800000, Date.now()]
  ) {
    deepStrictEqual(imfFixdate(ms), new Date(ms).toUTCString(), String(ms));
  }
});

Deno.test("requestPath() takes origin-form targets and drops the query", () => {
  deepStrictEqual(requestPath("/Plugin.Activate"), "/Plugin.Activate");
  deepStrictEqual(requestPath("/VolumeDriver.List?x=1"), "/VolumeDriver.List");
});

Deno.test("requestPath() takes absolute-form targets as Go's server does", () => {
  deepStrictEqual(requestPath("http://plugin/Plugin.Activate"), "/Plugin.Activate");
  deepStrictEqual(requestPath("http://localhost:8787/VolumeDriver.Get?a"), "/VolumeDriver.Get");
});

Deno.test("encodeResponse() writes status, headers, Date, Content-Length; HEAD drops the body", () => {
  const r = { status: 500, headers: { "Content-Type": "t" }, body: '{"Err":"é"}\n' };
  const full = new TextDecoder().decode(encodeResponse(r, { close: false, head: false }));
  match(full, /^HTTP\/1\.1 500 Internal Server Error\r\nContent-Type: t\r\nDate: .+ GMT\r\n/);
  ok(full.endsWith('Content-Length: 13\r\n\r\n{"Err":"é"}\n'));
  const head = new TextDecoder().decode(encodeResponse(r, { close: true, head: true }));
  ok(head.endsWith("Content-Length: 13\r\nConnection: close\r\n\r\n"));
});

/** Writes `input` at once, then reads until the server closes; returns the raw text. */
async function exchange(conn: Deno.Conn, input: string): Promise<string> {
  await conn.write(new TextEncoder().encode(input));
  const chunks: number[] = [];
  const buf = new Uint8Array(65536);
  for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
    chunks.push(...buf.subarray(0, n));
  }
  conn.close();
  return new TextDecoder().decode(new Uint8Array(chunks));
}

/** Status codes and bodies of the responses in `raw`, in order. */
function responses(raw: string): { status: number; body: string }[] {
  const out: { status: number; body: string }[] = [];
  let rest = raw;
  while (rest) {
    const end = rest.indexOf("\r\n\r\n");
    const head = rest.slice(0, end);
    const len = Number(/Content-Length: (\d+)/.exec(head)![1]);
    const bytes = new TextEncoder().encode(rest.slice(end + 4));
    out.push({
      status: Number(head.split(" ")[1]),
      body: new TextDecoder().decode(bytes.subarray(0, len)),
    });
    rest = new TextDecoder().decode(bytes.subarray(len));
  }
  return out;
}

const PIPELINE = "POST /Plugin.Activate HTTP/1.1\r\nHost: plugin\r\n\r\n" +
  "POST http://plugin/VolumeDriver.Create HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" +
  '4\r\n{"Na\r\nc\r\nme":"v1","Op\r\n16\r\nts":{"type":"memory"}}\r\n0\r\n\r\n' +
  'POST /VolumeDriver.Path HTTP/1.1\r\nContent-Length: 12\r\n\r\n{"Name":"v1"' +
  'POST /VolumeDriver.Get HTTP/1.1\r\nContent-Length: 13\r\n\r\n{"Name":"no"}' +
  "GET /VolumeDriver.List HTTP/1.1\r\n\r\n" +
  "POST /VolumeDriver.List HTTP/1.1\r\nConnection: close\r\n\r\n" +
  "POST /Plugin.Activate HTTP/1.1\r\n\r\n";

function checkPipeline(raw: string): void {
  const rs = responses(raw);
  deepStrictEqual(rs.map((r) => r.status), [200, 200, 400, 500, 405, 200]);
  deepStrictEqual(rs[0]!.body, '{"Implements":["VolumeDriver"]}\n');
  deepStrictEqual(rs[1]!.body, "{}\n");
  match(rs[3]!.body, /^\{"Err":/);
  deepStrictEqual(JSON.parse(rs[5]!.body).Volumes.map((v: { Name: string }) => v.Name), ["v1"]);
}

Deno.test("http server (unix): pipelined keep-alive requests, chunked bodies, absolute-form, close", async () => {
  const env = await testEnv();
  const path = `${env.dir}/p.sock`;
  const server = await startHttpServer(env.driver, { kind: "unix", path });
  try {
    // The Path body is truncated JSON on purpose: 400, and the connection stays usable.
    checkPipeline(await exchange(await Deno.connect({ transport: "unix", path }), PIPELINE));
    const bad = await exchange(
      await Deno.connect({ transport: "unix", path }),
      "NOT HTTP\r\n\r\nPOST /Plugin.Activate HTTP/1.1\r\n\r\n",
    );
    deepStrictEqual(responses(bad).map((r) => r.status), [400]);
    match(bad, /Connection: close\r\n/);
  } finally {
    await server.close();
    await env.cleanup();
  }
});

Deno.test("http server (tcp): same answers; close() ends idle kept-alive connections", async () => {
  const env = await testEnv();
  const server = await startHttpServer(env.driver, { kind: "tcp", host: "127.0.0.1", port: 0 });
  try {
    const port = Number(server.address.split(":").pop());
    checkPipeline(await exchange(await Deno.connect({ hostname: "127.0.0.1", port }), PIPELINE));
    const idle = await Deno.connect({ hostname: "127.0.0.1", port });
    const open = exchange(idle, "POST /Plugin.Activate HTTP/1.1\r\n\r\n");
    await new Promise((r) => setTimeout(r, 50));
    await server.close();
    deepStrictEqual(responses(await open).map((r) => r.status), [200]);
  } finally {
    await server.close();
    await env.cleanup();
  }
});

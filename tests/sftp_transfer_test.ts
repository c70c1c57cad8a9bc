/**
 * @module
 * Upload request sizing of the sftp backend against a real OpenSSH sshd: the server declares its
 * limits (`limits@openssh.com`), uploads use WRITEs of that size with the same bytes in flight
 * as `concurrency` × `chunk_size`, and files of awkward sizes land whole whatever the request
 * size: below, at and above the server's limit, and with `disable_concurrent_writes`.
 */

import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { createHash } from "node:crypto";
import { buildAuth } from "../lib/backends/sftp/auth.ts";
import { chooseAlgorithms } from "../lib/backends/sftp/ssh_algorithms.ts";
import {
  declaredWriteLimit,
  MAX_TRANSFER,
  SshConnection,
} from "../lib/backends/sftp/ssh_connection.ts";
import { obscure } from "../lib/config/obscure.ts";
import type { OptionValue } from "../lib/config/option_schema.ts";
import { sftpTest } from "./sftp_fixtures.ts";

function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** A stream of `data` in pieces of `piece` bytes (the last one shorter). */
function chunked(data: Uint8Array, piece: number): ReadableStream<Uint8Array> {
  let o = 0;
  return new ReadableStream({
    pull(c) {
      if (o >= data.length) return c.close();
      c.enqueue(data.slice(o, o + piece));
      o += piece;
    },
  });
}

sftpTest("sftp transfer: uploads use the WRITE size the server declares", async (t) => {
  const s = await t.sshd();
  const { backend: b } = await t.backend(s);
  const conn = await SshConnection.open({
    host: s.host,
    port: s.port,
    user: s.user,
    auth: await buildAuth({ pass: obscure(s.password) }, {}),
    algorithms: chooseAlgorithms({
      ciphers: "",
      keyExchange: "",
      macs: "",
      hostKeyAlgorithms: "",
      useInsecureCipher: false,
    }),
    connectTimeoutMs: 10_000,
    keepaliveMs: 0,
  });
  t.track(conn);
  const limit = declaredWriteLimit(conn.sftp);
  assert(limit !== undefined && limit > 32768, `OpenSSH declares its limits (got ${limit})`);
  const tr = b.transfer;
  assertEquals(tr.readChunk, 32768, "reads keep chunk_size");
  assertEquals(tr.writeChunk, Math.min(limit, MAX_TRANSFER));
  assertEquals(tr.writeConcurrency, Math.max(2, Math.ceil((64 * 32768) / tr.writeChunk)));
  const serial = await t.backend(s, { disable_concurrent_writes: true });
  assertEquals(serial.backend.transfer.writeConcurrency, 1);
  const big = await t.backend(s, { chunk_size: 1024 * 1024 });
  assertEquals(big.backend.transfer.writeChunk, 1024 * 1024, "never below chunk_size");
});

sftpTest("sftp transfer: odd-sized files land whole at every request size", async (t) => {
  const s = await t.sshd();
  const variants: Record<string, OptionValue>[] = [
    {},
    { chunk_size: 4096 },
    { chunk_size: 300 * 1024 },
    { disable_concurrent_writes: true },
  ];
  const sizes = [0, 1, 32768, 32769, 3 * 1024 * 1024 + 12345];
  let seed = 1;
  for (const v of variants) {
    const { backend: b, root } = await t.backend(s, v);
    for (const size of sizes) {
      const data = pattern(size, seed++);
      // Producer pieces that do not line up with the request size.
      const e = await b.write(`f${size}`, chunked(data, 100_003), { size });
      assertEquals(e.size, size, JSON.stringify(v));
      const onDisk = await Deno.readFile(`${root}/f${size}`);
      assertEquals(sha256(onDisk), sha256(data), `${JSON.stringify(v)} size ${size}`);
    }
  }
});

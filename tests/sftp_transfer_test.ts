/**
 * @module
 * Request sizing of the sftp backend against a real OpenSSH sshd: the server declares its limits
 * (`limits@openssh.com`), reads and uploads use READs and WRITEs of that size with the same bytes
 * in flight as `concurrency` × `chunk_size`, and files of awkward sizes land whole and read back
 * whole (and in ranges) whatever the request size: below, at and above the server's limit, and
 * one request at a time.
 */

import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { createHash } from "node:crypto";
import { declaredLimits, MAX_TRANSFER } from "../lib/backends/sftp/ssh_connection.ts";
import type { OptionValue } from "../lib/config/option_schema.ts";
import { bareConnection, sftpTest } from "./sftp_fixtures.ts";
import { patternBytes } from "./helpers/xorshift_bytes.ts";

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

sftpTest(
  "sftp transfer: reads and uploads use the request sizes the server declares",
  async (t) => {
    const s = await t.sshd();
    const { backend: b } = await t.backend(s);
    const conn = await bareConnection(s);
    t.track(conn);
    const limits = declaredLimits(conn.sftp);
    assert(limits !== undefined, "OpenSSH declares its limits");
    assert(limits.read > 32768 && limits.read <= MAX_TRANSFER, `read limit ${limits.read}`);
    assert(limits.write > 32768 && limits.write <= MAX_TRANSFER, `write limit ${limits.write}`);
    const tr = b.transfer;
    assertEquals(tr.readChunk, limits.read);
    assertEquals(tr.writeChunk, limits.write);
    // The same bytes in flight as 64 requests of 32 KiB.
    assertEquals(tr.readConcurrency, Math.max(2, Math.ceil((64 * 32768) / tr.readChunk)));
    assertEquals(tr.writeConcurrency, Math.max(2, Math.ceil((64 * 32768) / tr.writeChunk)));
    const serial = await t.backend(s, {
      disable_concurrent_writes: true,
      disable_concurrent_reads: true,
    });
    assertEquals(serial.backend.transfer.writeConcurrency, 1);
    assertEquals(serial.backend.transfer.readConcurrency, 1);
    const big = await t.backend(s, { chunk_size: 1024 * 1024 });
    assertEquals(big.backend.transfer.writeChunk, 1024 * 1024, "never below chunk_size");
    assertEquals(big.backend.transfer.readChunk, 1024 * 1024, "never below chunk_size");
  },
);

sftpTest(
  "sftp transfer: odd-sized files land and read back whole at every request size",
  async (t) => {
    const s = await t.sshd();
    const variants: Record<string, OptionValue>[] = [
      {},
      { chunk_size: 4096 },
      { chunk_size: 300 * 1024 },
      { disable_concurrent_writes: true, disable_concurrent_reads: true },
    ];
    const sizes = [0, 1, 32768, 32769, 3 * 1024 * 1024 + 12345];
    let seed = 1;
    for (const v of variants) {
      const { backend: b, root } = await t.backend(s, v);
      for (const size of sizes) {
        const data = patternBytes(size, seed++);
        // Producer pieces that do not line up with the request size.
        const e = await b.write(`f${size}`, chunked(data, 100_003), { size });
        assertEquals(e.size, size, JSON.stringify(v));
        const onDisk = await Deno.readFile(`${root}/f${size}`);
        assertEquals(sha256(onDisk), sha256(data), `${JSON.stringify(v)} size ${size}`);
        const back = new Uint8Array(await new Response(await b.read(`f${size}`)).arrayBuffer());
        assertEquals(sha256(back), sha256(data), `read back ${JSON.stringify(v)} size ${size}`);
        if (size > 300_000) {
          const [offset, length] = [262_000, size - 262_000 - 77];
          const part = await new Response(await b.read(`f${size}`, { offset, length }))
            .arrayBuffer();
          assertEquals(
            sha256(new Uint8Array(part)),
            sha256(data.subarray(offset, offset + length)),
            `ranged read ${JSON.stringify(v)}`,
          );
        }
      }
    }
  },
);

sftpTest(
  "sftp transfer: an upload reads its source only as fast as the server takes it",
  async (t) => {
    const s = await t.sshd();
    const { backend: b, root } = await t.backend(s);
    const MiB = 1024 * 1024;
    const total = 48 * MiB;
    const piece = new Uint8Array(MiB).fill(7);
    const { writeChunk, writeConcurrency } = b.transfer;
    let pulled = 0;
    let ahead = 0;
    const onServer = () => {
      // The temp file the upload writes to; WRITEs are answered after the server wrote them.
      for (const d of Deno.readDirSync(root)) {
        if (d.name.endsWith(".partial")) return Deno.statSync(`${root}/${d.name}`).size;
      }
      return 0;
    };
    const source = new ReadableStream<Uint8Array>({
      pull(c) {
        if (pulled >= total) return c.close();
        ahead = Math.max(ahead, pulled - onServer());
        c.enqueue(piece.slice());
        pulled += piece.length;
      },
    }, { highWaterMark: 0 });
    const e = await b.write("paced.bin", source, { size: total });
    assertEquals(e.size, total);
    // When the next piece is pulled, fewer than `writeConcurrency` WRITEs are unanswered and less
    // than one WRITE's worth waits to be sent (plus slack for the server's file size catching up).
    const bound = writeConcurrency * writeChunk + MiB / 2;
    assert(ahead <= bound, `the source ran ${ahead} bytes ahead of the server (bound ${bound})`);
  },
);

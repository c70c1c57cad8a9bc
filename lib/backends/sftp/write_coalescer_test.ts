import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { Buffer } from "node:buffer";
import { Writable } from "node:stream";
import { COALESCE_LIMIT, coalesceWrites } from "./write_coalescer.ts";

/** A real Writable that records each chunk it receives from write(). */
function recorder(): { sock: Writable; chunks: Buffer[]; ended: () => boolean } {
  const chunks: Buffer[] = [];
  let ended = false;
  const sock = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(Buffer.from(chunk));
      cb();
    },
    final(cb) {
      ended = true;
      cb();
    },
  });
  return { sock, chunks, ended: () => ended };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

Deno.test("coalesceWrites() joins the buffers of one synchronous run into one write, in order", async () => {
  const { sock, chunks } = recorder();
  coalesceWrites(sock);
  sock.write(Buffer.from([1, 2, 3, 4]));
  sock.write(Buffer.from([5]));
  sock.write(new Uint8Array([6, 7]));
  assertEquals(chunks.length, 0, "nothing is written before the microtask");
  await tick();
  assertEquals(chunks.map((c) => [...c]), [[1, 2, 3, 4, 5, 6, 7]]);
  sock.write(Buffer.from([8]));
  await tick();
  assertEquals(chunks.map((c) => [...c]), [[1, 2, 3, 4, 5, 6, 7], [8]]);
});

Deno.test("coalesceWrites() writes at once when a burst reaches the limit", async () => {
  const { sock, chunks } = recorder();
  coalesceWrites(sock);
  const big = Buffer.alloc(COALESCE_LIMIT - 1, 9);
  sock.write(big);
  sock.write(Buffer.from([1, 2]));
  // The limit is reached: the burst is handed to the stream synchronously.
  sock.write(Buffer.from([3]));
  await tick();
  assertEquals(chunks.length, 2);
  assertEquals(chunks[0]!.length, COALESCE_LIMIT + 1);
  assertEquals([...chunks[0]!.subarray(COALESCE_LIMIT - 1)], [1, 2]);
  assertEquals([...chunks[1]!], [3]);
});

Deno.test("coalesceWrites() keeps order with strings and writes what is pending before end()", async () => {
  const { sock, chunks, ended } = recorder();
  coalesceWrites(sock);
  sock.write(Buffer.from([1]));
  sock.write("A", "latin1");
  sock.write(Buffer.from([2]));
  sock.end();
  await tick();
  assertEquals(Buffer.concat(chunks).toString("latin1"), "\x01A\x02");
  assertEquals(ended(), true);
});

Deno.test("coalesceWrites() drops a burst for a socket that is no longer writable", async () => {
  const { sock, chunks } = recorder();
  coalesceWrites(sock);
  sock.write(Buffer.from([1]));
  sock.destroy();
  await tick();
  assertEquals(chunks.length, 0);
});

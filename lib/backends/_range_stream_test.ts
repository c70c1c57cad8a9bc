import assert from "node:assert/strict";
import { chunkEnd, fileRangeStream, FIRST_CHUNK_BYTES, READ_CHUNK_BYTES } from "./_range_stream.ts";

const K = 1024;
const M = 1024 * K;

Deno.test("chunkEnd(): powers of two from 64 KiB, then multiples of the chunk size", () => {
  assert.equal(FIRST_CHUNK_BYTES, 64 * K);
  const ends: number[] = [];
  for (let done = 0; ends.length < 8; done = ends.at(-1)!) ends.push(chunkEnd(done, M));
  assert.deepEqual(ends, [64 * K, 128 * K, 256 * K, 512 * K, M, 2 * M, 3 * M, 4 * M]);
  assert.equal(chunkEnd(100 * K, M), 128 * K, "a short read realigns below the chunk size");
  assert.equal(chunkEnd(M + 5, M), 2 * M, "and above it");
  assert.equal(chunkEnd(0, 16 * K), 16 * K, "a chunk size under the first chunk caps it");
  assert.equal(chunkEnd(16 * K, 16 * K), 32 * K);
  assert.equal(chunkEnd(64 * K, 100 * K), 100 * K, "a chunk size that is not a power of two");
  assert.equal(chunkEnd(100 * K, 100 * K), 200 * K);
});

/** Reads a whole stream, returning its chunks. */
async function chunks(s: ReadableStream<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const c of s) out.push(c);
  return out;
}

Deno.test("fileRangeStream(): chunks end at 1 MiB multiples of the range and carry the bytes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "range-stream-" });
  try {
    const data = new Uint8Array(4 * M + 123);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 16)) & 255;
    await Deno.writeFile(`${dir}/f`, data);
    const whole = await chunks(fileRangeStream(await Deno.open(`${dir}/f`)));
    assert.deepEqual(
      whole.map((c) => c.length),
      [64 * K, 64 * K, 128 * K, 256 * K, 512 * K, M, M, M, 123],
    );
    assert.equal(READ_CHUNK_BYTES, M);
    let at = 0;
    for (const c of whole) {
      assert.deepEqual(c, data.subarray(at, at + c.length), `bytes at ${at}`);
      at += c.length;
    }
    const off = 3 * K + 1;
    const part = await chunks(
      fileRangeStream(await Deno.open(`${dir}/f`), { offset: off, length: 2 * M }),
    );
    assert.deepEqual(part.map((c) => c.length), [64 * K, 64 * K, 128 * K, 256 * K, 512 * K, M]);
    const joined = new Uint8Array(2 * M);
    at = 0;
    for (const c of part) {
      joined.set(c, at);
      at += c.length;
    }
    assert.deepEqual(joined, data.subarray(off, off + 2 * M), "an offset range's bytes");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

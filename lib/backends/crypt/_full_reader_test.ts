import { FullReader } from "./_full_reader.ts";
import { assertBytes, assertEquals, patternBytes, streamOf } from "./_test_util.ts";

Deno.test("FullReader.take() returns views of one chunk, copies across chunks", async () => {
  const data = patternBytes(250, 1);
  const chunks: Uint8Array[] = [];
  const r = new FullReader(
    new ReadableStream({
      start(c) {
        for (let at = 0; at < data.length; at += 100) {
          const chunk = data.slice(at, at + 100);
          chunks.push(chunk);
          c.enqueue(chunk);
        }
        c.close();
      },
    }),
  );
  const a = await r.take(60);
  assertEquals(a.buffer === chunks[0]!.buffer, true);
  const b = await r.take(60);
  assertEquals(b.buffer === chunks[0]!.buffer || b.buffer === chunks[1]!.buffer, false);
  const c = await r.take(200);
  assertBytes(a, data.subarray(0, 60), "a");
  assertBytes(b, data.subarray(60, 120), "b");
  assertBytes(c, data.subarray(120), "rest, short at the end");
  assertEquals((await r.take(10)).length, 0);
});

Deno.test("FullReader.fill() and take() cut a stream the same way", async () => {
  const data = patternBytes(10_000, 2);
  const a = new FullReader(streamOf(data, 777));
  const b = new FullReader(streamOf(data, 777));
  for (const n of [1, 500, 777, 3000, 6000]) {
    const buf = new Uint8Array(n);
    const got = await a.fill(buf);
    assertBytes(await b.take(n), buf.subarray(0, got), `piece of ${n}`);
  }
});

Deno.test("FullReader.take() at the end of a stream returns only the bytes there are", async () => {
  const chunk = patternBytes(4096, 3);
  const one = new FullReader(
    new ReadableStream({
      start(c) {
        c.enqueue(chunk);
        c.close();
      },
    }),
  );
  const got = await one.take(65536);
  assertEquals([got.length, got.buffer === chunk.buffer], [4096, true]);
  assertEquals((await one.take(65536)).length, 0);
  // Across chunks and with empty chunks in between: one buffer of exactly what was read.
  const data = patternBytes(3000, 4);
  const r = new FullReader(
    new ReadableStream({
      start(c) {
        c.enqueue(data.slice(0, 1000));
        c.enqueue(new Uint8Array(0));
        c.enqueue(data.slice(1000, 2500));
        c.enqueue(data.slice(2500));
        c.close();
      },
    }),
  );
  const a = await r.take(65536);
  assertEquals([a.length, a.buffer.byteLength], [3000, 3000]);
  assertBytes(a, data, "whole");
});

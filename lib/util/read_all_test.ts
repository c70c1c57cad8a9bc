import assert from "node:assert/strict";
import { concatBytes, gatherBytes, readAll } from "./read_all.ts";

Deno.test("concatBytes() joins chunks in order, empty ones included", () => {
  const out = concatBytes([new Uint8Array([1, 2]), new Uint8Array(0), new Uint8Array([3])]);
  assert.deepEqual(out, new Uint8Array([1, 2, 3]));
  assert.deepEqual(concatBytes([]), new Uint8Array(0));
});

Deno.test("readAll() collects every chunk of a stream", async () => {
  const data = new Uint8Array(100_000).map((_, i) => i % 253);
  let off = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      if (off >= data.length) return c.close();
      c.enqueue(data.slice(off, off + 7919));
      off += 7919;
    },
  });
  assert.deepEqual(await readAll(stream), data);
});

Deno.test("readAll() rejects when the stream errors", async () => {
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(new Uint8Array([1]));
      c.error(new Error("broken source"));
    },
  });
  await assert.rejects(readAll(stream), /broken source/);
});

Deno.test("gatherBytes() joins pieces up to n, returns a lone piece as is, stops at the end", async () => {
  const source = (pieces: number[][]) => {
    const q = pieces.map((p) => new Uint8Array(p));
    const asked: number[] = [];
    return {
      asked,
      piece: (max: number) => {
        asked.push(max);
        const p = q.shift();
        return Promise.resolve(p && p.length > max ? p.subarray(0, max) : p);
      },
    };
  };
  const one = new Uint8Array([1, 2, 3]);
  assert.deepStrictEqual(await gatherBytes(3, () => Promise.resolve(one)) === one, true);
  const s = source([[1, 2], [3], [4, 5, 6]]);
  assert.deepStrictEqual([...await gatherBytes(5, s.piece)], [1, 2, 3, 4, 5]);
  assert.deepStrictEqual(s.asked, [5, 3, 2]);
  const short = source([[7], [8]]);
  assert.deepStrictEqual([...await gatherBytes(10, short.piece)], [7, 8]);
  assert.deepStrictEqual([...await gatherBytes(4, () => Promise.resolve(undefined))], []);
});

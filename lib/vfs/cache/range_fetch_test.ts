import { deepStrictEqual as assertEquals, rejects } from "node:assert/strict";
import { MemoryBackend } from "../../backends/memory.ts";
import { NotFoundError } from "../../errors.ts";
import { RangeFetch } from "./range_fetch.ts";

async function remoteWith(size: number): Promise<MemoryBackend> {
  const b = new MemoryBackend();
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = i & 0xff;
  await b.write("f", new Blob([data]).stream(), { size });
  return b;
}

function collector() {
  const got: [number, number][] = [];
  return { got, sink: { deliver: (o: number, d: Uint8Array) => (got.push([o, d.length]), true) } };
}

Deno.test("RangeFetch delivers exactly the requested range in order", async () => {
  const b = await remoteWith(100_000);
  const { got, sink } = collector();
  const f = new RangeFetch(b, "f", { start: 1000, end: 51_000 }, sink);
  await f.done;
  assertEquals(f.finished, true);
  assertEquals(got.reduce((n, [, l]) => n + l, 0), 50_000);
  assertEquals(got[0]![0], 1000);
  let pos = 1000;
  for (const [o, l] of got) {
    assertEquals(o, pos);
    pos += l;
  }
});

Deno.test("RangeFetch paced by demand waits for readers, then gives up when idle", async () => {
  const b = await remoteWith(4_000_000);
  const { got, sink } = collector();
  const f = new RangeFetch(b, "f", { start: 0, end: 4_000_000, demand: 1 }, sink, 100);
  await new Promise((r) => setTimeout(r, 30));
  const first = got.reduce((n, [, l]) => n + l, 0);
  // One piece past the demand at most.
  assertEquals(first > 0 && first < 4_000_000, true);
  assertEquals(f.reach, 1);
  f.raiseDemand(first + 1);
  await new Promise((r) => setTimeout(r, 30));
  assertEquals(got.reduce((n, [, l]) => n + l, 0) > first, true);
  await f.done;
  assertEquals(f.pos < 4_000_000, true);
});

Deno.test("RangeFetch stops when aborted or when the sink wants no more", async () => {
  const b = await remoteWith(4_000_000);
  const a = new RangeFetch(b, "f", { start: 0, end: 4_000_000, demand: 1 }, collector().sink);
  a.abort();
  await a.done;
  let n = 0;
  const s = new RangeFetch(b, "f", { start: 0, end: 4_000_000 }, {
    deliver: () => ++n < 2,
  });
  await s.done;
  assertEquals(n, 2);
  assertEquals(s.pos < 4_000_000, true);
});

Deno.test("RangeFetch rejects with the remote's error", async () => {
  const b = await remoteWith(10);
  const f = new RangeFetch(b, "missing", { start: 0, end: 10 }, collector().sink);
  await rejects(f.done, NotFoundError);
});

import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { RangeSet } from "./ranges.ts";

Deno.test("RangeSet.add() merges overlapping and touching ranges", () => {
  const r = new RangeSet();
  r.add(10, 20);
  r.add(30, 40);
  r.add(20, 25);
  assertEquals(r.toArray(), [[10, 25], [30, 40]]);
  r.add(5, 35);
  assertEquals(r.toArray(), [[5, 40]]);
  assertEquals(r.bytes, 35);
});

Deno.test("RangeSet.add() ignores empty ranges and keeps order", () => {
  const r = new RangeSet([[50, 60], [0, 5], [7, 7]]);
  assertEquals(r.toArray(), [[0, 5], [50, 60]]);
});

Deno.test("RangeSet.remove() splits a range", () => {
  const r = new RangeSet([[0, 100]]);
  r.remove(10, 20);
  assertEquals(r.toArray(), [[0, 10], [20, 100]]);
  r.remove(0, 10);
  assertEquals(r.toArray(), [[20, 100]]);
});

Deno.test("RangeSet.missing() lists the gaps inside a window", () => {
  const r = new RangeSet([[10, 20], [30, 40]]);
  assertEquals(r.missing(0, 50), [[0, 10], [20, 30], [40, 50]]);
  assertEquals(r.missing(12, 18), []);
  assertEquals(r.missing(15, 35), [[20, 30]]);
  assertEquals(r.missing(40, 40), []);
});

Deno.test("RangeSet.covers() and coveredBytes() agree with the ranges", () => {
  const r = new RangeSet([[10, 20], [30, 40]]);
  assertEquals(r.covers(10, 20), true);
  assertEquals(r.covers(10, 21), false);
  assertEquals(r.covers(5, 5), true);
  assertEquals(r.coveredBytes(0, 100), 20);
  assertEquals(r.coveredBytes(15, 35), 10);
});

Deno.test("RangeSet.truncate() drops bytes past the new size", () => {
  const r = new RangeSet([[0, 10], [20, 30]]);
  r.truncate(25);
  assertEquals(r.toArray(), [[0, 10], [20, 25]]);
  r.truncate(0);
  assertEquals(r.empty, true);
});

Deno.test("RangeSet agrees with a byte map under random adds, removes and queries", () => {
  const size = 300;
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let round = 0; round < 50; round++) {
    const r = new RangeSet();
    const model = new Uint8Array(size);
    for (let step = 0; step < 60; step++) {
      const a = rnd(size);
      const b = a + rnd(size - a + 1);
      const op = rnd(10);
      if (op < 6) {
        r.add(a, b);
        model.fill(1, a, b);
      } else if (op < 9) {
        r.remove(a, b);
        model.fill(0, a, b);
      } else {
        r.truncate(a);
        model.fill(0, a);
      }
      // The ranges are exactly the runs of the model, sorted, merged and non-empty.
      const runs: [number, number][] = [];
      for (let i = 0; i < size; i++) {
        if (!model[i]) continue;
        const last = runs[runs.length - 1];
        if (last && last[1] === i) last[1] = i + 1;
        else runs.push([i, i + 1]);
      }
      assertEquals(r.toArray(), runs);
      assertEquals(r.bytes, model.reduce((n, x) => n + x, 0));
      const q = rnd(size);
      const w = q + rnd(size - q + 1);
      const gaps: [number, number][] = [];
      for (let i = q; i < w; i++) {
        if (model[i]) continue;
        const last = gaps[gaps.length - 1];
        if (last && last[1] === i) last[1] = i + 1;
        else gaps.push([i, i + 1]);
      }
      assertEquals(r.missing(q, w), gaps);
      assertEquals(r.covers(q, w), gaps.length === 0);
      assertEquals(r.coveredBytes(q, w), model.subarray(q, w).reduce((n, x) => n + x, 0));
    }
    assertEquals(new RangeSet(r.toArray().reverse()).toArray(), r.toArray());
  }
});

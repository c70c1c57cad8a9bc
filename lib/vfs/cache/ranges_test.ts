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

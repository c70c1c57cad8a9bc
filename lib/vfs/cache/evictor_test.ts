import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { freeSpace, planEviction } from "./evictor.ts";

const NOW = 1_000_000;
const OFF = { maxSize: -1, maxAgeMs: -1, minFreeSpace: -1 };

Deno.test("planEviction() evicts items older than the maximum age unless busy", () => {
  const items = [
    { key: "old", bytes: 1, atimeMs: NOW - 5000, busy: false },
    { key: "oldOpen", bytes: 1, atimeMs: NOW - 5000, busy: true },
    { key: "new", bytes: 1, atimeMs: NOW - 10, busy: false },
  ];
  assertEquals(planEviction(items, { ...OFF, maxAgeMs: 1000 }, NOW), ["old"]);
});

Deno.test("planEviction() evicts least recently used items down to the maximum size", () => {
  const items = [
    { key: "a", bytes: 100, atimeMs: NOW - 30, busy: false },
    { key: "b", bytes: 100, atimeMs: NOW - 20, busy: true },
    { key: "c", bytes: 100, atimeMs: NOW - 40, busy: false },
    { key: "d", bytes: 100, atimeMs: NOW - 10, busy: false },
  ];
  assertEquals(planEviction(items, { ...OFF, maxSize: 200 }, NOW), ["c", "a"]);
  // Busy items count towards the size but are never chosen.
  assertEquals(planEviction(items, { ...OFF, maxSize: 0 }, NOW), ["c", "a", "d"]);
});

Deno.test("planEviction() frees space for the minimum free space", () => {
  const items = [
    { key: "a", bytes: 100, atimeMs: NOW - 30, busy: false },
    { key: "b", bytes: 100, atimeMs: NOW - 20, busy: false },
  ];
  assertEquals(planEviction(items, { ...OFF, minFreeSpace: 1000 }, NOW, 950), ["a"]);
  assertEquals(planEviction(items, { ...OFF, minFreeSpace: 1000 }, NOW, 2000), []);
  assertEquals(planEviction(items, { ...OFF, minFreeSpace: 1000 }, NOW), []);
});

Deno.test("freeSpace() reports a positive number for a temporary directory", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const n = await freeSpace(dir);
    assertEquals(n > 0, true);
  } finally {
    await Deno.remove(dir);
  }
});

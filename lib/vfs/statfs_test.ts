/**
 * @module
 * Unit tests of `statfs.ts`.
 */

import { assertEquals } from "../../tests/vfs_assert.ts";
import { statfsFromUsage, UNKNOWN_SPACE } from "./statfs.ts";

Deno.test("statfsFromUsage() derives missing figures and block counts", () => {
  const s = statfsFromUsage({ total: 8192 * 10, used: 8192 });
  assertEquals([s.blocks, s.bfree, s.bavail, s.freeBytes], [20, 18, 18, 8192 * 9]);
  const t = statfsFromUsage({ used: 100, free: 4096 });
  assertEquals(t.totalBytes, 4196);
});

Deno.test("statfsFromUsage() reports 1 PiB when nothing is known, and honours the override", () => {
  const s = statfsFromUsage({});
  assertEquals([s.totalBytes, s.freeBytes, s.files, s.namelen], [
    UNKNOWN_SPACE,
    UNKNOWN_SPACE,
    1e9,
    255,
  ]);
  const o = statfsFromUsage({ total: 10_000, used: 1000 }, 4096 * 4);
  assertEquals([o.totalBytes, o.freeBytes], [4096 * 4, 4096 * 4 - 1000]);
});

/**
 * @module
 * Unit tests of `path_util.ts`.
 */

import { assertEquals, assertRejects } from "../../tests/vfs_assert.ts";
import { baseName, cleanPath, isWithin, joinPath, parentOf, rebase } from "./path_util.ts";

Deno.test("cleanPath() strips slashes and dots and rejects ..", async () => {
  assertEquals(cleanPath("/a//b/./c/"), "a/b/c");
  assertEquals(cleanPath(""), "");
  assertEquals(cleanPath("/"), "");
  await assertRejects(() => Promise.resolve().then(() => cleanPath("a/../b")));
  // the fast path for clean paths must still catch every unclean shape
  assertEquals(cleanPath("a/b.c/..d/.e"), "a/b.c/..d/.e");
  assertEquals(cleanPath("./a"), "a");
  assertEquals(cleanPath("a/."), "a");
  assertEquals(cleanPath("a/./b"), "a/b");
  assertEquals(cleanPath("."), "");
  assertEquals(cleanPath("a//b"), "a/b");
  await assertRejects(() => Promise.resolve().then(() => cleanPath("..")));
  await assertRejects(() => Promise.resolve().then(() => cleanPath("a/..")));
  await assertRejects(() => Promise.resolve().then(() => cleanPath("../a")));
});

Deno.test("parentOf(), baseName(), joinPath() split and join clean paths", () => {
  assertEquals([parentOf("a/b/c"), baseName("a/b/c")], ["a/b", "c"]);
  assertEquals([parentOf("a"), baseName("a")], ["", "a"]);
  assertEquals([joinPath("", "x"), joinPath("d", "x")], ["x", "d/x"]);
});

Deno.test("isWithin() and rebase() treat only whole segments as prefixes", () => {
  assertEquals(isWithin("a/b", "a"), true);
  assertEquals(isWithin("ab", "a"), false);
  assertEquals(isWithin("x", ""), true);
  assertEquals(rebase("a/b/c", "a", "z/y"), "z/y/b/c");
  assertEquals(rebase("a", "a", "q"), "q");
});

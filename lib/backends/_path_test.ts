import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import { baseName, cleanPath, joinPath, parentOf } from "./_path.ts";
import { InvalidError } from "../errors.ts";

Deno.test("cleanPath() drops empty and dot segments and outer slashes", () => {
  assertEquals(cleanPath(""), "");
  assertEquals(cleanPath("/"), "");
  assertEquals(cleanPath("a//b/"), "a/b");
  assertEquals(cleanPath("./a/./b"), "a/b");
  assertEquals(cleanPath("/a"), "a");
  assertEquals(cleanPath(" a b /-c%20"), " a b /-c%20");
});

Deno.test("cleanPath() rejects '..' segments and NUL bytes", () => {
  throws(() => cleanPath("a/../b"), InvalidError);
  throws(() => cleanPath(".."), InvalidError);
  throws(() => cleanPath("a\0b"), InvalidError);
  assertEquals(cleanPath("a/..b/c.."), "a/..b/c..");
});

Deno.test("joinPath(), parentOf() and baseName() split and join clean paths", () => {
  assertEquals(joinPath("", "a"), "a");
  assertEquals(joinPath("a", "", "b"), "a/b");
  assertEquals(parentOf("a/b/c"), "a/b");
  assertEquals(parentOf("a"), "");
  assertEquals(parentOf(""), "");
  assertEquals(baseName("a/b/c"), "c");
  assertEquals(baseName("a"), "a");
  assertEquals(baseName(""), "");
});

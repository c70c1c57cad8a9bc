import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import { CachePaths, remoteDirName } from "./cache_paths.ts";
import { InvalidError } from "../../errors.ts";

Deno.test("remoteDirName() escapes separators and colons", () => {
  assertEquals(remoteDirName(":local:/data"), "%3Alocal%3A%2Fdata");
  assertEquals(remoteDirName("mysftp:dir"), "mysftp%3Adir");
  assertEquals(remoteDirName(".."), "%..");
});

Deno.test("remoteDirName() shortens long names and keeps them distinct", () => {
  const a = remoteDirName("x".repeat(300) + "a");
  const b = remoteDirName("x".repeat(300) + "b");
  assertEquals(a.length, 200);
  assertEquals(a === b, false);
});

Deno.test("CachePaths puts data and metadata side by side", () => {
  const p = new CachePaths("/c", "mem:");
  assertEquals(p.data("a/b.txt"), "/c/vfs/mem%3A/a/b.txt");
  assertEquals(p.meta("a/b.txt"), "/c/vfsMeta/mem%3A/a/b.txt");
  assertEquals(p.pathOfMeta("/c/vfsMeta/mem%3A/a/b.txt"), "a/b.txt");
  assertEquals(p.pathOfMeta("/elsewhere/x"), undefined);
});

Deno.test("CachePaths.data() rejects paths that escape the cache", () => {
  const p = new CachePaths("/c", "mem:");
  throws(() => p.data("a/../../x"), InvalidError);
  throws(() => p.data(""), InvalidError);
});

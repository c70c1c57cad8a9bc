/**
 * @module
 * Unit tests of `dir_cache.ts`.
 */

import { assertEquals } from "../../tests/vfs_assert.ts";
import { memoryBackend, putFile } from "../../tests/vfs_helpers.ts";
import { DirCache } from "./dir_cache.ts";

Deno.test("DirCache.list() shares one backend call between concurrent lookups", async () => {
  const b = memoryBackend();
  await putFile(b, "d/a", new Uint8Array(1));
  const c = new DirCache(b, 60_000);
  const [x, y] = await Promise.all([c.list("d"), c.lookup("d/a")]);
  assertEquals([...x.keys()], ["a"]);
  assertEquals(y?.path, "d/a");
  assertEquals(b.counts.list, 1);
});

Deno.test("DirCache expires listings after the ttl using the injected clock", async () => {
  const b = memoryBackend();
  let t = 0;
  const c = new DirCache(b, 100, () => t);
  await c.list("");
  t = 99;
  await c.list("");
  assertEquals(b.counts.list, 1);
  t = 100;
  await c.list("");
  assertEquals(b.counts.list, 2);
});

Deno.test("DirCache.put()/remove() edit cached listings; invalidateTree() drops subtrees", async () => {
  const b = memoryBackend();
  await putFile(b, "d/e/f", new Uint8Array(1));
  const c = new DirCache(b, 60_000);
  await c.list("d");
  await c.list("d/e");
  c.put("d/new", { path: "x", isDir: false, size: 3, mtimeMs: 1 });
  assertEquals(c.peek("d")?.get("new")?.path, "d/new");
  c.remove("d/new");
  assertEquals(c.peek("d")?.has("new"), false);
  c.invalidateTree("d");
  assertEquals([c.peek("d"), c.peek("d/e")], [undefined, undefined]);
});

Deno.test("DirCache does not keep a listing that raced with a change", async () => {
  const b = memoryBackend();
  const c = new DirCache(b, 60_000);
  const p = c.list("");
  c.invalidate("");
  await p;
  assertEquals(b.counts.list, 2, "listed again after the invalidation");
  assertEquals(c.peek("") !== undefined, true);
});

/**
 * @module
 * Unit tests of `dir_cache.ts`.
 */

import { assertEquals } from "../../tests/vfs_assert.ts";
import { memoryBackend, putFile } from "../../tests/vfs_helpers.ts";
import type { Backend, Entry } from "../backends/backend.ts";
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

Deno.test("DirCache keys entries by name and keeps each path its directory joined with it", async () => {
  const kept: Entry = { path: "d/c", isDir: false, size: 1, mtimeMs: 1 };
  const listings: Record<string, Entry[]> = {
    d: [
      kept,
      { path: "a", isDir: false, size: 2, mtimeMs: 1 }, // a bare name
      { path: "e/b", isDir: false, size: 3, mtimeMs: 1 }, // same length, other directory
      { path: "x/d/é", isDir: true, size: 0, mtimeMs: 1 }, // a longer prefix
    ],
    "": [{ path: "q/r", isDir: false, size: 4, mtimeMs: 1 }, {
      path: "s",
      isDir: false,
      size: 5,
      mtimeMs: 1,
    }],
  };
  const b = { list: (dir: string) => Promise.resolve(listings[dir] ?? []) } as unknown as Backend;
  const c = new DirCache(b, 60_000);
  const d = await c.list("d");
  assertEquals([...d].map(([k, e]) => [k, e.path, e.size]), [
    ["c", "d/c", 1],
    ["a", "d/a", 2],
    ["b", "d/b", 3],
    ["é", "d/é", 0],
  ]);
  assertEquals(d.get("c") === kept, true, "an entry already at dir/name is kept as it is");
  const root = await c.list("");
  assertEquals([...root].map(([k, e]) => [k, e.path]), [["r", "r"], ["s", "s"]]);
});

import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { O, pattern, readRemote, until, withCache, writeRemote } from "./vfs_cache_helpers.ts";
import type { VfsCache } from "../lib/vfs/cache/vfs_cache.ts";

const KiB = 1024;

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

async function cacheWhole(cache: VfsCache, name: string, size: number) {
  const h = await cache.open(name, O.RDONLY, { path: name, isDir: false, size, mtimeMs: 1000 });
  await h.read(0, size);
  await h.release();
  await new Promise((r) => setTimeout(r, 5));
}

Deno.test("VfsCache eviction past the maximum size spares open and dirty files", async () => {
  await withCache({
    vfs_cache_mode: "full",
    vfs_cache_max_size: 1024 * KiB,
    vfs_cache_poll_interval: 0,
    vfs_write_back: 0,
  }, async ({ cache, remote, inner }) => {
    const size = 400 * KiB;
    for (const n of ["a", "b", "c", "e"]) await writeRemote(inner, n, pattern(size), 1000);
    await cacheWhole(cache, "a", size);
    const open = await cache.open("b", O.RDONLY, await inner.stat("b"));
    await open.read(0, size);
    await cacheWhole(cache, "c", size);
    remote.failWrites = true;
    const dirty = await cache.open("d", O.WRONLY | O.CREAT, undefined);
    await dirty.write(0, pattern(size, 0, 4));
    await dirty.release();
    await cacheWhole(cache, "e", size);
    assertEquals(cache.stats().cacheBytes, 5 * size);

    await cache.clean();
    const p = cache.paths;
    assertEquals(await exists(p.data("a")), false);
    assertEquals(await exists(p.data("c")), false);
    assertEquals(await exists(p.data("e")), false);
    assertEquals(await exists(p.data("b")), true);
    assertEquals(await exists(p.data("d")), true);
    assertEquals(cache.stats().cacheBytes, 2 * size);
    // The open handle still reads, and the dirty file still uploads once the remote is back.
    assertEquals(await open.read(1000, 10), pattern(10, 1000));
    await open.release();
    remote.failWrites = false;
    await cache.sync();
    assertEquals(await readRemote(inner, "d"), pattern(size, 0, 4));
  });
});

Deno.test("VfsCache eviction by age removes files unused for longer than the maximum age", async () => {
  await withCache({
    vfs_cache_mode: "full",
    vfs_cache_max_age: 100,
    vfs_cache_poll_interval: 50,
  }, async ({ cache, inner }) => {
    await writeRemote(inner, "old", pattern(1000), 1000);
    await cacheWhole(cache, "old", 1000);
    const h = await cache.open("kept", O.WRONLY | O.CREAT, undefined);
    await h.write(0, pattern(10));
    assertEquals(cache.stats().cacheBytes, 1010);
    // The poll timer cleans on its own.
    await until(() => cache.stats().cacheBytes === 10, 3000);
    await cache.clean();
    assertEquals(await exists(cache.paths.data("old")), false);
    assertEquals(await exists(cache.paths.meta("old")), false);
    assertEquals(await exists(cache.paths.data("kept")), true);
    await h.release();
  });
});

Deno.test("VfsCache eviction for minimum free space uses the reported free space", async () => {
  let free = 10 * KiB;
  await withCache({
    vfs_cache_mode: "full",
    vfs_cache_min_free_space: 100 * KiB,
    vfs_cache_poll_interval: 0,
  }, async ({ cache, inner }) => {
    for (const n of ["x", "y", "z"]) await writeRemote(inner, n, pattern(50 * KiB), 1000);
    for (const n of ["x", "y", "z"]) await cacheWhole(cache, n, 50 * KiB);
    await cache.clean();
    // 90 KiB short: the two least recently used files go.
    assertEquals(await exists(cache.paths.data("x")), false);
    assertEquals(await exists(cache.paths.data("y")), false);
    assertEquals(await exists(cache.paths.data("z")), true);
    free = 1024 * KiB;
    await cache.clean();
    assertEquals(await exists(cache.paths.data("z")), true);
  }, { tuning: { freeSpace: () => Promise.resolve(free) } });
});

Deno.test("VfsCache eviction racing an open for writing never loses the writes", async () => {
  await withCache({
    vfs_cache_mode: "full",
    vfs_cache_max_size: 0,
    vfs_cache_poll_interval: 0,
    vfs_write_back: 0,
  }, async ({ cache, inner }) => {
    for (let i = 0; i < 20; i++) {
      const name = `race${i}`;
      await writeRemote(inner, name, pattern(1000), 1000);
      await cacheWhole(cache, name, 1000);
      const entry = await inner.stat(name);
      const [, h] = await Promise.all([cache.clean(), cache.open(name, O.RDWR, entry)]);
      await h.write(0, new Uint8Array([i]));
      await h.release();
    }
    await cache.sync();
    for (let i = 0; i < 20; i++) {
      const got = await readRemote(inner, `race${i}`);
      const want = pattern(1000);
      want[0] = i;
      assertEquals(got, want);
    }
  });
});

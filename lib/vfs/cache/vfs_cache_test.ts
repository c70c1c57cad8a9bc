import { deepStrictEqual as assertEquals, rejects } from "node:assert/strict";
import { dirname } from "node:path";
import { MemoryBackend } from "../../backends/memory.ts";
import { Errno, FsError } from "../../errors.ts";
import { CachePaths } from "./cache_paths.ts";
import { type ItemMeta, readMeta, writeMeta } from "./item_meta.ts";
import { hasLocalMark } from "./cache_item.ts";
import { dirFlags, FS_TOPDIR_FL } from "./top_dirs.ts";
import { openHeldWrites, TUNING, withHeldWrites } from "./_test_caches.ts";
import { VfsCache } from "./vfs_cache.ts";

/** open(2) flags O_WRONLY | O_CREAT | O_TRUNC. */
const O_WRONLY_CREAT_TRUNC = 0o1101;

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function meta(path: string, over: Partial<ItemMeta> = {}): ItemMeta {
  return {
    version: 1,
    path,
    size: 100,
    mtimeMs: 1_000_000,
    atimeMs: Date.now(),
    dirty: true,
    fingerprint: null,
    sourceSize: 0,
    ranges: [[0, 100]],
    ...over,
  };
}

Deno.test("VfsCache.open() repairs a short data file and discards entries without data", async () => {
  await withDir(async (dir) => {
    const backend = new MemoryBackend();
    const paths = new CachePaths(dir, backend.name);
    await writeMeta(paths.meta("short"), paths.tmpDir, meta("short"));
    await Deno.mkdir(paths.dataRoot, { recursive: true });
    await Deno.writeFile(paths.data("short"), new Uint8Array(50).fill(7));
    await writeMeta(paths.meta("nodata"), paths.tmpDir, meta("nodata"));
    await Deno.writeFile(paths.data("orphan"), new Uint8Array(10));
    await Deno.writeTextFile(paths.meta("foreign"), '{"ModTime":"x"}');
    await Deno.writeFile(paths.data("foreign"), new Uint8Array(3));
    const cache = await openHeldWrites(backend, dir);
    try {
      assertEquals(cache.pendingEntry("short")?.size, 100);
      assertEquals(cache.pendingEntry("nodata"), undefined);
      assertEquals((await readMeta(paths.meta("short"))).ranges, [[0, 50]]);
      await rejects(Deno.stat(paths.meta("nodata")), Deno.errors.NotFound);
      await rejects(Deno.stat(paths.data("orphan")), Deno.errors.NotFound);
      // Entries the cache cannot read are left alone.
      assertEquals((await Deno.stat(paths.data("foreign"))).size, 3);
      await cache.sync();
      const got = new Uint8Array(await new Response(await backend.read("short")).arrayBuffer());
      // Bytes past what the data file held are a hole of a new file: zeros.
      const want = new Uint8Array(100);
      want.fill(7, 0, 50);
      assertEquals(got, want);
    } finally {
      await cache.close();
    }
  });
});

Deno.test("VfsCache.open() recreates a dirty empty file's data and drops a cut-short first write", async () => {
  await withDir(async (dir) => {
    const backend = new MemoryBackend();
    const paths = new CachePaths(dir, backend.name);
    // An empty file closed dirty: its (empty) data file is never fsynced, so a crash may lose it.
    await writeMeta(
      paths.meta("sub/empty"),
      paths.tmpDir,
      meta("sub/empty", { size: 0, ranges: [] }),
    );
    // A first metadata write interrupted by a crash: an empty file; its data was never promised.
    await Deno.mkdir(paths.metaRoot, { recursive: true });
    await Deno.writeFile(paths.meta("cut"), new Uint8Array(0));
    await Deno.mkdir(paths.dataRoot, { recursive: true });
    await Deno.writeFile(paths.data("cut"), new Uint8Array(5).fill(1));
    const cache = await openHeldWrites(backend, dir);
    try {
      assertEquals(cache.pendingEntry("sub/empty")?.size, 0);
      assertEquals(cache.pendingEntry("cut"), undefined);
      await rejects(Deno.stat(paths.meta("cut")), Deno.errors.NotFound);
      await rejects(Deno.stat(paths.data("cut")), Deno.errors.NotFound);
      await cache.sync();
      assertEquals((await backend.stat("sub/empty")).size, 0);
      await rejects(backend.stat("cut"));
    } finally {
      await cache.close();
    }
  });
});

Deno.test("VfsCache creates an empty file's data file only at its first write", async () => {
  await withHeldWrites(async (cache, backend) => {
    const O_RDWR = 2;
    const paths = cache.paths;
    const h = await cache.open("d/empty", O_WRONLY_CREAT_TRUNC, undefined);
    await h.flush();
    await h.release();
    assertEquals((await readMeta(paths.meta("d/empty"))).dirty, true);
    await rejects(Deno.stat(paths.data("d/empty")), Deno.errors.NotFound);
    await cache.sync();
    assertEquals((await backend.stat("d/empty")).size, 0);
    // The first write creates it.
    const w = await cache.open("d/empty", O_RDWR, await backend.stat("d/empty"));
    await w.write(3, new Uint8Array([1, 2]));
    assertEquals(await w.read(0, 10), new Uint8Array([0, 0, 0, 1, 2]));
    await w.release();
    assertEquals((await Deno.stat(paths.data("d/empty"))).size, 5);
    // An empty file removed while open keeps working on an anonymous file, not in the cache.
    const r = await cache.open("d/gone", O_WRONLY_CREAT_TRUNC, undefined);
    await cache.remove("d/gone");
    await r.write(0, new Uint8Array([9]));
    await r.release();
    await rejects(Deno.stat(paths.data("d/gone")), Deno.errors.NotFound);
    assertEquals([...Deno.readDirSync(paths.tmpDir)], []);
  });
});

Deno.test("VfsCache.open() marks the cache trees' roots as tops of directory hierarchies", async () => {
  await withHeldWrites(async (cache, backend, dir) => {
    const p = cache.paths;
    const dirs = [p.dataRoot, p.metaRoot, p.tmpDir].flatMap((d) => [dirname(d), d]);
    const type = await new Deno.Command("stat", { args: ["-f", "-c", "%T", dir] }).output();
    const ext4 = new TextDecoder().decode(type.stdout).trim().startsWith("ext2");
    for (const d of dirs) {
      assertEquals((await Deno.stat(d)).isDirectory, true);
      if (ext4) assertEquals(((await dirFlags(d)) ?? 0) & FS_TOPDIR_FL, FS_TOPDIR_FL);
    }
    // Nothing else changes: a new file below them is written and uploaded as usual.
    const h = await cache.open("t/d/f", O_WRONLY_CREAT_TRUNC, undefined);
    await h.write(0, new Uint8Array([1, 2]));
    await h.release();
    await cache.sync();
    assertEquals((await backend.stat("t/d/f")).size, 2);
  });
});

Deno.test("VfsCache.overlaysIn() is true only while a file directly inside is dirty or open", async () => {
  await withHeldWrites(async (cache, backend) => {
    assertEquals(cache.overlaysIn("d/sub"), false, "nothing cached");
    const w = await cache.open("d/sub/g", O_WRONLY_CREAT_TRUNC, undefined);
    assertEquals(cache.overlaysIn("d/sub"), true, "open for writing");
    await w.write(0, new Uint8Array([1, 2, 3]));
    await w.release();
    assertEquals(cache.overlaysIn("d/sub"), true, "closed, not uploaded yet");
    assertEquals(cache.overlaysIn("d"), false, "only direct children count");
    assertEquals(cache.overlaysIn(""), false, "the root neither");
    await cache.sync();
    assertEquals(cache.overlaysIn("d/sub"), false, "uploaded and closed");
    const r = await cache.open("d/sub/g", 0, await backend.stat("d/sub/g"));
    assertEquals(cache.overlaysIn("d/sub"), true, "open for reading");
    await r.release();
    assertEquals(cache.overlaysIn("d/sub"), false, "closed again");
  });
});

Deno.test("VfsCache.open() rejects a directory entry", async () => {
  await withDir(async (dir) => {
    const cache = await VfsCache.open({
      backend: new MemoryBackend(),
      cacheDir: dir,
      options: { vfs_cache_mode: "full" },
      tuning: TUNING,
    });
    try {
      const err = await cache.open("d", 0, { path: "d", isDir: true, size: 0, mtimeMs: 0 })
        .catch((e) => e);
      assertEquals(err instanceof FsError && err.errno === Errno.EISDIR, true);
    } finally {
      await cache.close();
    }
  });
});

Deno.test("VfsCache handles reject writes on read-only opens and use after release", async () => {
  await withDir(async (dir) => {
    const backend = new MemoryBackend();
    await backend.write("r", new Blob(["abc"]).stream());
    const cache = await VfsCache.open({
      backend,
      cacheDir: dir,
      options: { vfs_cache_mode: "full" },
      tuning: TUNING,
    });
    try {
      const h = await cache.open("r", 0, await backend.stat("r"));
      const e1 = await Promise.resolve().then(() => h.write(0, new Uint8Array(1))).catch((e) => e);
      assertEquals(e1 instanceof FsError && e1.errno === Errno.EBADF, true);
      await h.release();
      const e2 = await Promise.resolve().then(() => h.read(0, 1)).catch((e) => e);
      assertEquals(e2 instanceof FsError && e2.errno === Errno.EBADF, true);
    } finally {
      await cache.close();
    }
  });
});

Deno.test("VfsCache truncate through a handle grows with zeros and shrinks", async () => {
  await withDir(async (dir) => {
    const backend = new MemoryBackend();
    await backend.write("t", new Blob(["0123456789"]).stream());
    const cache = await VfsCache.open({
      backend,
      cacheDir: dir,
      options: { vfs_cache_mode: "writes" },
      tuning: TUNING,
    });
    try {
      const h = await cache.open("t", 2, await backend.stat("t"));
      await h.truncate(4);
      await h.truncate(8);
      assertEquals(h.currentSize(), 8);
      assertEquals(await h.read(0, 100), new Uint8Array([48, 49, 50, 51, 0, 0, 0, 0]));
      await h.release();
      await cache.sync();
      const got = new Uint8Array(await new Response(await backend.read("t")).arrayBuffer());
      assertEquals(got, new Uint8Array([48, 49, 50, 51, 0, 0, 0, 0]));
    } finally {
      await cache.close();
    }
  });
});

Deno.test("VfsCache.open() twice on one remote shares the cache; closing one keeps the other working", async () => {
  await withDir(async (dir) => {
    const { FaultyBackend } = await import("../../../tests/helpers/faulty_backend.ts");
    const store = new MemoryBackend();
    const ra = new FaultyBackend(store);
    const rb = new FaultyBackend(store);
    const seenA: string[] = [];
    const seenB: string[] = [];
    const options = { vfs_cache_mode: "writes", vfs_write_back: 3_600_000 };
    const a = await VfsCache.open({
      backend: ra,
      cacheDir: dir,
      options,
      tuning: TUNING,
      onUploaded: (p) => seenA.push(p),
    });
    const b = await VfsCache.open({
      backend: rb,
      cacheDir: dir,
      options,
      tuning: TUNING,
      onUploaded: (p) => seenB.push(p),
    });
    try {
      const h = await a.open("one.txt", 65, undefined);
      await h.write(0, new TextEncoder().encode("1"));
      await h.release();
      assertEquals(b.pendingEntry("one.txt")?.size, 1);
      await b.sync();
      assertEquals([seenA, seenB], [["one.txt"], ["one.txt"]]);
      assertEquals(ra.writes, ["one.txt"]);
      await a.close();
      // A's backend is gone: uploads now go through B's.
      ra.failWrites = true;
      const h2 = await b.open("two.txt", 65, undefined);
      await h2.write(0, new TextEncoder().encode("2"));
      await h2.release();
      await b.sync();
      assertEquals(rb.writes, ["two.txt"]);
      assertEquals(seenB, ["one.txt", "two.txt"]);
      await rejects(a.sync().then(() => a.open("x", 0, undefined)), FsError);
    } finally {
      await a.close();
      await b.close();
    }
    // Closed for good: a new open loads from disk again.
    const c = await VfsCache.open({ backend: rb, cacheDir: dir, options, tuning: TUNING });
    await c.close();
  });
});

Deno.test("VfsCache records a closed new file by marking its data file; a later open uploads it, and the upload clears the mark", async () => {
  await withDir(async (dir) => {
    const backend = new MemoryBackend();
    const options = { vfs_cache_mode: "writes", vfs_write_back: 3_600_000 };
    const O_WRONLY_CREAT = 0o101;
    const first = `${dir}/first`;
    const cache = await VfsCache.open({ backend, cacheDir: first, options, tuning: TUNING });
    let copy: VfsCache | undefined;
    try {
      const paths = cache.paths;
      const h = await cache.open("m/new.bin", O_WRONLY_CREAT, undefined);
      await h.write(0, new Uint8Array([1, 2, 3, 4]));
      await h.release();
      const mtimeMs = cache.pendingEntry("m/new.bin")!.mtimeMs;
      const marked = await Deno.stat(paths.data("m/new.bin"));
      assertEquals(hasLocalMark(marked), true);
      assertEquals(marked.mtime!.getTime(), Math.trunc(mtimeMs));
      await rejects(Deno.stat(paths.meta("m/new.bin")), Deno.errors.NotFound);
      // Removed after its close: its marked data file goes, so it can never come back.
      const g = await cache.open("m/gone.bin", O_WRONLY_CREAT, undefined);
      await g.write(0, new Uint8Array([9]));
      await g.release();
      await cache.remove("m/gone.bin");
      await rejects(Deno.stat(paths.data("m/gone.bin")), Deno.errors.NotFound);
      // Written but never closed: not marked, so a crash now leaves an orphan that is dropped.
      const open = await cache.open("m/open.bin", O_WRONLY_CREAT, undefined);
      await open.write(0, new Uint8Array([7]));
      assertEquals(hasLocalMark(await Deno.stat(paths.data("m/open.bin"))), false);

      // What a killed process leaves behind, opened by a new cache.
      const second = `${dir}/second`;
      const cp = await new Deno.Command("cp", { args: ["-a", first, second] }).output();
      assertEquals(cp.success, true);
      copy = await VfsCache.open({ backend, cacheDir: second, options, tuning: TUNING });
      assertEquals(copy.stats().dirtyFiles, 1);
      assertEquals(copy.pendingEntry("m/new.bin"), {
        path: "m/new.bin",
        isDir: false,
        size: 4,
        mtimeMs: Math.trunc(mtimeMs),
      });
      await rejects(Deno.stat(copy.paths.data("m/open.bin")), Deno.errors.NotFound);
      await copy.sync();
      const up = await backend.stat("m/new.bin");
      assertEquals([up.size, up.mtimeMs], [4, Math.trunc(mtimeMs)]);
      await rejects(backend.stat("m/gone.bin"), { name: "NotFoundError" });
      await rejects(backend.stat("m/open.bin"), { name: "NotFoundError" });
      // Uploaded: clean metadata, and the data file no longer marked.
      assertEquals((await readMeta(copy.paths.meta("m/new.bin"))).dirty, false);
      assertEquals(hasLocalMark(await Deno.stat(copy.paths.data("m/new.bin"))), false);
      await open.release();
    } finally {
      await copy?.close();
      await cache.close();
    }
  });
});

Deno.test("VfsCache.open() removes directories a previous run left at a new file's path", async () => {
  await withDir(async (dir) => {
    const backend = new MemoryBackend();
    const paths = new CachePaths(dir, backend.name);
    await Deno.mkdir(paths.data("left/empty"), { recursive: true });
    await Deno.mkdir(paths.meta("left"), { recursive: true });
    const cache = await openHeldWrites(backend, dir);
    try {
      const h = await cache.open("left", 0o101, undefined);
      await h.write(0, new Uint8Array([5, 6]));
      await h.release();
      await cache.sync();
      assertEquals((await backend.stat("left")).size, 2);
      assertEquals((await Deno.stat(paths.data("left"))).isFile, true);
    } finally {
      await cache.close();
    }
  });
});

Deno.test("VfsCache prunes the directories a burst of removals emptied, after the burst", async () => {
  await withHeldWrites(async (cache) => {
    const paths = cache.paths;
    const exists = (f: string) => {
      try {
        Deno.lstatSync(f);
        return true;
      } catch {
        return false;
      }
    };
    const names: string[] = [];
    for (let d = 0; d < 3; d++) {
      for (let f = 0; f < 20; f++) {
        const p = `t/d${d}/f${f}`;
        const h = await cache.open(p, O_WRONLY_CREAT_TRUNC, undefined);
        await h.write(0, new Uint8Array([d, f]));
        await h.release();
        names.push(p);
      }
    }
    await cache.sync(); // clean items: their files go in the background
    for (const p of names.filter((n) => n.startsWith("t/d0/"))) await cache.remove(p);
    // A new file right after the removals: the pruning of t/d0 runs first, never after it.
    const h = await cache.open("t/d0/new", O_WRONLY_CREAT_TRUNC, undefined);
    await h.write(0, new Uint8Array([7]));
    await h.release();
    const rest = names.filter((n) => !n.startsWith("t/d0/") && n !== "t/d2/f19");
    for (const p of rest) await cache.remove(p);
    const deadline = Date.now() + 10_000;
    while (exists(paths.data("t/d1")) || exists(paths.meta("t/d1"))) {
      if (Date.now() > deadline) throw new Error("emptied cache directories were not pruned");
      await new Promise((r) => setTimeout(r, 20));
    }
    assertEquals([exists(paths.data("t/d2/f18")), exists(paths.meta("t/d2/f18"))], [false, false]);
    assertEquals([exists(paths.data("t/d2")), exists(paths.meta("t/d2"))], [true, true]);
    assertEquals(exists(paths.data("t/d0/new")), true);
    assertEquals(exists(paths.data("t/d0/f0")), false);
    // A removal whose pruning is still waiting when the cache closes: close prunes it.
    await cache.remove("t/d2/f19");
    await cache.close();
    assertEquals([exists(paths.data("t/d2")), exists(paths.meta("t/d2"))], [false, false]);
    assertEquals(exists(paths.data("t/d0/new")), true);
  });
});

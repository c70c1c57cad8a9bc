import { deepStrictEqual as assertEquals, rejects } from "node:assert/strict";
import { NotFoundError } from "../lib/errors.ts";
import { readMeta } from "../lib/vfs/cache/item_meta.ts";
import { O, pattern, readRemote, until, withCache, writeRemote } from "./vfs_cache_helpers.ts";
import { MemoryBackend } from "../lib/backends/memory.ts";
import type { OptionValue } from "../lib/config/option_schema.ts";
import type { CachePaths } from "../lib/vfs/cache/cache_paths.ts";
import { VfsCache } from "../lib/vfs/cache/vfs_cache.ts";
import { FaultyBackend } from "./helpers/faulty_backend.ts";

/**
 * Writes `text` to `name` through a cache opened on `cacheDir` over `inner`, uploads it and
 * closes the cache; returns the cache's paths.
 */
async function uploadThenClose(
  inner: MemoryBackend,
  cacheDir: string,
  options: Record<string, OptionValue>,
  name: string,
  text: string,
): Promise<CachePaths> {
  const cache = await VfsCache.open({ backend: inner, cacheDir, options });
  try {
    const h = await cache.open(name, O.WRONLY | O.CREAT, undefined);
    await h.write(0, new TextEncoder().encode(text));
    await h.release();
    await cache.sync();
    return cache.paths;
  } finally {
    await cache.close();
  }
}

const WRITES = { vfs_cache_mode: "writes", vfs_write_back: 50 };

Deno.test("VfsCache uploads a new file written at random offsets after the write-back delay", async () => {
  await withCache(WRITES, async ({ cache, remote, inner }) => {
    const h = await cache.open("dir/new.bin", O.WRONLY | O.CREAT, undefined);
    const expected = new Uint8Array(300_000);
    // Random writes, out of order and overlapping.
    for (
      const [off, len, seed] of [[200_000, 100_000, 1], [0, 150_000, 2], [100_000, 120_000, 3]]
    ) {
      const data = pattern(len!, off!, seed!);
      expected.set(data, off!);
      assertEquals(await h.write(off!, data), len);
    }
    assertEquals(cache.pendingEntry("dir/new.bin")?.size, 300_000);
    assertEquals(cache.pending("dir").map((e) => e.path), ["dir/new.bin"]);
    assertEquals(cache.stats().dirtyFiles, 1);
    assertEquals(cache.stats().dirtyBytes, 300_000);
    await h.release();
    await until(() => remote.writes.length === 1);
    assertEquals(await readRemote(inner, "dir/new.bin"), expected);
    await until(() => cache.stats().dirtyFiles === 0);
    assertEquals(cache.pendingEntry("dir/new.bin"), undefined);
    assertEquals(remote.bytesRead, 0);
  });
});

Deno.test("VfsCache uploads an empty file that was only created", async () => {
  await withCache(WRITES, async ({ cache, inner }) => {
    const h = await cache.open("empty", O.WRONLY | O.CREAT, undefined);
    await h.release();
    await cache.sync();
    assertEquals((await inner.stat("empty")).size, 0);
  });
});

Deno.test("VfsCache patches an existing remote file opened without O_TRUNC", async () => {
  await withCache(WRITES, async ({ cache, remote, inner }) => {
    const original = pattern(1_000_000);
    await writeRemote(inner, "f.bin", original);
    const h = await cache.open("f.bin", O.RDWR, await inner.stat("f.bin"));
    const patch = new TextEncoder().encode("hello, cache");
    await h.write(500_000, patch);
    // Reading elsewhere fetches from the remote; the written bytes come from the cache.
    assertEquals(
      await h.read(499_990, 30),
      (() => {
        const e = original.slice(499_990, 500_020);
        e.set(patch, 10);
        return e;
      })(),
    );
    await h.release();
    await cache.sync();
    const expected = original.slice();
    expected.set(patch, 500_000);
    assertEquals(await readRemote(inner, "f.bin"), expected);
    // Everything but the patch had to come from the remote for the upload, nothing twice.
    assertEquals(remote.bytesRead, 1_000_000 - patch.length);
  });
});

Deno.test("VfsCache O_TRUNC replaces a remote file without downloading it", async () => {
  await withCache(WRITES, async ({ cache, remote, inner }) => {
    await writeRemote(inner, "t.txt", pattern(200_000));
    const h = await cache.open("t.txt", O.WRONLY | O.TRUNC, await inner.stat("t.txt"));
    await h.write(0, new TextEncoder().encode("short"));
    await h.release();
    await cache.sync();
    assertEquals(new TextDecoder().decode(await readRemote(inner, "t.txt")), "short");
    assertEquals(remote.bytesRead, 0);
  });
});

Deno.test("VfsCache O_APPEND writes land at the end of the file", async () => {
  await withCache(WRITES, async ({ cache, inner }) => {
    await writeRemote(inner, "log.txt", new TextEncoder().encode("one\n"));
    const h = await cache.open("log.txt", O.WRONLY | O.APPEND, await inner.stat("log.txt"));
    await h.write(0, new TextEncoder().encode("two\n"));
    await h.release();
    await cache.sync();
    assertEquals(new TextDecoder().decode(await readRemote(inner, "log.txt")), "one\ntwo\n");
  });
});

Deno.test("VfsCache writes after close but before the upload are uploaded once, together", async () => {
  await withCache({ ...WRITES, vfs_write_back: 300 }, async ({ cache, remote, inner }) => {
    const h1 = await cache.open("w.txt", O.WRONLY | O.CREAT, undefined);
    await h1.write(0, new TextEncoder().encode("first "));
    await h1.release();
    await new Promise((r) => setTimeout(r, 100));
    const h2 = await cache.open("w.txt", O.WRONLY, undefined);
    await h2.write(6, new TextEncoder().encode("second"));
    await new Promise((r) => setTimeout(r, 400));
    // Still open for writing: the write-back timer must not upload a half-written file.
    assertEquals(remote.writes.length, 0);
    await h2.release();
    await until(() => remote.writes.length === 1);
    assertEquals(new TextDecoder().decode(await readRemote(inner, "w.txt")), "first second");
    await new Promise((r) => setTimeout(r, 400));
    assertEquals(remote.writes.length, 1);
  });
});

Deno.test("VfsCache sets the remote modification time to the local one", async () => {
  await withCache(WRITES, async ({ cache, inner }) => {
    const h = await cache.open("m.txt", O.WRONLY | O.CREAT, undefined);
    await h.write(0, new TextEncoder().encode("x"));
    h.setPendingMtime(1_600_000_000_000);
    await h.release();
    await cache.sync();
    assertEquals((await inner.stat("m.txt")).mtimeMs, 1_600_000_000_000);
  });
});

Deno.test("VfsCache retries an upload while the remote is down and lands it when it is back", async () => {
  await withCache(WRITES, async ({ cache, remote, inner }) => {
    remote.failWrites = true;
    const h = await cache.open("r.bin", O.WRONLY | O.CREAT, undefined);
    const data = pattern(70_000, 0, 9);
    await h.write(0, data);
    await h.release();
    await until(() => remote.failedWrites >= 3);
    assertEquals(cache.stats().dirtyFiles, 1);
    assertEquals(cache.stats().lastError?.includes("remote unavailable"), true);
    await rejects(inner.stat("r.bin"), NotFoundError);
    remote.failWrites = false;
    await until(() => remote.writes.length === 1, 5000);
    assertEquals(await readRemote(inner, "r.bin"), data);
    await until(() => cache.stats().dirtyFiles === 0);
    assertEquals(cache.stats().lastError, undefined);
  });
});

Deno.test("VfsCache.sync() gives up at its deadline with an error naming the files", async () => {
  await withCache(WRITES, async ({ cache, remote }) => {
    remote.failWrites = true;
    const h = await cache.open("stuck.txt", O.WRONLY | O.CREAT, undefined);
    await h.write(0, new TextEncoder().encode("data"));
    await h.release();
    await rejects(cache.sync({ deadlineMs: 200 }), /stuck\.txt/);
    assertEquals(cache.stats().dirtyFiles, 1);
  });
});

Deno.test("VfsCache uploads a file renamed while queued under the new name only", async () => {
  await withCache({ ...WRITES, vfs_write_back: 60_000 }, async ({ cache, remote, inner }) => {
    const h = await cache.open("a/old.txt", O.WRONLY | O.CREAT, undefined);
    await h.write(0, new TextEncoder().encode("renamed"));
    await h.release();
    await cache.rename("a/old.txt", "b/new.txt");
    assertEquals(cache.pendingEntry("a/old.txt"), undefined);
    assertEquals(cache.pendingEntry("b/new.txt")?.size, 7);
    await cache.sync();
    assertEquals(remote.writes, ["b/new.txt"]);
    assertEquals(new TextDecoder().decode(await readRemote(inner, "b/new.txt")), "renamed");
    await rejects(inner.stat("a/old.txt"), NotFoundError);
  });
});

Deno.test("VfsCache renaming a directory moves the queued files below it", async () => {
  await withCache({ ...WRITES, vfs_write_back: 60_000 }, async ({ cache, remote }) => {
    for (const name of ["d/x", "d/sub/y"]) {
      const h = await cache.open(name, O.WRONLY | O.CREAT, undefined);
      await h.write(0, new TextEncoder().encode(name));
      await h.release();
    }
    await cache.rename("d", "e");
    assertEquals(cache.pending("e").map((x) => x.path), ["e/x"]);
    await cache.sync();
    assertEquals(remote.writes.sort(), ["e/sub/y", "e/x"]);
  });
});

Deno.test("VfsCache renaming a file during its upload lands it under the new name only", async () => {
  await withCache({ ...WRITES, vfs_write_back: 0 }, async ({ cache, remote, inner }) => {
    remote.writeDelayMs = 300;
    const h = await cache.open("up.txt", O.WRONLY | O.CREAT, undefined);
    await h.write(0, new TextEncoder().encode("moving"));
    await h.release();
    await until(() => cache.stats().uploadsInFlight === 1);
    await cache.rename("up.txt", "down.txt");
    remote.writeDelayMs = 0;
    await cache.sync();
    assertEquals(remote.writes, ["down.txt"]);
    await rejects(inner.stat("up.txt"), NotFoundError);
  });
});

Deno.test("VfsCache never uploads a file removed while queued", async () => {
  await withCache({ ...WRITES, vfs_write_back: 100 }, async ({ cache, remote, cacheDir }) => {
    const h = await cache.open("gone.txt", O.WRONLY | O.CREAT, undefined);
    await h.write(0, new TextEncoder().encode("bye"));
    await h.release();
    await cache.remove("gone.txt");
    // A dirty file's cache files are gone when remove returns: a crash cannot upload it again.
    assertEquals(exists(cache.paths.meta("gone.txt")), false);
    assertEquals(exists(cache.paths.data("gone.txt")), false);
    assertEquals(cache.pendingEntry("gone.txt"), undefined);
    assertEquals(cache.stats().dirtyFiles, 0);
    await new Promise((r) => setTimeout(r, 300));
    await cache.sync();
    assertEquals(remote.writes, []);
    assertEquals(
      [...Deno.readDirSync(cache.paths.dataRoot)].length,
      0,
      `no cache data left in ${cacheDir}`,
    );
  });
});

function exists(file: string): boolean {
  try {
    Deno.lstatSync(file);
    return true;
  } catch {
    return false;
  }
}

Deno.test("VfsCache deletes removed clean files in the background, never a new file at their paths", async () => {
  // Uploads only when sync() asks, so the renamed file is still dirty when it moves.
  await withCache({ ...WRITES, vfs_write_back: 60_000 }, async ({ cache, inner }) => {
    const put = async (path: string, text: string, flags = O.WRONLY | O.CREAT) => {
      const h = await cache.open(path, flags, undefined);
      await h.write(0, new TextEncoder().encode(text));
      await h.release();
    };
    // Enough files that their deletions are still queued while the new files are created.
    const n = 1000;
    for (let i = 0; i < n; i++) await put(`d/f${i}.txt`, `old ${i}`);
    for (let i = 0; i < 5; i++) await put(`gone/sub/g${i}.txt`, `old ${i}`);
    await put("c.txt", "old c");
    await cache.sync();
    await put("e.txt", "from e");
    // Clean items: their files are deleted after remove returns...
    await cache.remove("d");
    await cache.remove("c.txt");
    await cache.remove("gone");
    // ...and new files at, below and over those paths right away must survive the deletions.
    await cache.rename("e.txt", "c.txt");
    for (let i = 0; i < n; i++) await inner.remove(`d/f${i}.txt`); // as the VFS does
    await put(`d/f${n - 1}.txt`, "new", O.WRONLY | O.CREAT | O.TRUNC);
    await put(`d/f${n - 2}.txt/inner.txt`, "a directory where a removed file was");
    await cache.sync();
    const text = async (p: string) => new TextDecoder().decode(await readRemote(inner, p));
    assertEquals(await text(`d/f${n - 1}.txt`), "new");
    assertEquals(await text("c.txt"), "from e");
    assertEquals(
      await text(`d/f${n - 2}.txt/inner.txt`),
      "a directory where a removed file was",
    );
    await until(() =>
      !exists(cache.paths.data("d/f7.txt")) && !exists(cache.paths.meta("d/f7.txt"))
    );
    assertEquals(exists(cache.paths.data(`d/f${n - 1}.txt`)), true);
    // The directories the deletions emptied are pruned; the ones still in use stay.
    await until(() => !exists(cache.paths.data("gone")) && !exists(cache.paths.meta("gone")));
    assertEquals(exists(cache.paths.meta("d")), true);
    assertEquals(exists(cache.paths.meta("c.txt")), true);
    // The removed files' entries are gone from the cache, the new ones are clean and present.
    assertEquals(cache.stats().dirtyFiles, 0);
    assertEquals(cache.pendingEntry("d/f7.txt"), undefined);
  });
});

Deno.test("VfsCache keeps an open handle of a removed file working, without uploading", async () => {
  await withCache(WRITES, async ({ cache, remote }) => {
    const h = await cache.open("open.txt", O.RDWR | O.CREAT, undefined);
    await h.write(0, new TextEncoder().encode("still here"));
    await cache.remove("open.txt");
    assertEquals(new TextDecoder().decode(await h.read(0, 100)), "still here");
    await h.release();
    await cache.sync();
    assertEquals(remote.writes, []);
  });
});

Deno.test("VfsCache.stats() counts uploads in flight", async () => {
  await withCache({ ...WRITES, vfs_write_back: 0 }, async ({ cache, remote }) => {
    remote.writeDelayMs = 200;
    const h = await cache.open("s.txt", O.WRONLY | O.CREAT, undefined);
    await h.write(0, new Uint8Array(1000));
    await h.release();
    await until(() => cache.stats().uploadsInFlight === 1);
    assertEquals(cache.stats().dirtyBytes, 1000);
    await cache.sync();
    assertEquals(cache.stats(), {
      dirtyFiles: 0,
      dirtyBytes: 0,
      uploadsInFlight: 0,
      cacheBytes: 1000,
    });
  });
});

Deno.test("VfsCache reports uploads through onUploaded and releases through onRelease", async () => {
  const cacheDir = await Deno.makeTempDir();
  const uploaded: string[] = [];
  let released = 0;
  const cache = await VfsCache.open({
    backend: new MemoryBackend(),
    cacheDir,
    options: WRITES,
    onUploaded: (p, e) => uploaded.push(`${p}:${e.size}`),
  });
  try {
    const h = await cache.open("hook.txt", O.WRONLY | O.CREAT, undefined, {
      onRelease: () => released++,
    });
    await h.write(0, new TextEncoder().encode("abc"));
    await h.release();
    await h.release();
    assertEquals(released, 1);
    await cache.sync();
    assertEquals(uploaded, ["hook.txt:3"]);
  } finally {
    await cache.close();
    await Deno.remove(cacheDir, { recursive: true });
  }
});

Deno.test("VfsCache replaces a clean cached file when the path becomes a directory", async () => {
  await withCache({ vfs_cache_mode: "full" }, async ({ cache, inner }) => {
    await writeRemote(inner, "x", new TextEncoder().encode("file"));
    let h = await cache.open("x", O.RDONLY, await inner.stat("x"));
    await h.read(0, 10);
    await h.release();
    await inner.remove("x");
    await writeRemote(inner, "x/y", new TextEncoder().encode("nested"));
    h = await cache.open("x/y", O.RDONLY, await inner.stat("x/y"));
    assertEquals(new TextDecoder().decode(await h.read(0, 10)), "nested");
    await h.release();
    // And back: a file where the cache holds a directory.
    await inner.remove("x/y");
    await inner.rmdir("x");
    await writeRemote(inner, "x", new TextEncoder().encode("file again"));
    h = await cache.open("x", O.RDONLY, await inner.stat("x"));
    assertEquals(new TextDecoder().decode(await h.read(0, 20)), "file again");
    await h.release();
  });
});

Deno.test("VfsCache reports an upload that landed although a rename cancelled it, then uploads the new name", async () => {
  const cacheDir = await Deno.makeTempDir();
  const remote = new FaultyBackend(new MemoryBackend());
  const landed: string[] = [];
  const cache = await VfsCache.open({
    backend: remote,
    cacheDir,
    options: { ...WRITES, vfs_write_back: 0 },
    onUploaded: (p) => landed.push(p),
  });
  try {
    remote.landDelayMs = 300;
    const h = await cache.open("first.txt", O.WRONLY | O.CREAT, undefined);
    await h.write(0, new TextEncoder().encode("payload"));
    await h.release();
    await until(() => remote.writes.length === 1);
    await cache.rename("first.txt", "second.txt");
    remote.landDelayMs = 0;
    // The caller learnt that first.txt exists remotely (so it moves or deletes it) ...
    assertEquals(landed, ["first.txt"]);
    // ... and the file still goes up under its new name.
    assertEquals(cache.pendingEntry("second.txt")?.size, 7);
    await cache.sync();
    assertEquals(landed, ["first.txt", "second.txt"]);
  } finally {
    await cache.close();
    await Deno.remove(cacheDir, { recursive: true });
  }
});

Deno.test("VfsCache.setMtime() owns the time of a queued file and keeps a clean copy valid", async () => {
  await withCache({ ...WRITES, vfs_write_back: 60_000 }, async ({ cache, remote, inner }) => {
    const h = await cache.open("q.txt", O.WRONLY | O.CREAT, undefined);
    await h.write(0, new TextEncoder().encode("q"));
    await h.release();
    assertEquals(await cache.setMtime("q.txt", 1_234_567_000), true);
    assertEquals(cache.pendingEntry("q.txt")?.mtimeMs, 1_234_567_000);
    await cache.sync();
    assertEquals((await inner.stat("q.txt")).mtimeMs, 1_234_567_000);
    // Now clean: the caller sets the remote time, the cached copy stays usable.
    assertEquals(await cache.setMtime("q.txt", 2_000_000_000_000), false);
    await inner.setModTime!("q.txt", 2_000_000_000_000);
    const before = remote.bytesRead;
    const r = await cache.open("q.txt", O.RDONLY, await inner.stat("q.txt"));
    assertEquals(new TextDecoder().decode(await r.read(0, 10)), "q");
    await r.release();
    assertEquals(remote.bytesRead, before);
    assertEquals(await cache.setMtime("unknown", 1), false);
  });
});

Deno.test("VfsCache.rename() holds uploads while the caller moves the remote object", async () => {
  await withCache({ ...WRITES, vfs_write_back: 0 }, async ({ cache, remote, inner }) => {
    await writeRemote(inner, "old.txt", new TextEncoder().encode("old version"));
    const h = await cache.open("old.txt", O.WRONLY | O.TRUNC, await inner.stat("old.txt"));
    await h.write(0, new TextEncoder().encode("new version"));
    remote.writeDelayMs = 50;
    await h.release();
    let writesDuringMove = -1;
    await cache.rename("old.txt", "new.txt", async () => {
      // What a VFS does: look the remote up now, move it (slowly), nothing uploads meanwhile.
      assertEquals((await inner.stat("old.txt")).size, 11);
      await new Promise((r) => setTimeout(r, 200));
      await inner.move!("old.txt", "new.txt");
      writesDuringMove = remote.writes.length;
    });
    assertEquals(writesDuringMove, 0);
    await cache.sync();
    assertEquals(remote.writes, ["new.txt"]);
    assertEquals(new TextDecoder().decode(await readRemote(inner, "new.txt")), "new version");
    await rejects(inner.stat("old.txt"), NotFoundError);
  });
});

Deno.test("VfsCache.rename() leaves the cache unchanged when the remote move fails", async () => {
  await withCache({ ...WRITES, vfs_write_back: 60_000 }, async ({ cache, remote, inner }) => {
    const h = await cache.open("stay.txt", O.WRONLY | O.CREAT, undefined);
    await h.write(0, new TextEncoder().encode("stay"));
    await h.release();
    await rejects(
      cache.rename("stay.txt", "moved.txt", () => Promise.reject(new Error("remote says no"))),
      /remote says no/,
    );
    assertEquals(cache.pendingEntry("stay.txt")?.size, 4);
    assertEquals(cache.pendingEntry("moved.txt"), undefined);
    await cache.sync();
    assertEquals(remote.writes, ["stay.txt"]);
    assertEquals(new TextDecoder().decode(await readRemote(inner, "stay.txt")), "stay");
  });
});

Deno.test("VfsCache close(2) stores the data and the dirty state before returning; fsync(2) does not wait for the batched sync", async () => {
  await withCache(
    { vfs_cache_mode: "writes", vfs_write_back: 3_600_000 },
    async ({ cache, inner }) => {
      // What a killed process leaves is read straight from the cache directory, no shutdown.
      // A new file: its data file, marked and carrying the file's time, is the whole record.
      const h = await cache.open("d/closed.bin", O.WRONLY | O.CREAT, undefined);
      await h.write(0, pattern(70_000));
      await h.flush();
      const data = await Deno.stat(cache.paths.data("d/closed.bin"));
      assertEquals(data.mode! & 0o777, 0o700);
      assertEquals(data.mtime!.getTime(), Math.trunc(cache.pendingEntry("d/closed.bin")!.mtimeMs));
      assertEquals(exists(cache.paths.meta("d/closed.bin")), false);
      assertEquals(await Deno.readFile(cache.paths.data("d/closed.bin")), pattern(70_000));
      // A changed remote file: its dirty metadata.
      await writeRemote(inner, "d/patched.bin", pattern(1000));
      const p = await cache.open("d/patched.bin", O.RDWR, await inner.stat("d/patched.bin"));
      await p.write(10, pattern(5, 0, 3));
      await p.flush();
      const meta = await readMeta(cache.paths.meta("d/patched.bin"));
      assertEquals([meta.dirty, meta.size, meta.ranges], [true, 1000, [[10, 15]]]);
      assertEquals(
        (await Deno.stat(cache.paths.data("d/patched.bin"))).mode! & 0o100,
        0,
        "a partial copy of a remote file is never marked",
      );
      await p.release();
      // fsync makes it durable at once although the batch delay is an hour.
      const t0 = Date.now();
      await h.write(70_000, pattern(10, 70_000));
      await h.fsync().catch(() => {}); // the upload may also run; only the time matters
      assertEquals(Date.now() - t0 < 10_000, true);
      await h.release();
    },
    { tuning: { syncBatchMs: 3_600_000 } },
  );
});

Deno.test("VfsCache close() stores what changed since the last save: a read's access time, an upload's clean state", async () => {
  const cacheDir = await Deno.makeTempDir();
  const inner = new MemoryBackend();
  const options = { vfs_cache_mode: "full", vfs_write_back: 0 };
  try {
    const file = (await uploadThenClose(inner, cacheDir, options, "f.txt", "kept")).meta("f.txt");
    const before = await readMeta(file);
    assertEquals(before.dirty, false);
    const cache = await VfsCache.open({ backend: inner, cacheDir, options });
    await new Promise((r) => setTimeout(r, 5));
    const r = await cache.open("f.txt", O.RDONLY, await inner.stat("f.txt"));
    assertEquals(new TextDecoder().decode(await r.read(0, 10)), "kept");
    await r.release();
    await cache.close();
    const after = await readMeta(file);
    assertEquals(after.atimeMs > before.atimeMs, true);
    assertEquals({ ...after, atimeMs: 0 }, { ...before, atimeMs: 0 });
  } finally {
    await Deno.remove(cacheDir, { recursive: true });
  }
});

Deno.test("VfsCache drops a clean entry whose in-place metadata write a crash cut short, and reads the file from the remote again", async () => {
  const cacheDir = await Deno.makeTempDir();
  const inner = new MemoryBackend();
  const options = { vfs_cache_mode: "full", vfs_write_back: 0 };
  try {
    const paths = await uploadThenClose(inner, cacheDir, options, "up.txt", "uploaded");
    const meta = paths.meta("up.txt");
    const data = paths.data("up.txt");
    // What a kill between the truncation and the write of the clean state leaves behind.
    await Deno.truncate(meta, 0);
    const cache = await VfsCache.open({ backend: inner, cacheDir, options });
    try {
      assertEquals(exists(meta) || exists(data), false);
      assertEquals(cache.stats().dirtyFiles, 0);
      const r = await cache.open("up.txt", O.RDONLY, await inner.stat("up.txt"));
      assertEquals(new TextDecoder().decode(await r.read(0, 100)), "uploaded");
      await r.release();
    } finally {
      await cache.close();
    }
  } finally {
    await Deno.remove(cacheDir, { recursive: true });
  }
});

Deno.test("VfsCache never uploads a small file whose cache data came up short; the error says so", async () => {
  await withCache(
    { vfs_cache_mode: "writes", vfs_write_back: 3_600_000 },
    async ({ cache, inner }) => {
      const h = await cache.open("s.bin", O.WRONLY | O.CREAT, undefined);
      await h.write(0, pattern(1000));
      await h.release();
      // Damage behind the cache's back: the data file loses its second half.
      await Deno.truncate(cache.paths.data("s.bin"), 500);
      await rejects(cache.sync({ deadlineMs: 300 }), { name: "FsError" });
      await rejects(inner.stat("s.bin"), NotFoundError);
      assertEquals(cache.stats().lastError?.includes("is short"), true);
      // Repaired, it lands whole.
      const w = await cache.open("s.bin", O.WRONLY, undefined);
      await w.write(0, pattern(1000));
      await w.release();
      await cache.sync();
      assertEquals(await readRemote(inner, "s.bin"), pattern(1000));
    },
  );
});

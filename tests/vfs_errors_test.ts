/**
 * @module
 * Failure paths and background behaviour of the Vfs: failed streaming uploads, `vfs_refresh`,
 * open handles under renamed directories, and unlinking files being written.
 */

import { assert, assertEquals, assertRejects } from "./vfs_assert.ts";
import { Errno, FsError, NotFoundError } from "../lib/errors.ts";
import { O, Vfs } from "../lib/vfs/vfs.ts";
import { bytes, getFile, memoryBackend, putFile, text } from "./vfs_helpers.ts";

Deno.test("a failed streaming upload surfaces as EIO on flush and in status()", async () => {
  const b = memoryBackend();
  b.failWritesAfter = 10;
  const vfs = new Vfs(b, {});
  const { handle } = await vfs.create("f", O.WRONLY | O.CREAT, 0o644);
  let failed: unknown;
  try {
    for (let off = 0; off < 4 * 1024 * 1024; off += 65536) {
      await handle.write(off, new Uint8Array(65536));
    }
    await handle.flush();
  } catch (err) {
    failed = err;
  }
  assert(failed instanceof FsError, `expected an FsError, got ${failed}`);
  assertEquals((failed as FsError).errno, Errno.EIO);
  await handle.release().catch(() => {});
  assert(vfs.status().lastError?.includes("remote unavailable"), "lastError recorded");
  await assertRejects(() => vfs.stat("f"), NotFoundError);
  assertEquals(vfs.status().openFiles, 0);
});

Deno.test("vfs_refresh fills the directory cache in the background", async () => {
  const b = memoryBackend();
  await putFile(b, "a/b/c/file", bytes("x"));
  await putFile(b, "d/file", bytes("y"));
  const vfs = new Vfs(b, { vfs_refresh: true });
  for (let i = 0; i < 1000 && b.counts.list < 5; i++) await new Promise((r) => setTimeout(r, 5));
  assertEquals(b.counts.list, 5, "root, a, a/b, a/b/c, d");
  assertEquals((await vfs.readdir("a/b/c")).map((x) => x.name), ["file"]);
  assertEquals(b.counts.list, 5, "served from the refreshed cache");
});

Deno.test("renaming a directory retargets handles open below it", async () => {
  const b = memoryBackend();
  await b.mkdir("src");
  const vfs = new Vfs(b, {});
  const { handle } = await vfs.create("src/f", O.WRONLY | O.CREAT, 0o644);
  await handle.write(0, bytes("abc"));
  await vfs.rename("src", "dst");
  assertEquals(handle.path, "dst/f");
  await handle.write(3, bytes("def"));
  await handle.release();
  assertEquals(text(await getFile(b, "dst/f")), "abcdef");
  assertEquals((await vfs.readdir("dst")).map((a) => [a.name, a.size]), [["f", 6]]);
});

Deno.test("readdir() shows a file being created before any data reaches the remote", async () => {
  const b = memoryBackend();
  const vfs = new Vfs(b, {});
  const { handle } = await vfs.create("pending", O.WRONLY | O.CREAT, 0o644);
  assertEquals((await vfs.readdir("")).map((a) => a.name), ["pending"]);
  await assertRejects(() => b.stat("pending"), NotFoundError);
  await handle.release();
  assertEquals((await b.stat("pending")).size, 0);
});

Deno.test("unlinking a file being written hides it and its data never lands", async () => {
  const b = memoryBackend();
  const vfs = new Vfs(b, {});
  const { handle } = await vfs.create("doomed", O.WRONLY | O.CREAT, 0o644);
  await handle.write(0, bytes("some data"));
  await vfs.unlink("doomed");
  await assertRejects(() => vfs.stat("doomed"), NotFoundError);
  assertEquals(await handle.write(9, bytes("more")), 4, "writes to the unlinked file still work");
  await handle.flush();
  await handle.release();
  await assertRejects(() => b.stat("doomed"), NotFoundError);
  assertEquals((await vfs.readdir("")).length, 0);
  assertEquals(vfs.status().openFiles, 0);
});

Deno.test("renaming over a file being written replaces it for good", async () => {
  const b = memoryBackend();
  await putFile(b, "new", bytes("replacement"));
  const vfs = new Vfs(b, {});
  const { handle } = await vfs.create("target", O.WRONLY | O.CREAT, 0o644);
  await handle.write(0, bytes("old writer"));
  await vfs.rename("new", "target");
  await handle.release();
  assertEquals(text(await getFile(b, "target")), "replacement");
  assertEquals((await vfs.stat("target")).size, 11);
});

Deno.test("writes mode: an unlinked file open through the cache is gone by name but readable", async () => {
  const b = memoryBackend();
  const vfs = new Vfs(b, { vfs_cache_mode: "writes", vfs_write_back: 0 });
  const { handle } = await vfs.create("f", O.WRONLY | O.CREAT, 0o644);
  await handle.write(0, bytes("cached content"));
  await handle.release();
  await vfs.sync();
  const r = await vfs.open("f", O.RDONLY);
  assertEquals(text(await r.read(0, 6)), "cached");
  await vfs.unlink("f");
  await assertRejects(() => vfs.stat("f"), NotFoundError);
  assertEquals((await vfs.readdir("")).length, 0);
  assertEquals(text(await r.read(7, 100)), "content");
  await r.release();
  await assertRejects(() => b.stat("f"), NotFoundError);
  assertEquals(vfs.status().openFiles, 0);
  await vfs.shutdown();
});

Deno.test("ready() rejects when the cache dir is unusable, and resolves in mode off", async () => {
  const file = await Deno.makeTempFile();
  try {
    const vfs = new Vfs(memoryBackend(), { vfs_cache_mode: "writes" }, { cacheDir: `${file}/x` });
    await assertRejects(() => vfs.ready());
    await assertRejects(() => vfs.stat(""));
    await new Vfs(memoryBackend(), {}).ready();
  } finally {
    await Deno.remove(file);
  }
});

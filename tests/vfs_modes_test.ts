/**
 * @module
 * Open/read/write/append/truncate semantics per cache mode (rclone's "VFS File Caching"
 * rules), over the memory backend.
 */

import { assert, assertBytes, assertEquals, assertRejects } from "./vfs_assert.ts";
import { Errno, FsError } from "../lib/errors.ts";
import { O, Vfs } from "../lib/vfs/vfs.ts";
import { bytes, getFile, memoryBackend, patternBytes, putFile, text } from "./vfs_helpers.ts";

function errnoIs(err: Error, errno: number): void {
  assert(err instanceof FsError, `not an FsError: ${err}`);
  assertEquals(err.errno, errno, err.message);
}

Deno.test("off mode: O_RDWR gets a write-only stream whose reads fail with EPERM", async () => {
  const b = memoryBackend();
  const vfs = new Vfs(b, { vfs_cache_mode: "off" });
  const { handle } = await vfs.create("f", O.RDWR | O.CREAT, 0o644);
  await handle.write(0, bytes("abc"));
  errnoIs(await assertRejects(() => handle.read(0, 3)), Errno.EPERM);
  await handle.flush();
  await handle.release();
  assertEquals(text(await getFile(b, "f")), "abc");
});

Deno.test("off mode: overwriting an existing file needs O_TRUNC", async () => {
  const b = memoryBackend();
  await putFile(b, "f", bytes("old content"));
  const vfs = new Vfs(b, { vfs_cache_mode: "off" });
  const h = await vfs.open("f", O.WRONLY);
  errnoIs(await assertRejects(() => h.write(0, bytes("new"))), Errno.EPERM);
  await h.flush(); // unwritten: leaves the file intact (rclone 1.60 says EPERM here)
  await h.release();
  assertEquals(text(await getFile(b, "f")), "old content");

  const t = await vfs.open("f", O.WRONLY | O.TRUNC);
  assertEquals((await vfs.stat("f")).size, 11, "size before the first write");
  await t.write(0, bytes("new"));
  assertEquals((await vfs.stat("f")).size, 3);
  await t.release();
  assertEquals(text(await getFile(b, "f")), "new");
  assertEquals((await vfs.stat("f")).size, 3);
});

Deno.test("off mode: O_APPEND on an existing file fails (no seeking without a cache)", async () => {
  const b = memoryBackend();
  await putFile(b, "f", bytes("12345"));
  const vfs = new Vfs(b, { vfs_cache_mode: "off", vfs_write_wait: 30 });
  const h = await vfs.open("f", O.WRONLY | O.APPEND);
  errnoIs(await assertRejects(() => h.write(5, bytes("6"))), Errno.ESPIPE);
  await h.release();
  assertEquals(text(await getFile(b, "f")), "12345");
});

Deno.test("off mode: out-of-order writes wait for the gap, then fail with ESPIPE", async () => {
  const b = memoryBackend();
  const vfs = new Vfs(b, { vfs_cache_mode: "off", vfs_write_wait: 1000 });
  const { handle } = await vfs.create("f", O.WRONLY | O.CREAT, 0o644);
  // The second half arrives first and must wait for the first half.
  const late = handle.write(4, bytes("EFGH"));
  await new Promise((r) => setTimeout(r, 20));
  await handle.write(0, bytes("ABCD"));
  assertEquals(await late, 4);
  // A gap that is never filled fails after vfs_write_wait.
  const t0 = Date.now();
  errnoIs(await assertRejects(() => handle.write(100, bytes("x"))), Errno.ESPIPE);
  assert(Date.now() - t0 >= 900, "waited for vfs_write_wait");
  // Backwards writes fail too.
  errnoIs(await assertRejects(() => handle.write(0, bytes("x"))), Errno.ESPIPE);
  await handle.flush();
  errnoIs(await assertRejects(() => handle.write(8, bytes("x"))), Errno.EBADF);
  await handle.release();
  assertEquals(text(await getFile(b, "f")), "ABCDEFGH");
});

Deno.test("off mode: truncate of a closed file to 0 uploads an empty file, other sizes EPERM", async () => {
  const b = memoryBackend();
  await putFile(b, "f", bytes("0123456789"));
  const vfs = new Vfs(b, { vfs_cache_mode: "off" });
  errnoIs(await assertRejects(() => vfs.setattr("f", { size: 4 })), Errno.EPERM);
  assertEquals((await vfs.setattr("f", { size: 10 })).size, 10, "same size is a no-op");
  assertEquals((await vfs.setattr("f", { size: 0 })).size, 0);
  assertEquals((await b.stat("f")).size, 0);
});

Deno.test("off mode: ftruncate on an open write handle only accepts the current size", async () => {
  const b = memoryBackend();
  await putFile(b, "f", bytes("0123456789"));
  const vfs = new Vfs(b, { vfs_cache_mode: "off" });
  const h = await vfs.open("f", O.WRONLY);
  await vfs.setattr("f", { size: 0 }); // marks the handle truncated: writing is now allowed
  await h.write(0, bytes("xy"));
  errnoIs(await assertRejects(() => vfs.setattr("f", { size: 1 })), Errno.EPERM);
  await h.release();
  assertEquals(text(await getFile(b, "f")), "xy");
});

Deno.test("minimal mode: O_RDWR is buffered in the cache with random access", async () => {
  const b = memoryBackend();
  await putFile(b, "f", bytes("hello world"));
  const cacheDir = await Deno.makeTempDir();
  try {
    const vfs = new Vfs(b, { vfs_cache_mode: "minimal", vfs_write_back: 0 }, { cacheDir });
    const h = await vfs.open("f", O.RDWR);
    assertEquals(text(await h.read(6, 5)), "world");
    await h.write(0, bytes("J"));
    await h.write(11, bytes("!!"));
    assertEquals((await vfs.stat("f")).size, 13);
    assertEquals(text(await h.read(0, 100)), "Jello world!!");
    await vfs.setattr("f", { size: 5 });
    await h.flush();
    assertEquals(text(await getFile(b, "f")), "hello world", "uploaded after the last close");
    await h.release();
    assertEquals((await vfs.stat("f")).size, 5);
    await vfs.sync();
    assertEquals(text(await getFile(b, "f")), "Jello");
    assertEquals(vfs.status().dirtyFiles, 0);
    // Write-only opens of files the cache does not hold still stream (and need O_TRUNC).
    await putFile(b, "g", bytes("other"));
    vfs.forgetDirCache();
    const w = await vfs.open("g", O.WRONLY);
    errnoIs(await assertRejects(() => w.write(0, bytes("z"))), Errno.EPERM);
    await w.release();
    await vfs.shutdown();
  } finally {
    await Deno.remove(cacheDir, { recursive: true });
  }
});

Deno.test("minimal mode: O_APPEND on an existing file appends", async () => {
  const b = memoryBackend();
  await putFile(b, "log", bytes("line1\n"));
  const vfs = new Vfs(b, { vfs_cache_mode: "minimal", vfs_write_back: 0 });
  const h = await vfs.open("log", O.WRONLY | O.APPEND);
  await h.write(0, bytes("line2\n"));
  await h.release();
  await vfs.sync();
  assertEquals(text(await getFile(b, "log")), "line1\nline2\n");
  await vfs.shutdown();
});

Deno.test("writes mode: write opens accept any offset and truncate to any size", async () => {
  const b = memoryBackend();
  const data = patternBytes(300_000, 7);
  await putFile(b, "big", data);
  const vfs = new Vfs(b, { vfs_cache_mode: "writes", vfs_write_back: 0 });
  const h = await vfs.open("big", O.WRONLY);
  await h.write(200_000, bytes("XYZ"));
  await h.write(10, bytes("abc"));
  await h.release();
  await vfs.sync();
  const expect = data.slice();
  expect.set(bytes("XYZ"), 200_000);
  expect.set(bytes("abc"), 10);
  assertBytes(await getFile(b, "big"), expect);
  assertEquals((await vfs.setattr("big", { size: 100 })).size, 100);
  await vfs.sync();
  assertBytes(await getFile(b, "big"), expect.subarray(0, 100));
  assertEquals((await vfs.setattr("big", { size: 120 })).size, 120);
  await vfs.sync();
  assertEquals((await getFile(b, "big")).byteLength, 120);
  await vfs.shutdown();
});

Deno.test("read handle: writes fail with EBADF; write-only flag on a dir fails with EISDIR", async () => {
  const b = memoryBackend();
  await putFile(b, "f", bytes("x"));
  await b.mkdir("d");
  const vfs = new Vfs(b, {});
  const h = await vfs.open("f", O.RDONLY);
  errnoIs(await assertRejects(() => h.write(0, bytes("y"))), Errno.EBADF);
  await h.release();
  errnoIs(await assertRejects(() => vfs.open("d", O.WRONLY)), Errno.EISDIR);
});

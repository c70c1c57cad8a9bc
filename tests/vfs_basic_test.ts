/**
 * @module
 * Vfs behaviour over the memory backend in cache mode `off`: lookups, attributes, directory
 * operations, streaming reads and writes.
 */

import { assert, assertEquals, assertRejects } from "./vfs_assert.ts";
import {
  ExistsError,
  IsDirectoryError,
  NotDirectoryError,
  NotEmptyError,
  NotFoundError,
  ReadOnlyError,
} from "../lib/errors.ts";
import { O, Vfs } from "../lib/vfs/vfs.ts";
import { S_IFDIR, S_IFREG } from "../lib/vfs/attr.ts";
import { bytes, getFile, memoryBackend, putFile, text } from "./vfs_helpers.ts";

Deno.test("Vfs.stat() reports root, files and dirs with masked modes and uid/gid", async () => {
  const b = memoryBackend();
  await putFile(b, "dir/file.txt", bytes("hello"));
  const vfs = new Vfs(b, { umask: 0o027, uid: 1234, gid: 4321 });
  const root = await vfs.stat("");
  assertEquals(root.isDir, true);
  assertEquals(root.mode, S_IFDIR | 0o750);
  const f = await vfs.stat("dir/file.txt");
  assertEquals(f.size, 5);
  assertEquals(f.name, "file.txt");
  assertEquals(f.mode, S_IFREG | 0o640);
  assertEquals([f.uid, f.gid], [1234, 4321]);
  await assertRejects(() => vfs.stat("dir/nope"), NotFoundError);
  await assertRejects(() => vfs.stat("nodir/nope"), NotFoundError);
  await vfs.shutdown();
});

Deno.test("Vfs.stat() with no_modtime reports the start time", async () => {
  const b = memoryBackend();
  await b.write("f", new Blob(["x"]).stream(), { mtimeMs: 1_000_000 });
  const plain = new Vfs(b, {});
  assertEquals((await plain.stat("f")).mtimeMs, 1_000_000);
  const before = Date.now();
  const vfs = new Vfs(b, { no_modtime: true });
  assert((await vfs.stat("f")).mtimeMs >= before);
});

Deno.test("Vfs.readdir() lists children sorted and rejects files", async () => {
  const b = memoryBackend();
  await putFile(b, "d/b", bytes("bb"));
  await putFile(b, "d/a", bytes("a"));
  await b.mkdir("d/sub");
  const vfs = new Vfs(b, {});
  const names = (await vfs.readdir("d")).map((a) => `${a.name}:${a.isDir ? "d" : a.size}`);
  assertEquals(names, ["a:1", "b:2", "sub:d"]);
  await assertRejects(() => vfs.readdir("d/a"), NotDirectoryError);
  await assertRejects(() => vfs.readdir("zz"), NotFoundError);
});

Deno.test("Vfs.open() for read streams the file content at offsets", async () => {
  const b = memoryBackend();
  await putFile(b, "f", bytes("0123456789"));
  const vfs = new Vfs(b, {});
  const h = await vfs.open("f", O.RDONLY);
  assertEquals(text(await h.read(0, 4)), "0123");
  assertEquals(text(await h.read(4, 100)), "456789");
  assertEquals((await h.read(10, 10)).byteLength, 0);
  assertEquals(text(await h.read(2, 3)), "234");
  await h.release();
  await assertRejects(() => vfs.open("d", O.RDONLY), NotFoundError);
  await assertRejects(() => vfs.open("f", O.RDONLY | O.TRUNC));
});

Deno.test("Vfs.create() then write shows the growing size and uploads on flush", async () => {
  const b = memoryBackend();
  const vfs = new Vfs(b, {});
  const { handle, attr } = await vfs.create("new.txt", O.WRONLY | O.CREAT, 0o644);
  assertEquals(attr.size, 0);
  assertEquals((await vfs.stat("new.txt")).size, 0);
  assertEquals(await handle.write(0, bytes("hello ")), 6);
  await handle.write(6, bytes("world"));
  assertEquals((await vfs.stat("new.txt")).size, 11);
  assertEquals((await vfs.readdir("")).map((a) => [a.name, a.size]), [["new.txt", 11]]);
  await handle.flush();
  assertEquals(text(await getFile(b, "new.txt")), "hello world");
  await handle.release();
  assertEquals((await vfs.stat("new.txt")).size, 11);
  await vfs.shutdown();
});

Deno.test("Vfs.create() of an empty file makes an empty object on release", async () => {
  const b = memoryBackend();
  const vfs = new Vfs(b, {});
  const { handle } = await vfs.create("empty", O.WRONLY | O.CREAT, 0o644);
  await handle.flush();
  await handle.release();
  assertEquals((await b.stat("empty")).size, 0);
  await assertRejects(() => vfs.create("empty", O.WRONLY | O.CREAT | O.EXCL, 0o644), ExistsError);
});

Deno.test("Vfs.mkdir() and rmdir() follow POSIX errors", async () => {
  const b = memoryBackend();
  const vfs = new Vfs(b, {});
  const d = await vfs.mkdir("a");
  assertEquals(d.isDir, true);
  await assertRejects(() => vfs.mkdir("a"), ExistsError);
  await assertRejects(() => vfs.mkdir("x/y"), NotFoundError);
  await vfs.mkdir("a/b");
  await assertRejects(() => vfs.rmdir("a"), NotEmptyError);
  await vfs.rmdir("a/b");
  await vfs.rmdir("a");
  await assertRejects(() => b.stat("a"), NotFoundError);
  await putFile(b, "f", bytes("x"));
  await assertRejects(() => vfs.stat("f"), NotFoundError, "f"); // listing still cached
  vfs.forgetDirCache();
  await assertRejects(() => vfs.rmdir("f"), NotDirectoryError);
  await assertRejects(() => vfs.unlink("zz"), NotFoundError);
  await vfs.mkdir("dd");
  await assertRejects(() => vfs.unlink("dd"), IsDirectoryError);
  await vfs.unlink("f");
  await assertRejects(() => vfs.stat("f"), NotFoundError);
});

Deno.test("Vfs with read_only refuses every mutation with EROFS", async () => {
  const b = memoryBackend();
  await putFile(b, "f", bytes("data"));
  const vfs = new Vfs(b, { read_only: true });
  await assertRejects(() => vfs.mkdir("d"), ReadOnlyError);
  await assertRejects(() => vfs.rmdir("d"), ReadOnlyError);
  await assertRejects(() => vfs.unlink("f"), ReadOnlyError);
  await assertRejects(() => vfs.rename("f", "g"), ReadOnlyError);
  await assertRejects(() => vfs.setattr("f", { size: 0 }), ReadOnlyError);
  await assertRejects(() => vfs.setattr("f", { mtimeMs: 5 }), ReadOnlyError);
  await assertRejects(() => vfs.open("f", O.WRONLY), ReadOnlyError);
  await assertRejects(() => vfs.open("f", O.RDWR), ReadOnlyError);
  await assertRejects(() => vfs.create("g", O.WRONLY | O.CREAT, 0o644), ReadOnlyError);
  const h = await vfs.open("f", O.RDONLY);
  assertEquals(text(await h.read(0, 10)), "data");
  await h.release();
  assertEquals(text(await getFile(b, "f")), "data");
});

Deno.test("Vfs.statCached() answers from a fresh listing only, as stat() would", async () => {
  const b = memoryBackend();
  await putFile(b, "dir/file.txt", bytes("hello"));
  const vfs = new Vfs(b, { dir_cache_time: 60 });
  assertEquals(vfs.statCached("dir/file.txt"), undefined, "dir not listed yet");
  assertEquals(vfs.statCached(""), await vfs.stat(""), "the root needs no listing");
  await vfs.readdir("dir");
  assertEquals(vfs.statCached("dir/file.txt"), await vfs.stat("dir/file.txt"));
  assertEquals(vfs.statCached("dir/nope"), null, "absent from a fresh listing");
  assertEquals(vfs.statCached("dir/file.txt/x"), undefined, "a file has no listing");
  // a file being written shows before it reaches the remote, with its growing size
  const h = await vfs.open("dir/new.txt", O.WRONLY | O.CREAT);
  await h.write(0, bytes("abc"));
  const seen = vfs.statCached("dir/new.txt");
  assertEquals([seen?.size, seen?.isDir], [3, false]);
  await h.release();
  assertEquals(vfs.statCached("dir/new.txt")?.size, 3);
  await vfs.shutdown();
  const folding = new Vfs(b, { vfs_case_insensitive: true });
  await folding.readdir("dir");
  assertEquals(folding.statCached("DIR/FILE.TXT"), undefined, "case folding takes stat()");
  assertEquals((await folding.stat("DIR/FILE.TXT")).size, 5);
  await folding.shutdown();
});

Deno.test("Vfs.readdir() lists the same with and without an open file in the directory", async () => {
  const b = memoryBackend();
  for (const n of ["b", "a", "é", "c/d", "Z"]) await putFile(b, `dir/${n}`, bytes(n));
  const vfs = new Vfs(b, { dir_cache_time: 60 });
  const plain = await vfs.readdir("dir");
  assertEquals(plain.map((a) => a.name), ["Z", "a", "b", "c", "é"]);
  const h = await vfs.open("dir/a", O.RDONLY);
  try {
    assertEquals(await vfs.readdir("dir"), plain, "a reader overlays nothing");
  } finally {
    await h.release();
  }
  await vfs.shutdown();
});

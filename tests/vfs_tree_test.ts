/**
 * @module
 * Renames, directory cache expiry/forget/change notification, case-insensitive lookups,
 * setattr and statfs of the Vfs over the memory backend.
 */

import { assert, assertEquals, assertRejects } from "./vfs_assert.ts";
import {
  ExistsError,
  IsDirectoryError,
  NotDirectoryError,
  NotEmptyError,
  NotFoundError,
} from "../lib/errors.ts";
import { O, Vfs } from "../lib/vfs/vfs.ts";
import { UNKNOWN_SPACE } from "../lib/vfs/statfs.ts";
import { bytes, getFile, memoryBackend, putFile, text } from "./vfs_helpers.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const serverSide of [true, false]) {
  const label = serverSide ? "server-side move" : "copy+delete fallback";

  Deno.test(`Vfs.rename() of a file replaces an existing target (${label})`, async () => {
    const b = memoryBackend({ move: serverSide, moveDir: serverSide });
    await putFile(b, "a", bytes("AAA"));
    await putFile(b, "b", bytes("B"));
    const vfs = new Vfs(b, {});
    await assertRejects(() => vfs.rename("a", "b", { noReplace: true }), ExistsError);
    await vfs.rename("a", "b");
    await assertRejects(() => vfs.stat("a"), NotFoundError);
    assertEquals((await vfs.stat("b")).size, 3);
    assertEquals(text(await getFile(b, "b")), "AAA");
    assertEquals(b.counts.move, serverSide ? 1 : 0);
    await assertRejects(() => vfs.rename("nope", "x"), NotFoundError);
    await assertRejects(() => vfs.rename("b", "missing/x"), NotFoundError);
  });

  Deno.test(`Vfs.rename() of a directory moves the tree (${label})`, async () => {
    const b = memoryBackend({ move: serverSide, moveDir: serverSide });
    await putFile(b, "d/x", bytes("x"));
    await putFile(b, "d/sub/y", bytes("yy"));
    await b.mkdir("empty");
    await putFile(b, "full/z", bytes("z"));
    const vfs = new Vfs(b, {});
    assertEquals((await vfs.readdir("d")).length, 2);
    await vfs.rename("d", "e");
    await assertRejects(() => vfs.stat("d"), NotFoundError);
    await assertRejects(() => vfs.readdir("d"), NotFoundError);
    assertEquals((await vfs.readdir("e")).map((a) => a.name), ["sub", "x"]);
    assertEquals(text(await getFile(b, "e/sub/y")), "yy");
    await assertRejects(() => vfs.rename("e", "full"), NotEmptyError);
    await vfs.rename("e", "empty"); // replaces an empty directory
    assertEquals((await vfs.readdir("empty")).map((a) => a.name), ["sub", "x"]);
    await assertRejects(() => vfs.rename("empty", "empty/sub/deeper"));
    await assertRejects(() => vfs.rename("empty", "full/z"), NotDirectoryError);
    await assertRejects(() => vfs.rename("full/z", "empty"), IsDirectoryError);
    assertEquals(b.counts.moveDir, serverSide ? 2 : 0);
  });
}

Deno.test("Vfs.rename() of a file being written retargets the upload", async () => {
  const b = memoryBackend();
  const vfs = new Vfs(b, {});
  const { handle } = await vfs.create("tmp", O.WRONLY | O.CREAT, 0o644);
  await handle.write(0, bytes("part1"));
  await vfs.rename("tmp", "final");
  assertEquals(handle.path, "final");
  await handle.write(5, bytes("part2"));
  assertEquals((await vfs.stat("final")).size, 10);
  await handle.release();
  await assertRejects(() => b.stat("tmp"), NotFoundError);
  assertEquals(text(await getFile(b, "final")), "part1part2");
  await assertRejects(() => vfs.stat("tmp"), NotFoundError);
});

Deno.test("Vfs dir cache keeps listings for dir_cache_time, forgetDirCache() drops them", async () => {
  const b = memoryBackend();
  await putFile(b, "a", bytes("1"));
  const vfs = new Vfs(b, { dir_cache_time: 1000 });
  assertEquals((await vfs.readdir("")).length, 1);
  await putFile(b, "b", bytes("2"));
  assertEquals((await vfs.readdir("")).length, 1, "cached");
  const lists = b.counts.list;
  await vfs.stat("a");
  assertEquals(b.counts.list, lists, "stat is served from the cached listing");
  await sleep(1100);
  assertEquals((await vfs.readdir("")).length, 2, "expired");
  await putFile(b, "c", bytes("3"));
  vfs.forgetDirCache();
  assertEquals((await vfs.readdir("")).length, 3, "forgotten");
});

Deno.test("Vfs drops cached listings on backend change notifications", async () => {
  const b = memoryBackend({ changeNotify: true });
  await b.mkdir("d");
  const vfs = new Vfs(b, { poll_interval: 1000 });
  assertEquals(b.watchers, 1);
  assertEquals((await vfs.readdir("d")).length, 0);
  await putFile(b, "d/new", bytes("n"));
  assertEquals((await vfs.readdir("d")).length, 0, "cached");
  b.emit({ path: "d/new", kind: "file" });
  assertEquals((await vfs.readdir("d")).map((a) => a.name), ["new"]);
  await vfs.shutdown();
  assertEquals(b.watchers, 0, "watch stopped by shutdown");
  const off = new Vfs(b, { poll_interval: 0 });
  assertEquals(b.watchers, 0, "poll_interval 0 disables watching");
  await off.shutdown();
});

Deno.test("Vfs with vfs_case_insensitive finds names in any case", async () => {
  const b = memoryBackend();
  await putFile(b, "Dir/File.TXT", bytes("content"));
  const strict = new Vfs(b, {});
  await assertRejects(() => strict.stat("dir/file.txt"), NotFoundError);
  const vfs = new Vfs(b, { vfs_case_insensitive: true });
  const a = await vfs.stat("dir/file.txt");
  assertEquals([a.path, a.size], ["Dir/File.TXT", 7]);
  const h = await vfs.open("DIR/FILE.txt", O.RDONLY);
  assertEquals(text(await h.read(0, 100)), "content");
  await h.release();
  await assertRejects(() => vfs.mkdir("dir"), ExistsError);
  await vfs.rename("dir/file.txt", "dir/other");
  assertEquals((await vfs.readdir("DIR")).map((x) => x.name), ["other"]);
});

Deno.test("Vfs.setattr() sets mtimes through the backend and ignores mode/uid/gid", async () => {
  const b = memoryBackend();
  await putFile(b, "f", bytes("x"));
  const vfs = new Vfs(b, {});
  const a = await vfs.setattr("f", { mtimeMs: 1_500_000_000_000, mode: 0o600, uid: 7 });
  assertEquals(a.mtimeMs, 1_500_000_000_000);
  assertEquals((await b.stat("f")).mtimeMs, 1_500_000_000_000);
  assertEquals(a.mode & 0o777, 0o644);
  // A file being written gets its mtime when the upload ends.
  const { handle } = await vfs.create("g", O.WRONLY | O.CREAT, 0o644);
  await vfs.setattr("g", { mtimeMs: 1_400_000_000_000 });
  await handle.write(0, bytes("data"));
  await handle.release();
  assertEquals((await b.stat("g")).mtimeMs, 1_400_000_000_000);
  // Set while the upload runs (cp -a: futimens before close): applied after the upload.
  const w = await vfs.create("h", O.WRONLY | O.CREAT, 0o644);
  await w.handle.write(0, bytes("data"));
  await vfs.setattr("h", { mtimeMs: 1_300_000_000_000 });
  await w.handle.release();
  assertEquals((await b.stat("h")).mtimeMs, 1_300_000_000_000);
  assertEquals((await vfs.stat("h")).mtimeMs, 1_300_000_000_000);
  // touch on an existing file opened without O_TRUNC: the time is set, the data kept.
  const t = await vfs.open("f", O.WRONLY);
  await vfs.setattr("f", { mtimeMs: 1_200_000_000_000 });
  await t.flush();
  await t.release();
  assertEquals((await b.stat("f")).mtimeMs, 1_200_000_000_000);
  assertEquals(text(await getFile(b, "f")), "x");
});

Deno.test("Vfs.statfs() uses about() when present, else rclone's 1 PiB figures", async () => {
  const withAbout = memoryBackend({ about: true });
  const s = await new Vfs(withAbout, {}).statfs();
  assertEquals(s.totalBytes, withAbout.usage.total);
  assertEquals(s.freeBytes, withAbout.usage.free);
  assertEquals(s.blocks, Math.floor(withAbout.usage.total! / 4096));
  assertEquals(s.bsize, 4096);
  const none = await new Vfs(memoryBackend(), {}).statfs();
  assertEquals(none.totalBytes, UNKNOWN_SPACE);
  assertEquals(none.files, 1e9);
  const b = memoryBackend();
  await putFile(b, "d/a", new Uint8Array(1000));
  await putFile(b, "b", new Uint8Array(234));
  const sized = await new Vfs(b, { vfs_used_is_size: true, vfs_disk_space_total_size: 1 << 20 })
    .statfs();
  assertEquals([sized.usedBytes, sized.totalBytes, sized.freeBytes], [
    1234,
    1 << 20,
    (1 << 20) - 1234,
  ]);
});

Deno.test("Vfs.sync() waits for uploads and status() counts dirty files", async () => {
  const b = memoryBackend();
  const vfs = new Vfs(b, {});
  const { handle } = await vfs.create("f", O.WRONLY | O.CREAT, 0o644);
  await handle.write(0, bytes("12345"));
  const st = vfs.status();
  assertEquals([st.dirtyFiles, st.dirtyBytes, st.openFiles], [1, 5, 1]);
  const released = handle.release();
  await vfs.sync();
  await released;
  assertEquals(text(await getFile(b, "f")), "12345");
  const after = vfs.status();
  assertEquals([after.dirtyFiles, after.uploadsInFlight, after.openFiles], [0, 0, 0]);
  assert(after.lastError === undefined);
});

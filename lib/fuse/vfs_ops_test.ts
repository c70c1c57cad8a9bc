import { MemoryBackend } from "../backends/memory.ts";
import { Vfs } from "../vfs/vfs.ts";
import { OpenFlag, ROOT_ID } from "./opcodes.ts";
import type { RequestContext } from "./ops.ts";
import { VfsOps } from "./vfs_ops.ts";

const ctx: RequestContext = {
  unique: 1,
  uid: 0,
  gid: 0,
  pid: 1,
  signal: new AbortController().signal,
};
const { O_WRONLY, O_CREAT } = OpenFlag;

function eq(actual: unknown, expected: unknown, what: string): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    throw new Error(`${what}: got ${JSON.stringify(actual)}, want ${JSON.stringify(expected)}`);
  }
}

async function errnoOfCall(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 0;
  } catch (err) {
    return (err as { errno?: number }).errno ?? -1;
  }
}

async function setup(): Promise<{ vfs: Vfs; ops: VfsOps; dir: string }> {
  const dir = await Deno.makeTempDir({ prefix: "denoclone-vfsops-" });
  const vfs = new Vfs(new MemoryBackend(), { vfs_cache_mode: "minimal" }, { cacheDir: dir });
  return { vfs, ops: new VfsOps(vfs, { attrTimeoutMs: 1500 }), dir };
}

async function makeFile(ops: VfsOps, name: string, text: string): Promise<number> {
  const c = await ops.create(ctx, ROOT_ID, name, 0o644, O_WRONLY | O_CREAT, 0o022);
  await ops.write(ctx, c.entry.attr.ino, c.fh, 0, new TextEncoder().encode(text));
  await ops.flush(ctx, c.entry.attr.ino, c.fh);
  await ops.release(ctx, c.entry.attr.ino, c.fh);
  return c.entry.attr.ino;
}

Deno.test("VfsOps create/lookup/read round-trips through the VFS with attr_timeout", async () => {
  const { vfs, ops, dir } = await setup();
  try {
    const ino = await makeFile(ops, "f.txt", "hello");
    const e = await ops.lookup(ctx, ROOT_ID, "f.txt");
    eq([e.attr.ino, e.attr.size, e.entryTimeoutMs, e.attrTimeoutMs], [ino, 5, 1500, 1500], "entry");
    const o = await ops.open(ctx, ino, 0);
    eq(new TextDecoder().decode(await ops.read(ctx, ino, o.fh, 1, 100)), "ello", "read");
    await ops.release(ctx, ino, o.fh);
    eq(await errnoOfCall(ops.read(ctx, ino, o.fh, 0, 1)), 9, "read after release is EBADF");
    eq(await errnoOfCall(ops.lookup(ctx, ROOT_ID, "nope")), 2, "ENOENT");
    eq(await errnoOfCall(ops.lookup(ctx, ROOT_ID, "x".repeat(300))), 36, "ENAMETOOLONG");
  } finally {
    await vfs.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("VfsOps.rename() honours NOREPLACE, refuses EXCHANGE and keeps inodes", async () => {
  const { vfs, ops, dir } = await setup();
  try {
    const a = await makeFile(ops, "a", "A");
    await makeFile(ops, "b", "B");
    eq(await errnoOfCall(ops.rename(ctx, ROOT_ID, "a", ROOT_ID, "b", 2)), 22, "EXCHANGE");
    eq(await errnoOfCall(ops.rename(ctx, ROOT_ID, "a", ROOT_ID, "b", 1)), 17, "NOREPLACE");
    await ops.rename(ctx, ROOT_ID, "a", ROOT_ID, "c", 0);
    eq((await ops.getattr(ctx, a)).attr.size, 1, "the inode follows the rename");
    eq((await ops.lookup(ctx, ROOT_ID, "c")).attr.ino, a, "same inode under the new name");
  } finally {
    await vfs.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("VfsOps lseek, fallocate and unlinked-open getattr", async () => {
  const { vfs, ops, dir } = await setup();
  try {
    const ino = await makeFile(ops, "s", "0123456789");
    eq(await ops.lseek(ctx, ino, 0, 3, 3), 3, "SEEK_DATA inside");
    eq(await ops.lseek(ctx, ino, 0, 3, 4), 10, "SEEK_HOLE is the end");
    eq(await errnoOfCall(ops.lseek(ctx, ino, 0, 10, 3)), 6, "SEEK_DATA at the end is ENXIO");
    eq(await errnoOfCall(ops.fallocate(ctx, ino, 0, 0, 5, 0)), 0, "fallocate inside is a no-op");
    eq(await errnoOfCall(ops.fallocate(ctx, ino, 0, 0, 50, 0)), 95, "beyond the end");
    eq(await errnoOfCall(ops.fallocate(ctx, ino, 0, 0, 5, 1)), 95, "with a mode");
    const o = await ops.open(ctx, ino, 0);
    await ops.unlink(ctx, ROOT_ID, "s");
    const st = await ops.getattr(ctx, ino);
    eq([st.attr.size, st.attr.nlink], [10, 0], "last attributes of the unlinked file");
    await ops.release(ctx, ino, o.fh);
  } finally {
    await vfs.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("VfsOps.readdir() counts lookups only for entries that fit the reply", async () => {
  const { vfs, ops, dir } = await setup();
  try {
    for (let i = 0; i < 5; i++) await vfs.mkdir(`d${i}`);
    const before = ops.inodeCount;
    const h = await ops.opendir(ctx, ROOT_ID, 0);
    // four 160-byte direntplus records (".", "..", d0, d1) fit in 700 bytes
    const first = await ops.readdir(ctx, ROOT_ID, h.fh, 0, 700, true);
    eq(first.length, 4 * 160, "bytes of the first reply");
    eq(ops.inodeCount - before, 2, "two entries looked up");
    const plain = await ops.readdir(ctx, ROOT_ID, h.fh, 4, 4096, false);
    eq(plain.length, 3 * 32, "plain dirents of the rest");
    eq(ops.inodeCount - before, 2, "plain readdir counts nothing");
    await ops.releasedir(ctx, ROOT_ID, h.fh);
  } finally {
    await vfs.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("VfsOps refuses names longer than 255 UTF-8 bytes, however short in UTF-16", async () => {
  const { vfs, ops, dir } = await setup();
  try {
    const ENAMETOOLONG = 36;
    const ENOENT = 2;
    eq(await errnoOfCall(ops.lookup(ctx, ROOT_ID, "a".repeat(256))), ENAMETOOLONG, "256 ASCII");
    eq(await errnoOfCall(ops.lookup(ctx, ROOT_ID, "a".repeat(255))), ENOENT, "255 ASCII");
    // 86 × "€" is 86 UTF-16 code units but 258 UTF-8 bytes
    eq(await errnoOfCall(ops.lookup(ctx, ROOT_ID, "€".repeat(86))), ENAMETOOLONG, "86 × €");
    eq(await errnoOfCall(ops.lookup(ctx, ROOT_ID, "€".repeat(85))), ENOENT, "85 × €");
    // 64 × "😀" is 128 code units, 256 bytes
    eq(await errnoOfCall(ops.lookup(ctx, ROOT_ID, "😀".repeat(64))), ENAMETOOLONG, "64 emoji");
    eq(await errnoOfCall(ops.lookup(ctx, ROOT_ID, "é".repeat(127))), ENOENT, "127 × é");
  } finally {
    await vfs.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("VfsOps.acceptWrite() takes cached writes synchronously and leaves the rest to write()", async () => {
  const dir = await Deno.makeTempDir({ prefix: "denoclone-vfsops-" });
  const cached = new Vfs(new MemoryBackend(), { vfs_cache_mode: "writes" }, { cacheDir: dir });
  const streamed = new Vfs(new MemoryBackend(), { vfs_cache_mode: "off" }, { cacheDir: dir });
  try {
    const ops = new VfsOps(cached, { attrTimeoutMs: 1000 });
    const c = await ops.create(ctx, ROOT_ID, "a", 0o644, OpenFlag.O_RDWR | O_CREAT, 0o022);
    const ino = c.entry.attr.ino;
    const acc = ops.acceptWrite(ino, c.fh, 0, new TextEncoder().encode("abc"));
    eq(acc?.count, 3, "accepted count");
    acc!.commit();
    eq(new TextDecoder().decode(await ops.read(ctx, ino, c.fh, 0, 10)), "abc", "read after commit");
    eq(ops.acceptWrite(ino, c.fh + 100, 0, new Uint8Array(1)), undefined, "unknown handle");
    await ops.flush(ctx, ino, c.fh);
    await ops.release(ctx, ino, c.fh);
    // Off mode streams to the remote: no synchronous path.
    const off = new VfsOps(streamed, { attrTimeoutMs: 1000 });
    const s = await off.create(ctx, ROOT_ID, "b", 0o644, O_WRONLY | O_CREAT, 0o022);
    eq(off.acceptWrite(s.entry.attr.ino, s.fh, 0, new Uint8Array(1)), undefined, "off mode");
    await off.write(ctx, s.entry.attr.ino, s.fh, 0, new Uint8Array(1));
    await off.flush(ctx, s.entry.attr.ino, s.fh);
    await off.release(ctx, s.entry.attr.ino, s.fh);
  } finally {
    await cached.shutdown();
    await streamed.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

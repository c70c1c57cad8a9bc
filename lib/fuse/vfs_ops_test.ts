import { MemoryBackend } from "../backends/memory.ts";
import { Vfs } from "../vfs/vfs.ts";
import { Fopen, OpenFlag, ROOT_ID } from "./opcodes.ts";
import type { RequestContext } from "./ops.ts";
import { mayKeepPages, VfsOps } from "./vfs_ops.ts";

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

Deno.test("mayKeepPages() keeps pages only for the same known version, shared by every open handle", () => {
  eq(mayKeepPages(7, 7, []), true, "same version, no other handle");
  eq(mayKeepPages(7, 7, [7, 7]), true, "other handles of the same bytes");
  eq(mayKeepPages(undefined, 7, []), false, "first open of the node");
  eq(mayKeepPages(7, 8, []), false, "changed bytes");
  eq(mayKeepPages(7, undefined, []), false, "unknown version (streaming handle)");
  eq(mayKeepPages(undefined, undefined, []), false, "both unknown");
  eq(mayKeepPages(7, 7, [7, 9]), false, "another handle reads other bytes");
  eq(mayKeepPages(7, 7, [undefined]), false, "another handle of unknown bytes");
});

/** Opens `ino` read-only and releases it at once; returns the FOPEN flags of the reply. */
async function openFlags(ops: VfsOps, ino: number, flags = 0): Promise<number> {
  const o = await ops.open(ctx, ino, flags);
  await ops.release(ctx, ino, o.fh);
  return o.openFlags ?? 0;
}

Deno.test("VfsOps in full mode keeps the kernel's pages only while a node's bytes are unchanged", async () => {
  const dir = await Deno.makeTempDir({ prefix: "denoclone-vfsops-" });
  const backend = new MemoryBackend();
  const vfs = new Vfs(backend, { vfs_cache_mode: "full" }, { cacheDir: dir });
  const { KEEP_CACHE } = Fopen;
  const put = (p: string, text: string, mtimeMs: number) =>
    backend.write(p, new Blob([text]).stream(), { mtimeMs, size: text.length });
  try {
    const ops = new VfsOps(vfs, { attrTimeoutMs: 1000 });
    const ino = await makeFile(ops, "f", "hello");
    eq(await openFlags(ops, ino), 0, "first open after the writing create");
    eq(await openFlags(ops, ino), KEEP_CACHE, "unchanged: keep");
    eq(await openFlags(ops, ino, OpenFlag.O_RDWR), KEEP_CACHE, "a writable open alone keeps");

    // a write through an open handle
    const w = await ops.open(ctx, ino, OpenFlag.O_RDWR);
    eq(w.openFlags, KEEP_CACHE, "writer opens unchanged bytes");
    const r = await ops.open(ctx, ino, 0);
    eq(r.openFlags, KEEP_CACHE, "second handle, same bytes");
    await ops.write(ctx, ino, w.fh, 0, new TextEncoder().encode("J"));
    eq(await openFlags(ops, ino), 0, "written while open: drop");
    eq(await openFlags(ops, ino), KEEP_CACHE, "then keep again");
    await ops.flush(ctx, ino, w.fh);
    await ops.release(ctx, ino, w.fh);
    await ops.release(ctx, ino, r.fh);
    eq(await openFlags(ops, ino), KEEP_CACHE, "releases of handles of these bytes keep");

    // truncate (setattr size) and O_TRUNC
    await ops.setattr(ctx, ino, { valid: 0, size: 2 });
    eq(await openFlags(ops, ino), 0, "truncated: drop");
    eq(await openFlags(ops, ino, OpenFlag.O_WRONLY | OpenFlag.O_TRUNC), 0, "O_TRUNC: drop");
    eq(await openFlags(ops, ino), KEEP_CACHE, "unchanged since the O_TRUNC open: keep");
    await vfs.sync();
    eq(await openFlags(ops, ino), KEEP_CACHE, "an upload does not change the bytes");

    // a remote change the VFS notices (new size; then same size, new modification time)
    await put("f", "remote!", 1_000_000);
    vfs.forgetDirCache();
    eq(await openFlags(ops, ino), 0, "remote size changed: drop");
    eq(await openFlags(ops, ino), KEEP_CACHE, "remote unchanged since: keep");
    await put("f", "REMOTE!", 2_000_000);
    vfs.forgetDirCache();
    eq(await openFlags(ops, ino), 0, "remote modification time changed: drop");
    const o = await ops.open(ctx, ino, 0);
    eq(new TextDecoder().decode(await ops.read(ctx, ino, o.fh, 0, 100)), "REMOTE!", "new bytes");
    await ops.release(ctx, ino, o.fh);

    // rename of another file onto the path: the name now has the moved node, with its pages
    const other = await makeFile(ops, "g", "other!!");
    eq(await openFlags(ops, other), 0, "g first open");
    await ops.rename(ctx, ROOT_ID, "g", ROOT_ID, "f", 0);
    const moved = (await ops.lookup(ctx, ROOT_ID, "f")).attr.ino;
    eq(moved, other, "f is g's node");
    eq(await openFlags(ops, moved), KEEP_CACHE, "the moved node's bytes are unchanged");

    // remove and recreate: a new node, never an old one's pages
    await ops.unlink(ctx, ROOT_ID, "f");
    const again = await makeFile(ops, "f", "other!!");
    eq(again === other || again === ino, false, "a new node id");
    eq(await openFlags(ops, again), 0, "new node: drop");
  } finally {
    await vfs.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("VfsOps never keeps the kernel's pages outside full mode or with direct_io", async () => {
  const dir = await Deno.makeTempDir({ prefix: "denoclone-vfsops-" });
  const writes = new Vfs(new MemoryBackend(), { vfs_cache_mode: "writes" }, { cacheDir: dir });
  const full = new Vfs(new MemoryBackend(), { vfs_cache_mode: "full" }, { cacheDir: dir });
  try {
    const w = new VfsOps(writes, { attrTimeoutMs: 1000 });
    const wi = await makeFile(w, "f", "hello");
    for (const flags of [0, 0, OpenFlag.O_RDWR, OpenFlag.O_RDWR]) {
      eq(await openFlags(w, wi, flags), 0, `writes mode, open flags ${flags}`);
    }
    const d = new VfsOps(full, { attrTimeoutMs: 1000, directIo: true });
    const di = await makeFile(d, "f", "hello");
    eq(await openFlags(d, di), Fopen.DIRECT_IO, "direct_io");
    eq(await openFlags(d, di), Fopen.DIRECT_IO, "direct_io again");
  } finally {
    await writes.shutdown();
    await full.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

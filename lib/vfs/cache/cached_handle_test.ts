import { deepStrictEqual as assertEquals, ok, rejects, throws } from "node:assert/strict";
import { MemoryBackend } from "../../backends/memory.ts";
import { Errno, FsError } from "../../errors.ts";
import { CachePaths } from "./cache_paths.ts";
import { withHeldWrites } from "./_test_caches.ts";

/** open(2) flags O_RDWR | O_CREAT | O_TRUNC. */
const O_RDWR_CREAT_TRUNC = 0o1102;
/** open(2) flags O_RDWR. */
const O_RDWR = 0o2;
/** open(2) flags O_RDONLY. */
const O_RDONLY = 0;

async function remoteBytes(backend: MemoryBackend, path: string): Promise<Uint8Array> {
  return new Uint8Array(await new Response(await backend.read(path)).arrayBuffer());
}

function errnoIs(errno: number): (err: unknown) => boolean {
  return (err: unknown) => err instanceof FsError && err.errno === errno;
}

Deno.test("CachedHandle.acceptWrite() answers first; commit() stores the bytes for reads and the upload", async () => {
  await withHeldWrites(async (cache, backend) => {
    const h = await cache.open("a", O_RDWR_CREAT_TRUNC, undefined);
    const data = new TextEncoder().encode("hello world");
    const acc = h.acceptWrite(0, data);
    ok(acc, "a new file opened for writing takes the synchronous path");
    assertEquals(acc.count, data.length);
    // Nothing is stored before commit().
    assertEquals(h.currentSize(), 0);
    acc.commit();
    assertEquals(h.currentSize(), data.length);
    assertEquals(await h.read(0, 100), data);
    // A second write at the end, then the upload carries both.
    const more = h.acceptWrite(data.length, new TextEncoder().encode("!"));
    ok(more);
    more.commit();
    await h.flush();
    await h.release();
    await cache.sync();
    assertEquals(new TextDecoder().decode(await remoteBytes(backend, "a")), "hello world!");
  });
});

Deno.test("CachedHandle.acceptWrite() sends read-only, released and not-yet-dirty handles to write()", async () => {
  await withHeldWrites(async (cache, backend) => {
    const w = await cache.open("b", O_RDWR_CREAT_TRUNC, undefined);
    await w.write(0, new Uint8Array([1, 2, 3]));
    await w.flush();
    await w.release();
    assertEquals(w.acceptWrite(0, new Uint8Array([9])), undefined, "released");
    await cache.sync();
    const entry = await backend.stat("b");
    const r = await cache.open("b", O_RDONLY, entry);
    assertEquals(r.acceptWrite(0, new Uint8Array([9])), undefined, "read-only");
    await r.release();
    // A clean file with stored metadata: its dirty flag must reach disk first (async path).
    const rw = await cache.open("b", O_RDWR, entry);
    assertEquals(rw.acceptWrite(0, new Uint8Array([9])), undefined, "clean item");
    assertEquals(await rw.write(0, new Uint8Array([4])), 1);
    // Now dirty on disk: later writes are accepted synchronously.
    const acc = rw.acceptWrite(1, new Uint8Array([5]));
    ok(acc);
    acc.commit();
    await rw.flush();
    await rw.release();
    await cache.sync();
    assertEquals(await remoteBytes(backend, "b"), new Uint8Array([4, 5, 3]));
  });
});

Deno.test("CachedHandle: a failed commit() is a sticky error for write, flush and fsync; the failed bytes are not uploaded", async () => {
  await withHeldWrites(async (cache, backend, dir) => {
    const h = await cache.open("c", O_RDWR_CREAT_TRUNC, undefined);
    // The data file is created by the first write: make it /dev/full, which fails every write
    // with ENOSPC, as a full cache file system does.
    const paths = new CachePaths(dir, backend.name);
    await Deno.mkdir(paths.dataRoot, { recursive: true });
    await Deno.symlink("/dev/full", paths.data("c"));
    const acc = h.acceptWrite(0, new Uint8Array(4096).fill(1));
    ok(acc);
    assertEquals(acc.count, 4096);
    const version = h.contentVersion();
    acc.commit(); // never throws: the error is kept
    assertEquals(h.currentSize(), 0, "the failed bytes are not recorded");
    // the writer was told the bytes were written (the kernel may cache them): a new version
    ok(h.contentVersion() !== version, "a failed commit changes the content version");
    throws(() => h.acceptWrite(4096, new Uint8Array(10)), errnoIs(Errno.ENOSPC));
    await rejects(h.write(4096, new Uint8Array(10)), errnoIs(Errno.ENOSPC));
    await rejects(h.fsync(), errnoIs(Errno.ENOSPC));
    await rejects(h.flush(), errnoIs(Errno.ENOSPC));
    // Still reported to every close(2) until the last writable handle is released.
    await rejects(h.flush(), errnoIs(Errno.ENOSPC));
    await h.release();
    await cache.sync();
    // What was stored (nothing) is uploaded: never the bytes that failed.
    assertEquals((await remoteBytes(backend, "c")).length, 0);
    // The error ended with the last writer: a new open writes normally.
    await Deno.remove(paths.data("c"));
    const again = await cache.open("c", O_RDWR_CREAT_TRUNC, await backend.stat("c"));
    assertEquals(await again.write(0, new Uint8Array([7])), 1);
    await again.flush();
    await again.release();
    await cache.sync();
    assertEquals(await remoteBytes(backend, "c"), new Uint8Array([7]));
  });
});

Deno.test("CachedHandle.contentVersion() is shared by handles of one file and changes with its bytes", async () => {
  await withHeldWrites(async (cache, backend) => {
    const w = await cache.open("v", O_RDWR_CREAT_TRUNC, undefined);
    await w.write(0, new TextEncoder().encode("12345"));
    const r = await cache.open("v", O_RDONLY, undefined);
    const v1 = w.contentVersion();
    assertEquals(r.contentVersion(), v1, "two handles of the same bytes");
    await r.read(0, 5);
    assertEquals(r.contentVersion(), v1, "reading changes nothing");
    await w.write(5, new Uint8Array([1]));
    const v2 = r.contentVersion();
    ok(v2 !== v1, "a write changes it");
    await w.truncate(2);
    const v3 = r.contentVersion();
    ok(v3 !== v2 && v3 !== v1, "a truncate changes it");
    await w.flush();
    await w.release();
    await r.release();
    await cache.sync();
    const entry = await backend.stat("v");
    const again = await cache.open("v", O_RDONLY, entry);
    assertEquals(again.contentVersion(), v3, "an upload keeps it");
    await again.release();
    const other = await cache.open("o", O_RDWR_CREAT_TRUNC, undefined);
    ok(other.contentVersion() !== v3, "another file has another one");
    await other.release();
    // the remote changes: the cached copy is refetched from the new version
    await backend.write("v", new Blob(["changed"]).stream(), { mtimeMs: 5_000, size: 7 });
    const changed = await cache.open("v", O_RDONLY, await backend.stat("v"));
    ok(changed.contentVersion() !== v3, "a refetch of a changed remote changes it");
    assertEquals(new TextDecoder().decode(await changed.read(0, 100)), "changed");
    await changed.release();
  });
});

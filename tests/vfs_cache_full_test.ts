import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { LocalBackend } from "../lib/backends/local.ts";
import { O, pattern, readRemote, until, withCache, writeRemote } from "./vfs_cache_helpers.ts";

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/** A 1 GiB sparse file on a local remote with patterned 64 KiB blocks at a few offsets. */
async function sparseRemote(): Promise<{ root: string; blocks: Map<number, Uint8Array> }> {
  const root = await Deno.makeTempDir({ prefix: "vfs_cache_remote_" });
  const blocks = new Map<number, Uint8Array>();
  using f = await Deno.open(`${root}/big.bin`, { write: true, create: true });
  await f.truncate(GiB);
  for (const [i, off] of [0, 100 * MiB + 12_345, 512 * MiB, GiB - 65_536].entries()) {
    const data = pattern(65_536, off, i);
    await f.seek(off, Deno.SeekMode.Start);
    await f.write(data);
    blocks.set(off, data);
  }
  return { root, blocks };
}

/** What the remote holds at `[off, off+len)`: the patterned blocks over zeros. */
function expectedAt(blocks: Map<number, Uint8Array>, off: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (const [b, data] of blocks) {
    const s = Math.max(off, b);
    const e = Math.min(off + len, b + data.length);
    if (e > s) out.set(data.subarray(s - b, e - b), s - off);
  }
  return out;
}

Deno.test("VfsCache full mode: random reads of a 1 GiB remote file fetch only the touched ranges", async () => {
  const { root, blocks } = await sparseRemote();
  try {
    const inner = new LocalBackend({ root });
    await withCache({ vfs_cache_mode: "full" }, async ({ cache, remote, cacheDir }) => {
      const entry = await inner.stat("big.bin");
      assertEquals(entry.size, GiB);
      const h = await cache.open("big.bin", O.RDONLY, entry);
      const reads: [number, number][] = [
        [100 * MiB, 131_072], // overlaps the end of nothing, zeros then
        [100 * MiB + 12_000, 4096], // straddles the start of a block
        [512 * MiB + 1000, 8192], // inside a block
        [GiB - 10_000, 131_072], // runs past the end of the file
        [700 * MiB + 3, 1], // one byte
        [512 * MiB + 4000, 8192], // overlaps an earlier read
      ];
      let touched = 0;
      const seen = new Set<string>();
      for (const [off, len] of reads) {
        const got = await h.read(off, len);
        const n = Math.min(len, GiB - off);
        assertEquals(got.length, n);
        assertEquals(got, expectedAt(blocks, off, n));
        seen.add(`${off}`);
      }
      // The touched bytes, with overlaps counted once.
      const spans = reads.map(([o, l]) => [o, Math.min(o + l, GiB)] as [number, number])
        .sort((a, b) => a[0] - b[0]);
      let end = 0;
      for (const [s, e] of spans) {
        if (e > Math.max(s, end)) touched += e - Math.max(s, end);
        end = Math.max(end, e);
      }
      assertEquals(remote.bytesRead, touched);
      assertEquals(cache.stats().cacheBytes, touched);
      // Reading the same ranges again costs nothing.
      for (const [off, len] of reads) await h.read(off, len);
      assertEquals(remote.bytesRead, touched);
      await h.release();
      // The sparse data file uses about the touched bytes on disk, not 1 GiB.
      const st = await Deno.stat(cache.paths.data("big.bin"));
      assertEquals(st.size, GiB);
      assertEquals(
        (st.blocks ?? 0) * 512 < 4 * MiB,
        true,
        `data file in ${cacheDir} is not sparse`,
      );
      // A new handle on the unchanged file is served from the cache.
      const h2 = await cache.open("big.bin", O.RDONLY, entry);
      assertEquals(
        await h2.read(512 * MiB + 1000, 8192),
        expectedAt(blocks, 512 * MiB + 1000, 8192),
      );
      await h2.release();
      assertEquals(remote.bytesRead, touched);
    }, { inner });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("VfsCache full mode: a sequential read streams in growing chunks, each byte fetched once", async () => {
  await withCache({
    vfs_cache_mode: "full",
    vfs_read_chunk_size: 256 * 1024,
    vfs_read_chunk_size_limit: 1024 * 1024,
    buffer_size: 512 * 1024,
  }, async ({ cache, remote, inner }) => {
    const size = 5 * MiB + 123;
    const data = pattern(size, 0, 3);
    await writeRemote(inner, "seq.bin", data);
    const h = await cache.open("seq.bin", O.RDONLY, await inner.stat("seq.bin"));
    const got = new Uint8Array(size);
    for (let off = 0; off < size; off += 131_072) got.set(await h.read(off, 131_072), off);
    await h.release();
    assertEquals(got, data);
    assertEquals(remote.bytesRead, size);
    const lengths = remote.reads.map((r) => r.length);
    // Chunks double up to the limit: 256 KiB, 512 KiB, 1 MiB, 1 MiB, …
    assertEquals(lengths.slice(0, 4), [256 * 1024, 512 * 1024, MiB, MiB]);
    assertEquals(lengths.every((l) => (l ?? 0) <= MiB), true);
  });
});

Deno.test("VfsCache full mode: parallel chunk streams read fixed chunks concurrently", async () => {
  await withCache({
    vfs_cache_mode: "full",
    vfs_read_chunk_size: 256 * 1024,
    vfs_read_chunk_streams: 4,
  }, async ({ cache, remote, inner }) => {
    const size = 4 * MiB;
    const data = pattern(size, 0, 5);
    await writeRemote(inner, "par.bin", data);
    const h = await cache.open("par.bin", O.RDONLY, await inner.stat("par.bin"));
    const got = new Uint8Array(size);
    for (let off = 0; off < size; off += 131_072) got.set(await h.read(off, 131_072), off);
    await h.release();
    assertEquals(got, data);
    assertEquals(remote.bytesRead, size);
    assertEquals(remote.reads.length, 16);
    assertEquals(remote.reads.every((r) => r.length === 256 * 1024), true);
  });
});

Deno.test("VfsCache full mode: read-ahead fetches past a random read", async () => {
  await withCache(
    { vfs_cache_mode: "full", vfs_read_ahead: 100_000 },
    async ({ cache, remote, inner }) => {
      await writeRemote(inner, "ra.bin", pattern(1_000_000));
      const h = await cache.open("ra.bin", O.RDONLY, await inner.stat("ra.bin"));
      await h.read(300_000, 1000);
      await h.release();
      assertEquals(remote.bytesRead, 101_000);
    },
  );
});

Deno.test("VfsCache full mode: a changed remote file replaces the stale cached copy", async () => {
  await withCache({ vfs_cache_mode: "full" }, async ({ cache, inner }) => {
    await writeRemote(inner, "c.txt", new TextEncoder().encode("old contents"), 1_000_000);
    let h = await cache.open("c.txt", O.RDONLY, await inner.stat("c.txt"));
    assertEquals(new TextDecoder().decode(await h.read(0, 100)), "old contents");
    await h.release();
    await writeRemote(inner, "c.txt", new TextEncoder().encode("new contents"), 2_000_000);
    h = await cache.open("c.txt", O.RDONLY, await inner.stat("c.txt"));
    assertEquals(new TextDecoder().decode(await h.read(0, 100)), "new contents");
    await h.release();
  });
});

Deno.test("VfsCache full mode: cached data survives reopening the cache", async () => {
  const { root } = { root: await Deno.makeTempDir({ prefix: "vfs_cache_remote_" }) };
  const cacheDir = await Deno.makeTempDir({ prefix: "vfs_cache_dir_" });
  try {
    const inner = new LocalBackend({ root });
    await writeRemote(inner, "keep.bin", pattern(300_000));
    const entry = await inner.stat("keep.bin");
    const { VfsCache } = await import("../lib/vfs/cache/vfs_cache.ts");
    const { FaultyBackend } = await import("./helpers/faulty_backend.ts");
    const r1 = new FaultyBackend(inner);
    const c1 = await VfsCache.open({ backend: r1, cacheDir, options: { vfs_cache_mode: "full" } });
    const h1 = await c1.open("keep.bin", O.RDONLY, entry);
    await h1.read(1000, 5000);
    await h1.release();
    await c1.close();
    const r2 = new FaultyBackend(inner);
    const c2 = await VfsCache.open({ backend: r2, cacheDir, options: { vfs_cache_mode: "full" } });
    try {
      assertEquals(c2.stats().cacheBytes, 5000);
      const h2 = await c2.open("keep.bin", O.RDONLY, entry);
      assertEquals(await h2.read(1000, 5000), pattern(5000, 1000));
      await h2.release();
      assertEquals(r2.bytesRead, 0);
    } finally {
      await c2.close();
    }
    assertEquals(await readRemote(inner, "keep.bin"), pattern(300_000));
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(cacheDir, { recursive: true });
  }
});

Deno.test("VfsCache writes mode: a read-only open leaves nothing cached after close", async () => {
  await withCache({ vfs_cache_mode: "writes" }, async ({ cache, inner }) => {
    await writeRemote(inner, "ro.txt", new TextEncoder().encode("read me"));
    const h = await cache.open("ro.txt", O.RDONLY, await inner.stat("ro.txt"));
    assertEquals(new TextDecoder().decode(await h.read(0, 100)), "read me");
    await h.release();
    await until(() => cache.stats().cacheBytes === 0);
    const gone = (f: string) => {
      try {
        Deno.lstatSync(f);
        return false;
      } catch {
        return true;
      }
    };
    await until(() => gone(cache.paths.data("ro.txt")) && gone(cache.paths.meta("ro.txt")));
  });
});

Deno.test("VfsCache writes mode: a read-only open that a writer joins is kept and uploaded", async () => {
  await withCache({ vfs_cache_mode: "writes", vfs_write_back: 0 }, async ({ cache, inner }) => {
    await writeRemote(inner, "rw.txt", new TextEncoder().encode("read me"));
    const entry = await inner.stat("rw.txt");
    const r = await cache.open("rw.txt", O.RDONLY, entry);
    assertEquals(new TextDecoder().decode(await r.read(0, 100)), "read me");
    const w = await cache.open("rw.txt", O.WRONLY, entry);
    await w.write(0, new TextEncoder().encode("READ"));
    await r.release();
    await w.release();
    await cache.sync();
    assertEquals(new TextDecoder().decode(await readRemote(inner, "rw.txt")), "READ me");
    assertEquals(cache.stats().cacheBytes, 7);
  });
});

Deno.test("VfsCache full mode: a random read inside a paced read-ahead range does not wait for it", async () => {
  await withCache({
    vfs_cache_mode: "full",
    vfs_read_chunk_size: 8 * MiB,
    buffer_size: 256 * 1024,
  }, async ({ cache, remote, inner }) => {
    const size = 8 * MiB;
    await writeRemote(inner, "mixed.bin", pattern(size));
    const seq = await cache.open("mixed.bin", O.RDONLY, await inner.stat("mixed.bin"));
    assertEquals(await seq.read(0, 65_536), pattern(65_536));
    // The sequential reader's fetch covers the whole file but is paced near offset 0.
    const rnd = await cache.open("mixed.bin", O.RDONLY, await inner.stat("mixed.bin"));
    const t0 = Date.now();
    assertEquals(await rnd.read(6 * MiB, 4096), pattern(4096, 6 * MiB));
    assertEquals(Date.now() - t0 < 1000, true);
    await rnd.release();
    await seq.release();
    assertEquals(remote.bytesRead < 4 * MiB, true, `read ${remote.bytesRead} bytes`);
  });
});

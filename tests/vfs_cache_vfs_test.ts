import { deepStrictEqual as assertEquals, rejects } from "node:assert/strict";
import { MemoryBackend } from "../lib/backends/memory.ts";
import { NotFoundError } from "../lib/errors.ts";
import { Vfs } from "../lib/vfs/vfs.ts";
import { FaultyBackend } from "./helpers/faulty_backend.ts";
import { O, pattern, readRemote, writeRemote } from "./vfs_cache_helpers.ts";

/** Runs `fn` with a Vfs in a cache mode over a counting memory remote. */
async function withVfs(
  options: Record<string, string | number | boolean>,
  fn: (vfs: Vfs, remote: FaultyBackend, inner: MemoryBackend) => Promise<void>,
): Promise<void> {
  const cacheDir = await Deno.makeTempDir({ prefix: "vfs_cache_vfs_" });
  const inner = new MemoryBackend();
  const remote = new FaultyBackend(inner);
  const vfs = new Vfs(remote, options, { cacheDir });
  try {
    await fn(vfs, remote, inner);
  } finally {
    remote.failWrites = false;
    await vfs.shutdown();
    await Deno.remove(cacheDir, { recursive: true });
  }
}

Deno.test("Vfs in writes mode delegates to the cache: random writes, listing before upload, sync", async () => {
  await withVfs(
    { vfs_cache_mode: "writes", vfs_write_back: 60_000 },
    async (vfs, remote, inner) => {
      await vfs.mkdir("dir");
      const { handle } = await vfs.create("dir/f.bin", O.WRONLY | O.CREAT, 0o644);
      await handle.write(100_000, pattern(50_000, 100_000));
      await handle.write(0, pattern(100_000));
      await handle.flush();
      await handle.release();
      // Not uploaded yet, but listed with its size.
      assertEquals(remote.writes, []);
      const names = (await vfs.readdir("dir")).map((a) => [a.name, a.size]);
      assertEquals(names, [["f.bin", 150_000]]);
      assertEquals(vfs.status().dirtyFiles, 1);
      await vfs.sync();
      assertEquals(await readRemote(inner, "dir/f.bin"), pattern(150_000));
      assertEquals(vfs.status().dirtyFiles, 0);
    },
  );
});

Deno.test("Vfs in cache modes lists a fresh remote listing as is, and overlays files not uploaded or open", async () => {
  await withVfs(
    { vfs_cache_mode: "writes", vfs_write_back: 60_000 },
    async (vfs, _remote, inner) => {
      await vfs.mkdir("dir");
      await writeRemote(inner, "dir/remote.txt", pattern(10));
      vfs.forgetDirCache();
      // nothing cached in dir: the listing as it is
      assertEquals((await vfs.readdir("dir")).map((a) => [a.name, a.size]), [["remote.txt", 10]]);
      const { handle } = await vfs.create("dir/new.bin", O.WRONLY | O.CREAT, 0o644);
      await handle.write(0, pattern(300));
      await handle.release();
      const open = await vfs.open("dir/remote.txt", O.RDWR);
      await open.write(10, pattern(5));
      await open.release();
      // nothing open, nothing uploaded: the remote listing knows neither the new file nor the
      // longer size, the cache does
      vfs.forgetDirCache();
      assertEquals((await vfs.readdir("dir")).map((a) => [a.name, a.size]), [
        ["new.bin", 300],
        ["remote.txt", 15],
      ]);
      await vfs.sync();
      vfs.forgetDirCache();
      assertEquals((await vfs.readdir("dir")).map((a) => [a.name, a.size]), [
        ["new.bin", 300],
        ["remote.txt", 15],
      ]);
    },
  );
});

Deno.test("Vfs in writes mode: rename and unlink of queued files do the right thing remotely", async () => {
  await withVfs(
    { vfs_cache_mode: "writes", vfs_write_back: 60_000 },
    async (vfs, remote, inner) => {
      for (const name of ["a.txt", "gone.txt"]) {
        const { handle } = await vfs.create(name, O.WRONLY | O.CREAT, 0o644);
        await handle.write(0, new TextEncoder().encode(name));
        await handle.release();
      }
      await vfs.rename("a.txt", "b.txt");
      await vfs.unlink("gone.txt");
      assertEquals((await vfs.readdir("")).map((a) => a.name), ["b.txt"]);
      await vfs.sync();
      assertEquals(remote.writes, ["b.txt"]);
      assertEquals(new TextDecoder().decode(await readRemote(inner, "b.txt")), "a.txt");
      await rejects(inner.stat("a.txt"), NotFoundError);
      await rejects(inner.stat("gone.txt"), NotFoundError);
    },
  );
});

Deno.test("Vfs in writes mode: an existing remote file is patched, not replaced", async () => {
  await withVfs({ vfs_cache_mode: "writes", vfs_write_back: 0 }, async (vfs, _remote, inner) => {
    await writeRemote(inner, "p.bin", pattern(200_000));
    const h = await vfs.open("p.bin", O.RDWR);
    await h.write(1000, new Uint8Array(10).fill(1));
    await h.release();
    await vfs.sync();
    const want = pattern(200_000);
    want.fill(1, 1000, 1010);
    assertEquals(await readRemote(inner, "p.bin"), want);
  });
});

Deno.test("Vfs in full mode reads through the cache, fetching only the touched range", async () => {
  await withVfs({ vfs_cache_mode: "full" }, async (vfs, remote, inner) => {
    await writeRemote(inner, "big.bin", pattern(4_000_000));
    const h = await vfs.open("big.bin", O.RDONLY);
    assertEquals(await h.read(3_000_000, 4096), pattern(4096, 3_000_000));
    await h.release();
    assertEquals(remote.bytesRead, 4096);
    assertEquals(vfs.status().cacheBytes, 4096);
  });
});

Deno.test("Vfs in writes mode: the cache retries while the remote is down", async () => {
  await withVfs({ vfs_cache_mode: "writes", vfs_write_back: 0 }, async (vfs, remote, inner) => {
    remote.failWrites = true;
    const { handle } = await vfs.create("r.txt", O.WRONLY | O.CREAT, 0o644);
    await handle.write(0, new TextEncoder().encode("retry me"));
    await handle.release();
    const t0 = Date.now();
    while (remote.failedWrites < 1 && Date.now() - t0 < 5000) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assertEquals(vfs.status().dirtyFiles, 1);
    assertEquals(typeof vfs.status().lastError, "string");
    remote.failWrites = false;
    await vfs.sync();
    assertEquals(new TextDecoder().decode(await readRemote(inner, "r.txt")), "retry me");
  });
});

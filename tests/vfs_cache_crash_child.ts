/**
 * @module
 * Child process of the crash test: writes through a VfsCache whose remote refuses uploads, so
 * everything stays dirty in the cache, prints `READY` once the committed writes returned, then
 * keeps writing an uncommitted file until it is killed with SIGKILL.
 *
 * Usage: `deno run -A tests/vfs_cache_crash_child.ts <cacheDir> <remoteRoot>` (loaded as a
 * module, e.g. by `deno test tests/vfs_cache_*`, it does nothing).
 */

import { LocalBackend } from "../lib/backends/local.ts";
import { VfsCache } from "../lib/vfs/cache/vfs_cache.ts";
import { FaultyBackend } from "./helpers/faulty_backend.ts";
import { O, pattern } from "./vfs_cache_helpers.ts";

async function main(cacheDir: string | undefined, root: string | undefined): Promise<void> {
  if (!cacheDir || !root) {
    throw new Error("usage: vfs_cache_crash_child.ts <cacheDir> <remoteRoot>");
  }
  const remote = new FaultyBackend(new LocalBackend({ root }));
  remote.failWrites = true;
  const cache = await VfsCache.open({
    backend: remote,
    cacheDir,
    options: { vfs_cache_mode: "full", vfs_write_back: 3_600_000 },
    tuning: { fsyncDeadlineMs: 100, retryMinMs: 3_600_000 },
  });

  // Closed: committed by release.
  const closed = await cache.open("closed.txt", O.WRONLY | O.CREAT, undefined);
  await closed.write(0, new TextEncoder().encode("closed before the crash"));
  await closed.flush();
  await closed.release();

  // Patched remote file, closed: only the patch is local, the rest comes from the remote.
  const patched = await cache.open("patched.bin", O.RDWR, await remote.stat("patched.bin"));
  await patched.write(1000, pattern(500, 0, 42));
  await patched.flush();
  await patched.release();

  // A new empty file, closed (an empty data file is not fsynced: the cache recreates it).
  const empty = await cache.open("empty.txt", O.WRONLY | O.CREAT | O.TRUNC, undefined);
  await empty.flush();
  await empty.release();

  // Fsynced but still open when the process dies.
  const synced = await cache.open("dir/synced.bin", O.RDWR | O.CREAT, undefined);
  await synced.write(0, pattern(3_000_000, 0, 1));
  await synced.fsync();

  // Renamed while queued.
  const moved = await cache.open("before.txt", O.WRONLY | O.CREAT, undefined);
  await moved.write(0, new TextEncoder().encode("moved"));
  await moved.release();
  await cache.rename("before.txt", "after.txt");

  // Removed while queued: must never land.
  const removed = await cache.open("removed.txt", O.WRONLY | O.CREAT, undefined);
  await removed.write(0, new TextEncoder().encode("nope"));
  await removed.release();
  await cache.remove("removed.txt");

  // Uncommitted: being written when the process dies.
  const partial = await cache.open("partial.bin", O.WRONLY | O.CREAT, undefined);
  console.log("READY");
  for (let off = 0;; off += 65_536) {
    await partial.write(off % (64 * 1024 * 1024), pattern(65_536, off, 2));
    if (off % (1024 * 1024) === 0) await new Promise((r) => setTimeout(r, 1));
  }
}

if (import.meta.main) await main(Deno.args[0], Deno.args[1]);

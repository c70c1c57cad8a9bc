/**
 * @module
 * Test-only helpers shared by the cache's unit tests: fast retry tuning and a writes-mode cache
 * whose uploads wait until `sync()`, alone or with its temporary directory and backend.
 */
import { MemoryBackend } from "../../backends/memory.ts";
import { VfsCache } from "./vfs_cache.ts";

/** Retry and close deadlines short enough for tests. */
export const TUNING = { retryMinMs: 10, retryMaxMs: 50, closeDeadlineMs: 2000 };

/** A writes-mode cache in `dir` over `backend` whose uploads wait an hour (until sync()). */
export function openHeldWrites(backend: MemoryBackend, dir: string): Promise<VfsCache> {
  return VfsCache.open({
    backend,
    cacheDir: dir,
    options: { vfs_cache_mode: "writes", vfs_write_back: 3_600_000 },
    tuning: TUNING,
  });
}

/**
 * Runs `fn` with an {@link openHeldWrites} cache over a new memory backend in a new temporary
 * directory; closes the cache and removes the directory afterwards.
 */
export async function withHeldWrites(
  fn: (cache: VfsCache, backend: MemoryBackend, dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir();
  const backend = new MemoryBackend();
  const cache = await openHeldWrites(backend, dir);
  try {
    await fn(cache, backend, dir);
  } finally {
    await cache.close();
    await Deno.remove(dir, { recursive: true });
  }
}

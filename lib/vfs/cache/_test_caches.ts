/**
 * @module
 * Test-only helpers shared by the cache's unit tests: fast retry tuning and a writes-mode cache
 * whose uploads wait until `sync()`.
 */
import type { MemoryBackend } from "../../backends/memory.ts";
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

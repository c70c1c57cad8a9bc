/**
 * @module
 * Shared helpers of the VFS cache integration tests: a cache over a real memory backend wrapped
 * in {@link FaultyBackend}, whole-file reads, patterned data and bounded polling.
 */

import type { Backend } from "../lib/backends/backend.ts";
import { MemoryBackend } from "../lib/backends/memory.ts";
import type { OptionValue } from "../lib/config/option_schema.ts";
import { VfsCache, type VfsCacheTuning } from "../lib/vfs/cache/vfs_cache.ts";
import { FaultyBackend } from "./helpers/faulty_backend.ts";

/** Linux open(2) flags used by the tests. */
export const O = { RDONLY: 0, WRONLY: 1, RDWR: 2, CREAT: 0o100, TRUNC: 0o1000, APPEND: 0o2000 };

/** Fast timings for tests. */
export const FAST: VfsCacheTuning = {
  retryMinMs: 20,
  retryMaxMs: 100,
  syncDeadlineMs: 10_000,
  closeDeadlineMs: 5_000,
  fsyncDeadlineMs: 5_000,
  fetchIdleMs: 2_000,
};

/** Reads a whole remote file. */
export async function readRemote(backend: Backend, path: string): Promise<Uint8Array> {
  return new Uint8Array(await new Response(await backend.read(path)).arrayBuffer());
}

/** Writes a whole remote file. */
export async function writeRemote(
  backend: Backend,
  path: string,
  data: Uint8Array,
  mtimeMs?: number,
): Promise<void> {
  await backend.write(path, new Blob([data as Uint8Array<ArrayBuffer>]).stream(), {
    mtimeMs,
    size: data.length,
  });
}

/** Deterministic patterned bytes: byte i of the stream starting at `offset` with `seed`. */
export function pattern(length: number, offset = 0, seed = 7): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    const x = offset + i;
    out[i] = (x * 31 + Math.floor(x / 251) * 17 + seed) & 0xff;
  }
  return out;
}

/** Polls `cond` every 10 ms until it holds; throws after `ms`. */
export async function until(cond: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A cache test fixture. */
export interface Fixture {
  /** The counting/failing wrapper the cache talks to. */
  remote: FaultyBackend;
  /** The real backend underneath. */
  inner: Backend;
  /** The cache. */
  cache: VfsCache;
  /** The cache directory. */
  cacheDir: string;
}

/** Runs `fn` with a cache over a fresh memory backend; cleans up afterwards. */
export async function withCache(
  options: Record<string, OptionValue>,
  fn: (f: Fixture) => Promise<void>,
  opts: { inner?: Backend; tuning?: VfsCacheTuning } = {},
): Promise<void> {
  const cacheDir = await Deno.makeTempDir({ prefix: "vfs_cache_test_" });
  const inner = opts.inner ?? new MemoryBackend();
  const remote = new FaultyBackend(inner);
  const cache = await VfsCache.open({
    backend: remote,
    cacheDir,
    options,
    tuning: { ...FAST, ...opts.tuning },
  });
  try {
    await fn({ remote, inner, cache, cacheDir });
  } finally {
    remote.failWrites = false;
    remote.writeDelayMs = 0;
    await cache.close();
    await Deno.remove(cacheDir, { recursive: true });
  }
}

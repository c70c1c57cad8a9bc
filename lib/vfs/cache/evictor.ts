/**
 * @module
 * Cache cleaning policy: which items to evict for `--vfs-cache-max-age`,
 * `--vfs-cache-max-size` and `--vfs-cache-min-free-space`. Items that are open, dirty or
 * queued for upload are never chosen. {@link planEviction} is pure; {@link freeSpace} asks the
 * operating system how much room the cache's file system has left.
 */

/** What the planner knows of one cache item. */
export interface EvictionCandidate<K> {
  /** The caller's handle on the item. */
  key: K;
  /** Bytes the item takes in the cache. */
  bytes: number;
  /** Last access (ms since the epoch). */
  atimeMs: number;
  /** Open, dirty or being uploaded: must stay. */
  busy: boolean;
}

/** The limits, as in the cache options (-1 = off). */
export interface EvictionLimits {
  /** `vfs_cache_max_size` in bytes. */
  maxSize: number;
  /** `vfs_cache_max_age` in ms. */
  maxAgeMs: number;
  /** `vfs_cache_min_free_space` in bytes. */
  minFreeSpace: number;
}

/**
 * Chooses the items to evict: first those unused for longer than the maximum age, then the
 * least recently used until the cache fits its maximum size and the file system has the minimum
 * free space (`freeBytes`, when known). Busy items are skipped, so the result may not reach
 * the limits.
 */
export function planEviction<K>(
  items: readonly EvictionCandidate<K>[],
  limits: EvictionLimits,
  now: number,
  freeBytes?: number,
): K[] {
  const out: K[] = [];
  const keep: EvictionCandidate<K>[] = [];
  for (const it of items) {
    if (!it.busy && limits.maxAgeMs >= 0 && now - it.atimeMs > limits.maxAgeMs) out.push(it.key);
    else keep.push(it);
  }
  let total = keep.reduce((n, it) => n + it.bytes, 0);
  let needFree = limits.minFreeSpace > 0 && freeBytes !== undefined
    ? Math.max(0, limits.minFreeSpace - freeBytes)
    : 0;
  const lru = keep.filter((it) => !it.busy).sort((a, b) => a.atimeMs - b.atimeMs);
  for (const it of lru) {
    const overSize = limits.maxSize >= 0 && total > limits.maxSize;
    if (!overSize && needFree <= 0) break;
    out.push(it.key);
    total -= it.bytes;
    needFree -= it.bytes;
  }
  return out;
}

/** Bytes available to unprivileged users on the file system holding `dir` (via `df`). */
export async function freeSpace(dir: string): Promise<number> {
  const out = await new Deno.Command("df", {
    args: ["-B1", "--output=avail", dir],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim().split("\n").pop() ?? "";
  const n = Number(text.trim());
  if (!out.success || !Number.isFinite(n)) {
    throw new Error(`cannot read free space of ${dir}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return n;
}

/**
 * @module
 * The VFS options the cache uses, picked out of the resolved VFS option group
 * (`lib/vfs/vfs_options.ts`) with rclone's defaults for any that are missing. Sizes are bytes,
 * durations milliseconds, and -1 means off.
 */

import type { OptionValue } from "../../config/option_schema.ts";
import { InvalidError } from "../../errors.ts";

/** The cache modes of rclone's `--vfs-cache-mode`. */
export type CacheMode = "off" | "minimal" | "writes" | "full";

/** The cache's view of the VFS options. */
export interface CacheOptions {
  /** `vfs_cache_mode`. */
  mode: CacheMode;
  /** `vfs_cache_max_size` in bytes (-1 = no limit). */
  maxSize: number;
  /** `vfs_cache_max_age` in ms (-1 = no limit). */
  maxAgeMs: number;
  /** `vfs_cache_min_free_space` in bytes (-1 = off). */
  minFreeSpace: number;
  /** `vfs_cache_poll_interval` in ms (0 or -1 = no cleaning). */
  pollIntervalMs: number;
  /** `vfs_write_back` in ms: delay between the last close and the upload. */
  writeBackMs: number;
  /** `vfs_read_chunk_size` in bytes (0 or -1 = one request to the end of the file). */
  chunkSize: number;
  /** `vfs_read_chunk_size_limit` in bytes (-1 = chunks double without limit). */
  chunkSizeLimit: number;
  /** `vfs_read_chunk_streams`: parallel ranged reads (0 = one growing stream). */
  chunkStreams: number;
  /** `vfs_read_ahead` in bytes: extra data fetched past a read in `full` mode. */
  readAhead: number;
  /** `buffer_size` in bytes: how far a sequential download may run ahead of the reader. */
  bufferSize: number;
}

/** rclone's defaults for the cache options. */
export const CACHE_DEFAULTS: CacheOptions = {
  mode: "off",
  maxSize: -1,
  maxAgeMs: 3_600_000,
  minFreeSpace: -1,
  pollIntervalMs: 60_000,
  writeBackMs: 5_000,
  chunkSize: 128 * 1024 * 1024,
  chunkSizeLimit: -1,
  chunkStreams: 0,
  readAhead: 0,
  bufferSize: 16 * 1024 * 1024,
};

function num(options: Record<string, OptionValue>, key: string, dflt: number): number {
  const v = options[key];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== "number" || Number.isNaN(v)) {
    throw new InvalidError(`vfs option ${key} must be a number, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** Picks the cache options out of resolved VFS option values. Throws InvalidError if malformed. */
export function cacheOptionsFrom(options: Record<string, OptionValue>): CacheOptions {
  const rawMode = options["vfs_cache_mode"] ?? CACHE_DEFAULTS.mode;
  const mode = String(rawMode).toLowerCase();
  if (!["off", "minimal", "writes", "full"].includes(mode)) {
    throw new InvalidError(
      `vfs option vfs_cache_mode: unknown cache mode ${JSON.stringify(rawMode)}`,
    );
  }
  const d = CACHE_DEFAULTS;
  return {
    mode: mode as CacheMode,
    maxSize: num(options, "vfs_cache_max_size", d.maxSize),
    maxAgeMs: num(options, "vfs_cache_max_age", d.maxAgeMs),
    minFreeSpace: num(options, "vfs_cache_min_free_space", d.minFreeSpace),
    pollIntervalMs: num(options, "vfs_cache_poll_interval", d.pollIntervalMs),
    writeBackMs: Math.max(0, num(options, "vfs_write_back", d.writeBackMs)),
    chunkSize: num(options, "vfs_read_chunk_size", d.chunkSize),
    chunkSizeLimit: num(options, "vfs_read_chunk_size_limit", d.chunkSizeLimit),
    chunkStreams: Math.max(0, Math.floor(num(options, "vfs_read_chunk_streams", d.chunkStreams))),
    readAhead: Math.max(0, num(options, "vfs_read_ahead", d.readAhead)),
    bufferSize: Math.max(0, num(options, "buffer_size", d.bufferSize)),
  };
}

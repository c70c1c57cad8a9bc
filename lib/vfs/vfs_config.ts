/**
 * @module
 * The VFS options as a typed record: {@link vfsConfig} fills missing keys with the defaults of
 * {@link VFS_OPTIONS}, resolves the machine-dependent defaults (uid/gid = process ids) and
 * checks the types, so the rest of `lib/vfs` never touches raw option values.
 */

import { defaultsOf, type OptionValue } from "../config/option_schema.ts";
import { InvalidError } from "../errors.ts";
import { CACHE_MODES, type CacheMode, DEFAULT_BUFFER_SIZE, VFS_OPTIONS } from "./vfs_options.ts";

/** The typed VFS settings (sizes in bytes, durations in ms, -1 = off). */
export interface VfsConfig {
  /** Don't read/write modification times (mtime reported as the VFS start time). */
  noModtime: boolean;
  /** Skip checksum comparisons. */
  noChecksum: boolean;
  /** Refuse non-sequential reads (ESPIPE). */
  noSeek: boolean;
  /** Lifetime of cached directory listings. */
  dirCacheTimeMs: number;
  /** Walk the tree in the background at start to fill the directory cache. */
  refresh: boolean;
  /** Change-notification poll interval (0 = off). */
  pollIntervalMs: number;
  /** Every mutation fails with EROFS. */
  readOnly: boolean;
  /** Cache mode. */
  cacheMode: CacheMode;
  /** First ranged-read chunk (0 or -1 = one open-ended read). */
  readChunkSize: number;
  /** Chunk doubling cap (-1 = unlimited). */
  readChunkSizeLimit: number;
  /** Parallel ranged reads of a streaming read (0 = one growing stream). */
  readChunkStreams: number;
  /** Directory permission bits before the umask. */
  dirPerms: number;
  /** File permission bits before the umask. */
  filePerms: number;
  /** Permission mask. */
  umask: number;
  /** Reported owner. */
  uid: number;
  /** Reported group. */
  gid: number;
  /** Find case-insensitive matches when a name is not found. */
  caseInsensitive: boolean;
  /** How long an out-of-order write waits for the missing data. */
  writeWaitMs: number;
  /** How long an out-of-order read waits before seeking. */
  readWaitMs: number;
  /** Compute used space by listing the whole tree. */
  usedIsSize: boolean;
  /** Override of the reported total space (-1 = off). */
  diskSpaceTotalSize: number;
  /** Read buffer size (rclone's global `--buffer-size`). */
  bufferSize: number;
}

function processId(get: () => number | null): number {
  try {
    return get() ?? 0;
  } catch {
    return 0;
  }
}

/** Builds a {@link VfsConfig} from an option record (missing keys take the defaults). */
export function vfsConfig(options: Record<string, OptionValue>): VfsConfig {
  const o = { ...defaultsOf(VFS_OPTIONS), ...options };
  const num = (k: string, fallback?: number): number => {
    const v = o[k] ?? fallback;
    if (typeof v !== "number" || Number.isNaN(v)) {
      throw new InvalidError(`vfs option ${JSON.stringify(k)} must be a number, got ${String(v)}`);
    }
    return v;
  };
  const bool = (k: string): boolean => {
    const v = o[k];
    if (typeof v !== "boolean") {
      throw new InvalidError(`vfs option ${JSON.stringify(k)} must be a boolean, got ${String(v)}`);
    }
    return v;
  };
  const mode = String(o.vfs_cache_mode ?? "off").toLowerCase();
  if (!(CACHE_MODES as readonly string[]).includes(mode)) {
    throw new InvalidError(`vfs option "vfs_cache_mode" has unknown value ${JSON.stringify(mode)}`);
  }
  const uid = num("uid");
  const gid = num("gid");
  return {
    noModtime: bool("no_modtime"),
    noChecksum: bool("no_checksum"),
    noSeek: bool("no_seek"),
    dirCacheTimeMs: num("dir_cache_time"),
    refresh: bool("vfs_refresh"),
    pollIntervalMs: num("poll_interval"),
    readOnly: bool("read_only"),
    cacheMode: mode as CacheMode,
    readChunkSize: num("vfs_read_chunk_size"),
    readChunkSizeLimit: num("vfs_read_chunk_size_limit"),
    readChunkStreams: Math.max(0, Math.floor(num("vfs_read_chunk_streams"))),
    dirPerms: num("dir_perms") & 0o7777,
    filePerms: num("file_perms") & 0o7777,
    umask: num("umask") & 0o7777,
    uid: uid >= 0 ? uid : processId(() => Deno.uid()),
    gid: gid >= 0 ? gid : processId(() => Deno.gid()),
    caseInsensitive: bool("vfs_case_insensitive"),
    writeWaitMs: num("vfs_write_wait"),
    readWaitMs: num("vfs_read_wait"),
    usedIsSize: bool("vfs_used_is_size"),
    diskSpaceTotalSize: num("vfs_disk_space_total_size"),
    bufferSize: num("buffer_size", DEFAULT_BUFFER_SIZE),
  };
}

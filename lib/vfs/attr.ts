/**
 * @module
 * The attribute, statfs and status records the VFS returns, and the conversion of a backend
 * {@link Entry} into a {@link VfsAttr} (mode from dir_perms/file_perms masked by the umask,
 * uid/gid options, no_modtime).
 */

import type { Entry } from "../backends/backend.ts";
import { baseName } from "./path_util.ts";
import type { VfsConfig } from "./vfs_config.ts";

/** `st_mode` type bit of a directory. */
export const S_IFDIR = 0o040000;
/** `st_mode` type bit of a regular file. */
export const S_IFREG = 0o100000;

/** Attributes of one file or directory. */
export interface VfsAttr {
  /** VFS path (`""` = root). */
  path: string;
  /** Last path segment (`""` for the root). */
  name: string;
  /** True for a directory. */
  isDir: boolean;
  /** Size in bytes (0 for directories). */
  size: number;
  /** Modification time, ms since the epoch. */
  mtimeMs: number;
  /** Access time (rclone reports the mtime). */
  atimeMs: number;
  /** Change time (rclone reports the mtime). */
  ctimeMs: number;
  /** Full `st_mode` including `S_IFDIR`/`S_IFREG`. */
  mode: number;
  /** Owner. */
  uid: number;
  /** Group. */
  gid: number;
}

/** File system space figures, ready for a `statfs` reply. */
export interface VfsStatfs {
  /** Block size (4096). */
  bsize: number;
  /** Fragment size (4096). */
  frsize: number;
  /** Total blocks. */
  blocks: number;
  /** Free blocks. */
  bfree: number;
  /** Free blocks for unprivileged users. */
  bavail: number;
  /** Total inodes (1e9, as rclone reports). */
  files: number;
  /** Free inodes (1e9). */
  ffree: number;
  /** Maximum name length (255). */
  namelen: number;
  /** Total bytes. */
  totalBytes: number;
  /** Used bytes. */
  usedBytes: number;
  /** Free bytes. */
  freeBytes: number;
}

/** Counters of the VFS for status reports. */
export interface VfsStatus {
  /** Files with data not yet on the remote (open writers plus cache items). */
  dirtyFiles: number;
  /** Bytes not yet on the remote (as far as known). */
  dirtyBytes: number;
  /** Uploads running now. */
  uploadsInFlight: number;
  /** Bytes held in the on-disk cache. */
  cacheBytes: number;
  /** Open file handles. */
  openFiles: number;
  /** The last upload or cache error, if any. */
  lastError?: string;
}

/**
 * Builds the attributes of a backend entry at a VFS path; `name` is the path's last segment
 * (given by callers that already have it, e.g. listings).
 */
export function entryAttr(
  path: string,
  entry: Pick<Entry, "isDir" | "size" | "mtimeMs">,
  cfg: VfsConfig,
  startTimeMs: number,
  name: string = baseName(path),
): VfsAttr {
  const mtime = cfg.noModtime ? startTimeMs : entry.mtimeMs;
  const perms = (entry.isDir ? cfg.dirPerms : cfg.filePerms) & ~cfg.umask & 0o7777;
  return {
    path,
    name,
    isDir: entry.isDir,
    size: entry.isDir ? 0 : entry.size,
    mtimeMs: mtime,
    atimeMs: mtime,
    ctimeMs: mtime,
    mode: (entry.isDir ? S_IFDIR : S_IFREG) | perms,
    uid: cfg.uid,
    gid: cfg.gid,
  };
}

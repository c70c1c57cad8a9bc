/**
 * @module
 * The VFS option group: rclone's `vfs/vfscommon/options.go` names and defaults, declared once.
 * CLI flags (`--vfs-cache-mode`), env vars (`RCLONE_VFS_CACHE_MODE`) and Docker `-o` keys are
 * derived from it by `lib/config/option_schema.ts`.
 *
 * `buffer_size` is a global option in rclone (not accepted as a volume option), so it is not in
 * this group; {@link Vfs} reads `buffer_size` from its options record when the caller merges the
 * global value in, and uses {@link DEFAULT_BUFFER_SIZE} otherwise.
 */

import type { OptionDef, OptionGroup } from "../config/option_schema.ts";

/** The VFS cache modes, weakest first (rclone `vfscommon.CacheMode`). */
export const CACHE_MODES = ["off", "minimal", "writes", "full"] as const;

/** One of {@link CACHE_MODES}. */
export type CacheMode = (typeof CACHE_MODES)[number];

/** rclone's default `--buffer-size` (16 MiB), used when the global value is not passed in. */
export const DEFAULT_BUFFER_SIZE = 16 * 1024 * 1024;

const MiB = 1024 * 1024;
const SECOND = 1000;
const MINUTE = 60 * SECOND;

const opts: OptionDef[] = [
  {
    name: "no_modtime",
    type: "bool",
    default: false,
    help: "Don't read/write the modification time (can speed things up)",
  },
  {
    name: "no_checksum",
    type: "bool",
    default: false,
    help: "Don't compare checksums on up/download",
  },
  { name: "no_seek", type: "bool", default: false, help: "Don't allow seeking in files" },
  {
    name: "dir_cache_time",
    type: "duration",
    default: 5 * MINUTE,
    help: "Time to cache directory entries for",
  },
  {
    name: "vfs_refresh",
    type: "bool",
    default: false,
    help: "Refreshes the directory cache recursively in the background on start",
  },
  {
    name: "poll_interval",
    type: "duration",
    default: 1 * MINUTE,
    help:
      "Time to wait between polling for changes, must be smaller than dir_cache_time and only on supported remotes (set 0 to disable)",
  },
  { name: "read_only", type: "bool", default: false, help: "Only allow read-only access" },
  {
    name: "vfs_links",
    type: "bool",
    default: false,
    help: "Translate symlinks to/from regular files with a '.rclonelink' extension for the VFS",
  },
  {
    name: "vfs_cache_mode",
    type: "enum",
    default: "off",
    choices: CACHE_MODES,
    help: "Cache mode off|minimal|writes|full",
  },
  {
    name: "vfs_cache_poll_interval",
    type: "duration",
    default: 60 * SECOND,
    help: "Interval to poll the cache for stale objects",
  },
  {
    name: "vfs_cache_max_age",
    type: "duration",
    default: 60 * MINUTE,
    help: "Max time since last access of objects in the cache",
  },
  {
    name: "vfs_cache_max_size",
    type: "size",
    default: -1,
    help: "Max total size of objects in the cache",
  },
  {
    name: "vfs_cache_min_free_space",
    type: "size",
    default: -1,
    help: "Target minimum free space on the disk containing the cache",
  },
  {
    name: "vfs_read_chunk_size",
    type: "size",
    default: 128 * MiB,
    help: "Read the source objects in chunks",
  },
  {
    name: "vfs_read_chunk_size_limit",
    type: "size",
    default: -1,
    help:
      "If greater than --vfs-read-chunk-size, double the chunk size after each chunk read, until the limit is reached ('off' is unlimited)",
  },
  {
    name: "vfs_read_chunk_streams",
    type: "int",
    default: 0,
    help: "The number of parallel streams to read at once",
  },
  { name: "dir_perms", type: "mode", default: 0o777, help: "Directory permissions" },
  { name: "file_perms", type: "mode", default: 0o666, help: "File permissions" },
  { name: "link_perms", type: "mode", default: 0o666, help: "Link permissions" },
  {
    name: "vfs_case_insensitive",
    type: "bool",
    default: false,
    help: "If a file name not found, find a case insensitive match",
  },
  {
    name: "vfs_block_norm_dupes",
    type: "bool",
    default: false,
    help:
      "If duplicate filenames exist in the same directory (after normalization), log an error and hide the duplicates (may have a performance cost)",
  },
  {
    name: "vfs_write_wait",
    type: "duration",
    default: 1 * SECOND,
    help: "Time to wait for in-sequence write before giving error",
  },
  {
    name: "vfs_read_wait",
    type: "duration",
    default: 20,
    help: "Time to wait for in-sequence read before seeking",
  },
  {
    name: "vfs_write_back",
    type: "duration",
    default: 5 * SECOND,
    help: "Time to writeback files after last use when using cache",
  },
  {
    name: "vfs_read_ahead",
    type: "size",
    default: 0,
    help: "Extra read ahead over --buffer-size when using cache-mode full",
  },
  {
    name: "vfs_used_is_size",
    type: "bool",
    default: false,
    help: "Use the rclone size algorithm for Used size",
  },
  {
    name: "vfs_fast_fingerprint",
    type: "bool",
    default: false,
    help: "Use fast (less accurate) fingerprints for change detection",
  },
  {
    name: "vfs_disk_space_total_size",
    type: "size",
    default: -1,
    help: "Specify the total space of disk",
  },
  {
    name: "vfs_handle_caching",
    type: "duration",
    default: 5 * SECOND,
    help: "Time to keep file handle caching after last close (accepted for compatibility)",
    advanced: true,
  },
  {
    name: "vfs_metadata_extension",
    type: "string",
    default: "",
    help: "Set the extension to read metadata from (accepted for compatibility; not used)",
    advanced: true,
  },
  {
    name: "umask",
    type: "mode",
    default: 0o022,
    defaultText: "process umask (022)",
    help: "Override the permission bits set by the filesystem",
  },
  {
    name: "uid",
    type: "int",
    default: -1,
    defaultText: "current user id",
    help: "Override the uid field set by the filesystem",
  },
  {
    name: "gid",
    type: "int",
    default: -1,
    defaultText: "current group id",
    help: "Override the gid field set by the filesystem",
  },
];

/** The VFS option group (flag/env prefix `""`, so flags read `--vfs-cache-mode`, `--dir-perms`). */
export const VFS_OPTIONS: OptionGroup = { id: "vfs", prefix: "", options: opts };

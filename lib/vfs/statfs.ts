/**
 * @module
 * Builds the statfs figures from a remote's usage the way rclone's mount does: 4096-byte
 * blocks, 1e9 inodes, and 1 PiB total/free when the remote reports nothing.
 */

import type { Usage } from "../backends/backend.ts";
import type { VfsStatfs } from "./attr.ts";

/** Block size reported by statfs. */
export const BLOCK_SIZE = 4096;
/** Total/free bytes reported when the remote does not know (1 PiB, as rclone). */
export const UNKNOWN_SPACE = 2 ** 50;

/** Converts usage figures (missing = unknown) into a statfs record. */
export function statfsFromUsage(usage: Usage, totalOverride = -1): VfsStatfs {
  let { total, used, free } = usage;
  if (totalOverride >= 0) {
    total = totalOverride;
    if (used !== undefined) free = Math.max(0, total - used);
  }
  if (total === undefined && free === undefined) {
    total = UNKNOWN_SPACE;
    free = UNKNOWN_SPACE - (used ?? 0);
  } else if (total === undefined) {
    total = (used ?? 0) + free!;
  } else if (free === undefined) {
    free = Math.max(0, total - (used ?? 0));
  }
  if (used === undefined) used = Math.max(0, total - free!);
  const blocks = Math.floor(total / BLOCK_SIZE);
  const bfree = Math.floor(free! / BLOCK_SIZE);
  return {
    bsize: BLOCK_SIZE,
    frsize: BLOCK_SIZE,
    blocks,
    bfree,
    bavail: bfree,
    files: 1e9,
    ffree: 1e9,
    namelen: 255,
    totalBytes: total,
    usedBytes: used,
    freeBytes: free!,
  };
}

/**
 * @module
 * Marks the cache's own directories as tops of directory hierarchies (`chattr +T`, the ext4
 * inode flag `FS_TOPDIR_FL`), so that ext4 places each directory created directly inside them
 * in a block group of its own choosing (its Orlov allocator spreads top-level directories over
 * the groups with the most free inodes and blocks) instead of next to its parent.
 *
 * Why: ext4 allocates a new file's inode in its directory's block group, and without a journal
 * (as on this kind of VM disk) it skips every inode of that group deleted within the last minute
 * or more, reading its inode-table block each time. A cache directory made next to many recently
 * deleted files (a temp directory, an earlier run's cache just removed) then paid 200–700 µs per
 * new cached file, all on the JS thread that serves every FUSE request; in a spread-out group the
 * same creation took ~20 µs (6,400 files in 64 directories, measured side by side). The flag only
 * steers where new subdirectories go: nothing about the files changes, and file systems without
 * it (tmpfs, xfs, btrfs…) refuse the ioctl, which is ignored.
 *
 * The calls go through libc (`open`, `ioctl`, `close`) on Deno's blocking pool, once per
 * directory when the cache is opened; without glibc nothing is done.
 */

import { cstr } from "../../util/c_string.ts";
import { lazyLibc } from "../../util/lazy_libc.ts";

const SYMBOLS = {
  open: { parameters: ["buffer", "i32", "u32"], result: "i32", nonblocking: true },
  ioctl: { parameters: ["i32", "u64", "buffer"], result: "i32", nonblocking: true },
  close: { parameters: ["i32"], result: "i32" },
} as const;

/** `_IOR('f', 1, long)` and `_IOW('f', 2, long)`; the kernel reads and writes an int. */
const FS_IOC_GETFLAGS = 0x80086601n;
const FS_IOC_SETFLAGS = 0x40086602n;
/** The "top of directory hierarchies" inode flag (`chattr +T`). */
export const FS_TOPDIR_FL = 0x00020000;
/** O_RDONLY | O_CLOEXEC (the same value on x86-64 and arm64). */
const O_RDONLY_CLOEXEC = 0o2000000;

const symbols = lazyLibc(SYMBOLS);

/**
 * The inode flags of the directory `dir` (`lsattr -d`), or undefined when they can't be read
 * (no such directory, a file system without them, no glibc).
 */
export async function dirFlags(dir: string): Promise<number | undefined> {
  return await withDir(dir, async (c, fd, buf) => {
    if ((await c.ioctl(fd, FS_IOC_GETFLAGS, buf)) !== 0) return undefined;
    return new DataView(buf.buffer).getInt32(0, true);
  });
}

/**
 * Sets {@link FS_TOPDIR_FL} on the directory `dir` (best effort). Returns true when the flag is
 * set afterwards, false when the file system or the platform does not allow it.
 */
export async function markTopDir(dir: string): Promise<boolean> {
  const done = await withDir(dir, async (c, fd, buf) => {
    if ((await c.ioctl(fd, FS_IOC_GETFLAGS, buf)) !== 0) return false;
    const view = new DataView(buf.buffer);
    const flags = view.getInt32(0, true);
    if ((flags & FS_TOPDIR_FL) !== 0) return true;
    view.setInt32(0, flags | FS_TOPDIR_FL, true);
    return (await c.ioctl(fd, FS_IOC_SETFLAGS, buf)) === 0;
  });
  return done ?? false;
}

/** Runs `fn` with `dir` open and an 8-byte buffer for the ioctl; undefined if it can't open. */
async function withDir<T>(
  dir: string,
  fn: (c: NonNullable<ReturnType<typeof symbols>>, fd: number, buf: Uint8Array) => Promise<T>,
): Promise<T | undefined> {
  const c = symbols();
  if (!c) return undefined;
  // Buffers handed to a call on another thread must not move: explicit ArrayBuffers.
  const fd = await c.open(cstr(dir), O_RDONLY_CLOEXEC, 0);
  if (fd < 0) return undefined;
  try {
    return await fn(c, fd, new Uint8Array(new ArrayBuffer(8)));
  } finally {
    c.close(fd);
  }
}

/**
 * @module
 * Numeric constants of the Linux FUSE kernel protocol, taken from `<linux/fuse.h>`: opcodes,
 * INIT capability flags, SETATTR valid bits, OPEN reply flags and the fixed struct sizes the
 * codec in `protocol.ts` reads and writes.
 */

/** FUSE request opcodes (`enum fuse_opcode`). */
export const Op = {
  LOOKUP: 1,
  FORGET: 2,
  GETATTR: 3,
  SETATTR: 4,
  READLINK: 5,
  SYMLINK: 6,
  MKNOD: 8,
  MKDIR: 9,
  UNLINK: 10,
  RMDIR: 11,
  RENAME: 12,
  LINK: 13,
  OPEN: 14,
  READ: 15,
  WRITE: 16,
  STATFS: 17,
  RELEASE: 18,
  FSYNC: 20,
  SETXATTR: 21,
  GETXATTR: 22,
  LISTXATTR: 23,
  REMOVEXATTR: 24,
  FLUSH: 25,
  INIT: 26,
  OPENDIR: 27,
  READDIR: 28,
  RELEASEDIR: 29,
  FSYNCDIR: 30,
  GETLK: 31,
  SETLK: 32,
  SETLKW: 33,
  ACCESS: 34,
  CREATE: 35,
  INTERRUPT: 36,
  BMAP: 37,
  DESTROY: 38,
  IOCTL: 39,
  POLL: 40,
  NOTIFY_REPLY: 41,
  BATCH_FORGET: 42,
  FALLOCATE: 43,
  READDIRPLUS: 44,
  RENAME2: 45,
  LSEEK: 46,
  COPY_FILE_RANGE: 47,
  SETUPMAPPING: 48,
  REMOVEMAPPING: 49,
  SYNCFS: 50,
  TMPFILE: 51,
} as const;

/** The name of an opcode for logs (`LOOKUP`), or `OP_<n>` when unknown. */
export function opName(opcode: number): string {
  for (const [k, v] of Object.entries(Op)) if (v === opcode) return k;
  return `OP_${opcode}`;
}

/** INIT capability flags (`fuse_init_in.flags` / `fuse_init_out.flags`). */
export const InitFlag = {
  ASYNC_READ: 1 << 0,
  POSIX_LOCKS: 1 << 1,
  FILE_OPS: 1 << 2,
  ATOMIC_O_TRUNC: 1 << 3,
  EXPORT_SUPPORT: 1 << 4,
  BIG_WRITES: 1 << 5,
  DONT_MASK: 1 << 6,
  SPLICE_WRITE: 1 << 7,
  SPLICE_MOVE: 1 << 8,
  SPLICE_READ: 1 << 9,
  FLOCK_LOCKS: 1 << 10,
  HAS_IOCTL_DIR: 1 << 11,
  AUTO_INVAL_DATA: 1 << 12,
  DO_READDIRPLUS: 1 << 13,
  READDIRPLUS_AUTO: 1 << 14,
  ASYNC_DIO: 1 << 15,
  WRITEBACK_CACHE: 1 << 16,
  NO_OPEN_SUPPORT: 1 << 17,
  PARALLEL_DIROPS: 1 << 18,
  HANDLE_KILLPRIV: 1 << 19,
  POSIX_ACL: 1 << 20,
  ABORT_ERROR: 1 << 21,
  MAX_PAGES: 1 << 22,
  CACHE_SYMLINKS: 1 << 23,
  NO_OPENDIR_SUPPORT: 1 << 24,
  EXPLICIT_INVAL_DATA: 1 << 25,
} as const;

/** SETATTR `valid` bits (`FATTR_*`). */
export const Fattr = {
  MODE: 1 << 0,
  UID: 1 << 1,
  GID: 1 << 2,
  SIZE: 1 << 3,
  ATIME: 1 << 4,
  MTIME: 1 << 5,
  FH: 1 << 6,
  ATIME_NOW: 1 << 7,
  MTIME_NOW: 1 << 8,
  LOCKOWNER: 1 << 9,
  CTIME: 1 << 10,
} as const;

/** OPEN/CREATE reply flags (`FOPEN_*`). */
export const Fopen = {
  DIRECT_IO: 1 << 0,
  KEEP_CACHE: 1 << 1,
  NONSEEKABLE: 1 << 2,
  CACHE_DIR: 1 << 3,
  STREAM: 1 << 4,
  NOFLUSH: 1 << 5,
} as const;

/** RENAME2 flags (`RENAME_*` of renameat2(2)). */
export const RenameFlag = { NOREPLACE: 1, EXCHANGE: 2, WHITEOUT: 4 } as const;

/** `fuse_fsync_in.fsync_flags` bit: only data needs syncing. */
export const FSYNC_FDATASYNC = 1;

/** Protocol major version this codec speaks. */
export const KERNEL_VERSION = 7;
/** Highest protocol minor version this codec answers (7.31: MAX_PAGES, 64-byte init_out). */
export const KERNEL_MINOR_VERSION = 31;
/** Node id of the root directory. */
export const ROOT_ID = 1;

/** Size of `struct fuse_in_header`. */
export const IN_HEADER_SIZE = 40;
/** Size of `struct fuse_out_header`. */
export const OUT_HEADER_SIZE = 16;
/** Size of `struct fuse_attr`. */
export const ATTR_SIZE = 88;
/** Size of `struct fuse_entry_out`. */
export const ENTRY_OUT_SIZE = 40 + ATTR_SIZE;
/** Size of `struct fuse_attr_out`. */
export const ATTR_OUT_SIZE = 16 + ATTR_SIZE;
/** Size of `struct fuse_open_out`. */
export const OPEN_OUT_SIZE = 16;
/** Size of `struct fuse_init_out` for minor >= 23. */
export const INIT_OUT_SIZE = 64;
/** Size of `struct fuse_write_in` for minor >= 9 (the data follows it). */
export const WRITE_IN_SIZE = 40;
/** Size of `struct fuse_statfs_out`. */
export const STATFS_OUT_SIZE = 80;
/** Size of the fixed part of `struct fuse_dirent`. */
export const DIRENT_HEADER_SIZE = 24;
/** Linux page size assumed for `max_pages`. */
export const PAGE_SIZE = 4096;

/** Linux `O_*` open flags the adapter inspects. */
export const OpenFlag = {
  O_ACCMODE: 0o3,
  O_RDONLY: 0,
  O_WRONLY: 1,
  O_RDWR: 2,
  O_CREAT: 0o100,
  O_EXCL: 0o200,
  O_TRUNC: 0o1000,
  O_APPEND: 0o2000,
} as const;

/** File type bits of `st_mode`. */
export const S_IFMT = 0o170000;
/** Directory type bits of `st_mode`. */
export const S_IFDIR = 0o040000;
/** Regular file type bits of `st_mode`. */
export const S_IFREG = 0o100000;

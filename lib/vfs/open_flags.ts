/**
 * @module
 * Linux `open(2)` flag values (x86_64 and arm64 share them) as the FUSE kernel passes them, and
 * helpers to decode the access mode.
 */

/** Linux O_* flag values. */
export const O = {
  RDONLY: 0,
  WRONLY: 1,
  RDWR: 2,
  ACCMODE: 3,
  CREAT: 0o100,
  EXCL: 0o200,
  NOCTTY: 0o400,
  TRUNC: 0o1000,
  APPEND: 0o2000,
  NONBLOCK: 0o4000,
} as const;

/** The access intents of a set of open flags, following rclone's `vfs/file.go` Open. */
export interface OpenIntent {
  /** The handle must support reading (O_RDONLY, O_RDWR, or O_APPEND, which forces read+write). */
  read: boolean;
  /** The handle must support writing (O_WRONLY, O_RDWR, or O_TRUNC). */
  write: boolean;
  /** O_APPEND was given. */
  append: boolean;
  /** O_TRUNC was given. */
  truncate: boolean;
}

/** Decodes open flags into intents; undefined when the access mode is invalid (3). */
export function openIntent(flags: number): OpenIntent | undefined {
  const acc = flags & O.ACCMODE;
  if (acc === O.ACCMODE) return undefined;
  const append = (flags & O.APPEND) !== 0;
  const truncate = (flags & O.TRUNC) !== 0;
  return {
    read: acc === O.RDONLY || acc === O.RDWR || append,
    write: acc === O.WRONLY || acc === O.RDWR || truncate,
    append,
    truncate,
  };
}

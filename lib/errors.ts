/**
 * @module
 * The typed errors every layer throws. Each carries the Linux errno the kernel needs, so the
 * FUSE adapter maps any error to a reply in one place ({@link errnoOf}) and callers can test a
 * condition with `instanceof` instead of matching message text.
 */

/** Linux errno numbers used by denoclone (x86_64 and arm64 share these values). */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  EIO: 5,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EBUSY: 16,
  EEXIST: 17,
  EXDEV: 18,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  EFBIG: 27,
  ENOSPC: 28,
  ESPIPE: 29,
  EROFS: 30,
  ERANGE: 34,
  ENAMETOOLONG: 36,
  ENOSYS: 38,
  ENOTEMPTY: 39,
  ENODATA: 61,
  ENOTSUP: 95,
  ETIMEDOUT: 110,
  EINTR: 4,
} as const;

/** The numeric type of an {@link Errno} value. */
export type ErrnoValue = (typeof Errno)[keyof typeof Errno];

/** Base class of every denoclone error that maps to an errno. */
export class FsError extends Error {
  /** The errno the kernel gets for this error. */
  readonly errno: number;
  /** Creates an error with a message, an errno and an optional cause. */
  constructor(message: string, errno: number = Errno.EIO, options?: ErrorOptions) {
    super(message, options);
    this.name = this.constructor.name;
    this.errno = errno;
  }
}

/** The object does not exist (ENOENT). */
export class NotFoundError extends FsError {
  /** Creates a not-found error naming the path. */
  constructor(path: string, options?: ErrorOptions) {
    super(`Not found: ${JSON.stringify(path)}`, Errno.ENOENT, options);
  }
}

/** The object already exists (EEXIST). */
export class ExistsError extends FsError {
  /** Creates an already-exists error naming the path. */
  constructor(path: string, options?: ErrorOptions) {
    super(`Already exists: ${JSON.stringify(path)}`, Errno.EEXIST, options);
  }
}

/** A directory that must be empty is not (ENOTEMPTY). */
export class NotEmptyError extends FsError {
  /** Creates a not-empty error naming the directory. */
  constructor(path: string, options?: ErrorOptions) {
    super(`Directory not empty: ${JSON.stringify(path)}`, Errno.ENOTEMPTY, options);
  }
}

/** A file operation was asked of a directory (EISDIR). */
export class IsDirectoryError extends FsError {
  /** Creates an is-a-directory error naming the path. */
  constructor(path: string, options?: ErrorOptions) {
    super(`Is a directory: ${JSON.stringify(path)}`, Errno.EISDIR, options);
  }
}

/** A directory operation was asked of a file, or a path goes through a file (ENOTDIR). */
export class NotDirectoryError extends FsError {
  /** Creates a not-a-directory error naming the path. */
  constructor(path: string, options?: ErrorOptions) {
    super(`Not a directory: ${JSON.stringify(path)}`, Errno.ENOTDIR, options);
  }
}

/** An optional capability is missing (ENOTSUP); callers may fall back (e.g. move → copy+delete). */
export class NotSupportedError extends FsError {
  /** Creates a not-supported error naming the operation. */
  constructor(what: string, options?: ErrorOptions) {
    super(`Not supported: ${what}`, Errno.ENOTSUP, options);
  }
}

/** The file system or volume is read-only (EROFS). */
export class ReadOnlyError extends FsError {
  /** Creates a read-only error naming the path. */
  constructor(path: string, options?: ErrorOptions) {
    super(`Read-only file system: ${JSON.stringify(path)}`, Errno.EROFS, options);
  }
}

/** An argument or request is invalid in the current state (EINVAL by default). */
export class InvalidError extends FsError {
  /** Creates an invalid-argument error; `errno` may be narrowed (e.g. EPERM, ESPIPE). */
  constructor(message: string, errno: number = Errno.EINVAL, options?: ErrorOptions) {
    super(message, errno, options);
  }
}

/** Permission denied by the remote or by local policy (EACCES). */
export class PermissionError extends FsError {
  /** Creates a permission error with a message. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, Errno.EACCES, options);
  }
}

/** A user-facing usage or configuration error: the CLI exits 2 and prints the message. */
export class UsageError extends Error {
  /** The process exit code for this error. */
  readonly exitCode: number;
  /** Creates a usage error; the message must name the bad flag, option or value. */
  constructor(message: string, exitCode = 2, options?: ErrorOptions) {
    super(message, options);
    this.name = "UsageError";
    this.exitCode = exitCode;
  }
}

/**
 * The one place that maps any thrown value to an errno: {@link FsError}s carry theirs, Deno's
 * own errors map by class, and anything else is EIO.
 */
export function errnoOf(err: unknown): number {
  if (err instanceof FsError) return err.errno;
  if (err instanceof Deno.errors.NotFound) return Errno.ENOENT;
  if (err instanceof Deno.errors.AlreadyExists) return Errno.EEXIST;
  if (err instanceof Deno.errors.PermissionDenied) return Errno.EACCES;
  if (err instanceof Deno.errors.NotADirectory) return Errno.ENOTDIR;
  if (err instanceof Deno.errors.IsADirectory) return Errno.EISDIR;
  if (err instanceof Deno.errors.TimedOut) return Errno.ETIMEDOUT;
  if (err instanceof Deno.errors.Interrupted) return Errno.EINTR;
  if (err instanceof Deno.errors.InvalidData) return Errno.EINVAL;
  if (err instanceof Deno.errors.Busy) return Errno.EBUSY;
  if (err instanceof Deno.errors.NotSupported) return Errno.ENOTSUP;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "string") {
    const n = (Errno as Record<string, number>)[code];
    if (n !== undefined) return n;
  }
  return Errno.EIO;
}

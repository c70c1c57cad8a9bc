/**
 * @module
 * Maps errors of Deno's file system calls to the typed errors of `lib/errors.ts`, naming the
 * backend-relative path rather than the absolute one.
 */

import {
  Errno,
  ExistsError,
  FsError,
  InvalidError,
  IsDirectoryError,
  NotDirectoryError,
  NotEmptyError,
  NotFoundError,
  PermissionError,
} from "../../errors.ts";

/** Converts a thrown value from a Deno fs call on `path` into a typed FsError. */
export function fromDenoError(err: unknown, path: string): Error {
  if (err instanceof FsError) return err;
  const options = { cause: err };
  if (err instanceof Deno.errors.NotFound) return new NotFoundError(path, options);
  if (err instanceof Deno.errors.AlreadyExists) return new ExistsError(path, options);
  if (err instanceof Deno.errors.NotADirectory) return new NotDirectoryError(path, options);
  if (err instanceof Deno.errors.IsADirectory) return new IsDirectoryError(path, options);
  if (err instanceof Deno.errors.PermissionDenied) {
    return new PermissionError(`Permission denied: ${JSON.stringify(path)}`, options);
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (code === "ENOTEMPTY") return new NotEmptyError(path, options);
  if (code === "EINVAL") {
    return new InvalidError(`Invalid argument: ${JSON.stringify(path)}`, Errno.EINVAL, options);
  }
  const errno = typeof code === "string" ? (Errno as Record<string, number>)[code] : undefined;
  const msg = err instanceof Error ? err.message : String(err);
  return new FsError(`${msg} (${JSON.stringify(path)})`, errno ?? Errno.EIO, options);
}

/** Runs a Deno fs call and converts its error with {@link fromDenoError}. */
export async function fsCall<T>(path: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw fromDenoError(err, path);
  }
}

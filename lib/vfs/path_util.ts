/**
 * @module
 * Helpers for VFS paths: relative, `/`-separated, no leading or trailing slash, `""` = root
 * (the same shape as backend paths).
 */

import { InvalidError } from "../errors.ts";

/** A `.` or `..` segment anywhere in a path. */
const DOT_SEGMENT = /(^|\/)\.\.?(\/|$)/;

/**
 * Normalises a VFS path: strips leading/trailing slashes, collapses repeated slashes and `.`
 * segments. Throws InvalidError for `..` segments, which would escape the root.
 */
export function cleanPath(path: string): string {
  if (path === "") return path;
  // Already clean (the common case: paths the FUSE adapter built): no split and join.
  if (
    path[0] !== "/" && path[path.length - 1] !== "/" && !path.includes("//") &&
    !DOT_SEGMENT.test(path)
  ) {
    return path;
  }
  const parts: string[] = [];
  for (const seg of path.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") throw new InvalidError(`path escapes the root: ${JSON.stringify(path)}`);
    parts.push(seg);
  }
  return parts.join("/");
}

/** The parent directory of a clean path (`""` for top-level names and for the root). */
export function parentOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

/** The last segment of a clean path (`""` for the root). */
export function baseName(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? path : path.slice(i + 1);
}

/** Joins a clean directory path and a name. */
export function joinPath(dir: string, name: string): string {
  return dir === "" ? name : `${dir}/${name}`;
}

/** True if `path` is `dir` itself or lies below it. */
export function isWithin(path: string, dir: string): boolean {
  return dir === "" || path === dir || path.startsWith(`${dir}/`);
}

/** Re-roots `path` from under `from` to under `to` (path must be within `from`). */
export function rebase(path: string, from: string, to: string): string {
  if (path === from) return to;
  const rest = from === "" ? path : path.slice(from.length + 1);
  return joinPath(to, rest);
}

/**
 * @module
 * Helpers for backend paths: relative, `/`-separated, no leading or trailing slash, `""` for
 * the root. Every backend runs incoming paths through {@link cleanPath} so `a//b/`, `./a` and
 * `/a` all mean `a`, and a `..` segment can never escape the backend's root.
 */

import { InvalidError } from "../errors.ts";

/** Normalises a backend path; throws InvalidError on a `..` segment or a NUL byte. */
export function cleanPath(path: string): string {
  if (path.includes("\0")) throw new InvalidError(`invalid path ${JSON.stringify(path)}: NUL byte`);
  const parts: string[] = [];
  for (const seg of path.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      throw new InvalidError(`invalid path ${JSON.stringify(path)}: ".." is not allowed`);
    }
    parts.push(seg);
  }
  return parts.join("/");
}

/** Joins backend path segments, skipping empty ones (`joinPath("", "a")` = `a`). */
export function joinPath(...segs: string[]): string {
  return segs.filter((s) => s !== "").join("/");
}

/** The parent of a clean path (`""` for a top-level name and for the root). */
export function parentOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

/** The last segment of a clean path (`""` for the root). */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

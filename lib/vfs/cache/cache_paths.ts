/**
 * @module
 * Where the cache keeps things on disk. Like rclone (`vfs/vfscache/cache.go`), file data lives
 * under `<cache-dir>/vfs/<remote>/<path>` and its JSON metadata under
 * `<cache-dir>/vfsMeta/<remote>/<path>`; `<remote>` is the remote's display name made safe as
 * one directory name. Temporary files for atomic writes go to `<cache-dir>/vfsTmp/<remote>`.
 */

import { joinPath as join } from "../../util/os_path.ts";
import { InvalidError } from "../../errors.ts";

/** Longest directory name kept as is; longer names are shortened and suffixed with a hash. */
const MAX_NAME = 200;

/** 64-bit FNV-1a of a string's UTF-8 bytes, as 16 hex digits (stable across runs). */
function fnv1a64(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (const b of new TextEncoder().encode(text)) {
    h ^= BigInt(b);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, "0");
}

/**
 * Turns a remote's display name (`:local:/data`, `mysftp:dir`) into one safe directory name:
 * bytes other than letters, digits, `.`, `_` and `-` become `%XX`; very long names are cut
 * and suffixed with a hash so distinct remotes stay distinct.
 */
export function remoteDirName(name: string): string {
  let out = "";
  for (const b of new TextEncoder().encode(name)) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9._-]/.test(c) ? c : "%" + b.toString(16).toUpperCase().padStart(2, "0");
  }
  if (out === "" || out === "." || out === "..") out = `%${out}`;
  if (out.length > MAX_NAME) out = `${out.slice(0, MAX_NAME - 17)}~${fnv1a64(name)}`;
  return out;
}

/** Checks a backend-style relative file path and returns its segments. */
function segments(path: string): string[] {
  const parts = path.split("/");
  if (path === "" || parts.some((p) => p === "" || p === "." || p === "..")) {
    throw new InvalidError(`invalid cache path ${JSON.stringify(path)}`);
  }
  return parts;
}

/** The on-disk locations of one remote's cache. */
export class CachePaths {
  /** Root of the data files. */
  readonly dataRoot: string;
  /** Root of the metadata files. */
  readonly metaRoot: string;
  /** Directory for temporary files (same file system, renamed into place). */
  readonly tmpDir: string;

  /** Builds the paths for the remote named `remoteName` under `cacheDir`. */
  constructor(cacheDir: string, remoteName: string) {
    const dir = remoteDirName(remoteName);
    this.dataRoot = join(cacheDir, "vfs", dir);
    this.metaRoot = join(cacheDir, "vfsMeta", dir);
    this.tmpDir = join(cacheDir, "vfsTmp", dir);
  }

  /** Data file of a remote path. Throws InvalidError for `""`, `.` or `..` segments. */
  data(path: string): string {
    return join(this.dataRoot, ...segments(path));
  }

  /** Metadata file of a remote path. */
  meta(path: string): string {
    return join(this.metaRoot, ...segments(path));
  }

  /** The remote path of a metadata file below {@link metaRoot}, or undefined if outside. */
  pathOfMeta(file: string): string | undefined {
    const prefix = this.metaRoot + "/";
    if (!file.startsWith(prefix)) return undefined;
    return file.slice(prefix.length);
  }
}

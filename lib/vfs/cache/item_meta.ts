/**
 * @module
 * The JSON metadata kept beside each cached file: size, times, the remote fingerprint the data
 * came from, the byte ranges present in the sparse data file and the dirty flag. The dirty flag
 * is the persisted upload queue: every file still marked dirty when a cache is opened again is
 * uploaded (as is a closed new file that has no metadata yet, only a marked data file: see
 * `LOCAL_MARK` in `cache_item.ts`). Writes are atomic (temporary file, fsync, rename, fsync of
 * the directory), or for a file's first metadata written in place (an empty file left by a
 * crash is recognised as an interrupted first write); the fsyncs can be left out for states a
 * crash may lose, and the clean state after an upload, which a crash may drop entirely, is
 * overwritten in place.
 */

import { dirName as dirname, joinPath as join } from "../../util/os_path.ts";
import type { Entry } from "../../backends/backend.ts";
import { InvalidError } from "../../errors.ts";

/** What identifies one version of a remote file. */
export interface Fingerprint {
  /** Size in bytes. */
  size: number;
  /** Modification time (ms since the epoch). */
  mtimeMs: number;
  /** A hash as `type:hex` when the backend had one. */
  hash?: string;
}

/** The metadata of one cached file, as stored. */
export interface ItemMeta {
  /** Format version, currently 1. */
  version: 1;
  /** Remote path (relative, `/`-separated). */
  path: string;
  /** Size of the file in bytes. */
  size: number;
  /** Modification time (ms since the epoch) to set on the remote. */
  mtimeMs: number;
  /** Last access (ms since the epoch), for eviction by age and LRU. */
  atimeMs: number;
  /** True while the local data has not been uploaded. */
  dirty: boolean;
  /** The remote version the clean data came from, or null if none (new file). */
  fingerprint: Fingerprint | null;
  /**
   * Bytes `[0, sourceSize)` not in `ranges` are fetched from the remote; bytes past it are
   * holes (zeros) of a file that grew or was truncated locally.
   */
  sourceSize: number;
  /** Byte ranges present in the data file (sorted, merged). */
  ranges: [number, number][];
}

/** The fingerprint of a remote entry (first known hash in a fixed order). */
export function fingerprintOf(entry: Entry): Fingerprint {
  const fp: Fingerprint = { size: entry.size, mtimeMs: entry.mtimeMs };
  for (const t of ["md5", "sha1", "sha256", "crc32"] as const) {
    const h = entry.hashes?.[t];
    if (h) {
      fp.hash = `${t}:${h}`;
      break;
    }
  }
  return fp;
}

/**
 * Whether two fingerprints name the same remote version: equal sizes, modification times
 * within `precisionMs` (Infinity = the remote keeps none), and equal hashes when both have one
 * of the same type.
 */
export function sameFingerprint(a: Fingerprint, b: Fingerprint, precisionMs: number): boolean {
  if (a.size !== b.size) return false;
  if (Number.isFinite(precisionMs) && Math.abs(a.mtimeMs - b.mtimeMs) > Math.max(precisionMs, 1)) {
    return false;
  }
  if (a.hash && b.hash && a.hash.split(":")[0] === b.hash.split(":")[0]) return a.hash === b.hash;
  return true;
}

function isRanges(v: unknown): v is [number, number][] {
  return Array.isArray(v) &&
    v.every((r) =>
      Array.isArray(r) && r.length === 2 && Number.isSafeInteger(r[0]) &&
      Number.isSafeInteger(r[1]) && r[0] >= 0 && r[1] >= r[0]
    );
}

function isFingerprint(v: unknown): v is Fingerprint | null {
  if (v === null) return true;
  const f = v as Partial<Fingerprint>;
  return typeof f === "object" && typeof f.size === "number" && typeof f.mtimeMs === "number" &&
    (f.hash === undefined || typeof f.hash === "string");
}

/** Parses and validates stored metadata. Throws InvalidError naming the file if malformed. */
export function parseMeta(text: string, file: string): ItemMeta {
  let v: Partial<ItemMeta>;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new InvalidError(`cache metadata ${file} is not JSON`, undefined, { cause: err });
  }
  if (
    typeof v !== "object" || v === null || v.version !== 1 || typeof v.path !== "string" ||
    !Number.isSafeInteger(v.size) || (v.size ?? -1) < 0 || typeof v.mtimeMs !== "number" ||
    typeof v.atimeMs !== "number" || typeof v.dirty !== "boolean" ||
    !Number.isSafeInteger(v.sourceSize) || (v.sourceSize ?? -1) < 0 ||
    !isFingerprint(v.fingerprint) || !isRanges(v.ranges)
  ) {
    throw new InvalidError(`cache metadata ${file} is malformed`);
  }
  return v as ItemMeta;
}

/**
 * An empty metadata file: a write in place that a crash interrupted, either a file's first
 * metadata or the clean state after an upload (see {@link writeMeta}).
 */
export class IncompleteMetaError extends InvalidError {
  /** Names the empty file. */
  constructor(file: string) {
    super(`cache metadata ${file} is empty (a write in place was interrupted)`);
    this.name = "IncompleteMetaError";
  }
}

/** Reads one metadata file. Throws Deno.errors.NotFound, IncompleteMetaError or InvalidError. */
export async function readMeta(file: string): Promise<ItemMeta> {
  const text = await Deno.readTextFile(file);
  if (text === "") throw new IncompleteMetaError(file);
  return parseMeta(text, file);
}

let tmpCounter = 0;

/** Fsyncs a directory so a rename inside it survives a crash (best effort). */
export async function syncDir(dir: string): Promise<void> {
  try {
    using f = Deno.openSync(dir, { read: true });
    await f.sync();
  } catch {
    // Some file systems refuse fsync on directories; the rename itself is still atomic.
  }
}

/**
 * Creates `dir` (and its parents) when `fn` fails because it is missing, then runs it again.
 * The cache prunes empty directories in the background, so the new directory may vanish again
 * before `fn` runs: a few attempts, with a synchronous mkdir right before each.
 */
async function withDir<T>(dir: string, fn: () => T | Promise<T>): Promise<T> {
  for (let attempt = 0;; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound) || attempt >= 2) throw err;
      Deno.mkdirSync(dir, { recursive: true });
    }
  }
}

/**
 * Writes metadata atomically: to a temporary file in `tmpDir` (same file system), then renamed
 * over `file`, creating directories as needed. With `durable` (the default) the temporary file
 * is fsynced before the rename and the directory after it, so the new metadata survives a
 * crash once this returns; without it the write is still atomic but may be lost in a crash
 * (for states that are safe to lose, like "uploaded": the file is then uploaded again).
 *
 * `fresh` says no metadata of this file is on disk, so there is no old version a crash could
 * destroy: the file is then written in place and fsynced, then its directory (one journal
 * commit instead of two on most file systems). A crash before this returns may leave an empty
 * file, which {@link readMeta} reports as {@link IncompleteMetaError}.
 *
 * `disposable` says the caller may lose this entry entirely in a crash (a clean file just
 * uploaded: the remote has its data): the file is overwritten in place, without fsync, in the
 * blocking pool, so this background write neither blocks the JS thread nor creates and renames
 * a temporary file. A kill between the truncation and the write leaves an empty file, which the
 * next start drops as an interrupted write ({@link IncompleteMetaError}) with its data file.
 */
export async function writeMeta(
  file: string,
  tmpDir: string,
  meta: ItemMeta,
  opts: { durable?: boolean; fresh?: boolean; disposable?: boolean } = {},
): Promise<void> {
  if (opts.disposable) {
    const bytes = new TextEncoder().encode(JSON.stringify(meta));
    await withDir(dirname(file), async () => {
      using f = await Deno.open(file, { write: true, create: true, truncate: true });
      for (let w = 0; w < bytes.length;) w += await f.write(bytes.subarray(w));
    });
    return;
  }
  const durable = opts.durable ?? true;
  if (opts.fresh) {
    await withDir(dirname(file), async () => {
      // Small local writes run synchronously (no thread-pool round trip); fsync does not.
      using f = Deno.openSync(file, { write: true, create: true, truncate: true });
      const bytes = new TextEncoder().encode(JSON.stringify(meta));
      for (let w = 0; w < bytes.length;) w += f.writeSync(bytes.subarray(w));
      if (durable) await f.sync();
    });
    if (durable) await syncDir(dirname(file));
    return;
  }
  const tmp = join(tmpDir, `meta-${Deno.pid}-${++tmpCounter}-${Date.now()}.json`);
  const bytes = new TextEncoder().encode(JSON.stringify(meta));
  try {
    await withDir(tmpDir, async () => {
      using f = Deno.openSync(tmp, { write: true, create: true, truncate: true });
      for (let w = 0; w < bytes.length;) w += f.writeSync(bytes.subarray(w));
      if (durable) await f.sync();
    });
    await withDir(dirname(file), () => Deno.renameSync(tmp, file));
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
  if (durable) await syncDir(dirname(file));
}

/**
 * @module
 * Size and modification time of the regular files of one directory with `statx(2)` relative to
 * an open directory descriptor, through libc (`_libc.ts`): no path walk from `/` per
 * file and no `Deno.FileInfo` object (four `Date`s each) per entry. Listings of local-disk
 * directories run this once per file on the JS thread (the same conditions as the other
 * synchronous metadata calls, see `_meta_calls.ts`); 2,000 files took ~7 ms here against
 * ~11 ms with `Deno.lstatSync`.
 *
 * Only plain answers are taken from here: a regular file with a modification time after 1970.
 * Anything else (a symlink, a directory, a special file, a failed call, a libc without statx)
 * is left to the caller's `Deno.lstatSync` path, which applies the symlink options and maps
 * errors; so both paths always agree.
 */

import { type LocalLibc, localLibc } from "./_libc.ts";
import { type StatxRing, statxRing } from "./_statx_ring.ts";

const O_RDONLY_DIRECTORY_CLOEXEC = 0o200000 | 0o2000000;
const AT_SYMLINK_NOFOLLOW = 0x100;
/** STATX_TYPE | STATX_MODE | STATX_MTIME | STATX_SIZE. */
const STATX_MASK = 0x1 | 0x2 | 0x40 | 0x200;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
/** `struct statx` is 256 bytes, the same on every architecture. */
const STATX_SIZE = 256;
const TWO_32 = 0x1_0000_0000;
/** Longest name encoded (NAME_MAX is 255 bytes; anything longer is the caller's to refuse). */
const NAME_BUF = 1024;

const enc = new TextEncoder();

/** Fewest names for which {@link DirStat.files} considers the io_uring (below: one by one). */
export const RING_MIN = 256;
/** How many names {@link DirStat.files} stats one by one to tell cold inodes from warm ones. */
export const PROBE = 32;
/**
 * Mean µs per statx above which the probed inodes count as cold. Warm ones took 1–3 µs here
 * (10,000 in ~20 ms, encoding included), cold ones 8–12 µs.
 */
export const COLD_US = 5;

/** Results of {@link DirStat.files}, indexed like its names. */
export interface FileStats {
  /** 1 where the name is a plain regular file whose figures were read. */
  readonly ok: Uint8Array;
  /** Sizes in bytes. */
  readonly sizes: Float64Array;
  /** Modification times, ms since the epoch. */
  readonly mtimesMs: Float64Array;
}

/** Empty {@link FileStats} for `n` names. */
export function fileStats(n: number): FileStats {
  return { ok: new Uint8Array(n), sizes: new Float64Array(n), mtimesMs: new Float64Array(n) };
}

/** An open directory whose regular files can be stat'ed cheaply; {@link close} it after use. */
export class DirStat {
  readonly #c: LocalLibc;
  #fd: number;
  readonly #name = new Uint8Array(NAME_BUF);
  /** Where names are encoded: all of {@link #name} but the byte kept for the NUL. */
  readonly #nameRoom = this.#name.subarray(0, NAME_BUF - 1);
  readonly #buf = new Uint8Array(STATX_SIZE);
  readonly #dv = new DataView(this.#buf.buffer);
  /** Size in bytes of the file of the last {@link file} call that returned true. */
  size = 0;
  /** Modification time (ms since the epoch) of the file of the last successful {@link file}. */
  mtimeMs = 0;

  private constructor(c: LocalLibc, fd: number) {
    this.#c = c;
    this.#fd = fd;
  }

  /** Opens `dirAbs`; undefined when that fails or libc has no statx (use `Deno.lstatSync`). */
  static open(dirAbs: string): DirStat | undefined {
    const c = localLibc();
    if (!c) return undefined;
    const path = enc.encode(`${dirAbs}\0`);
    const fd = c.open(path, O_RDONLY_DIRECTORY_CLOEXEC, 0);
    return fd < 0 ? undefined : new DirStat(c, fd);
  }

  /**
   * Stats `name` (not following a symlink): true for a regular file with a modification time
   * after 1970, whose {@link size} and {@link mtimeMs} are then set; false for anything else,
   * including errors, which the caller resolves with `Deno.lstatSync`.
   */
  file(name: string): boolean {
    if (this.#fd < 0) return false;
    const r = enc.encodeInto(name, this.#nameRoom);
    if (r.read < name.length) return false;
    this.#name[r.written] = 0;
    if (this.#c.statx(this.#fd, this.#name, AT_SYMLINK_NOFOLLOW, STATX_MASK, this.#buf) !== 0) {
      return false;
    }
    return this.#take(this.#dv, 0);
  }

  /**
   * {@link file} for `names[i]` of every `i` of `indices` at once: afterwards `ok[i]` is 1 where
   * {@link file} would have returned true, with the figures in `sizes[i]` and `mtimesMs[i]`
   * (arrays as long as `names`; other slots are left alone).
   *
   * `ring` undefined: a batch of at least {@link RING_MIN} names stats its first
   * {@link PROBE} names one by one, and when those took more than {@link COLD_US} µs each (their
   * inodes were not in memory, so the kernel is reading and building them), the rest goes
   * through the process's io_uring (`_statx_ring.ts`), which stats them on all cores; warm
   * inodes stay on the cheaper one-by-one path. `ring` null: always one by one; a ring: always
   * that ring (tests). Whatever the ring leaves undone (it failed) is stat'ed one by one.
   */
  files(
    names: readonly string[],
    indices: readonly number[],
    out: FileStats,
    ring?: StatxRing | null,
  ): void {
    if (this.#fd < 0) return;
    let from = 0;
    if (ring === undefined) {
      ring = null;
      if (indices.length >= RING_MIN) {
        const t0 = performance.now();
        for (; from < PROBE; from++) this.#one(names, indices[from]!, out);
        if ((performance.now() - t0) * 1000 > COLD_US * PROBE) ring = statxRing() ?? null;
      }
    }
    const rest = from === 0 ? indices : indices.slice(from);
    const done = new Uint8Array(ring ? names.length : 0);
    if (ring) {
      const ok = ring.statAll(this.#fd, names, rest, STATX_MASK, (i, res, view, off) => {
        done[i] = 1;
        if (res === 0 && this.#take(view, off)) {
          out.ok[i] = 1;
          out.sizes[i] = this.size;
          out.mtimesMs[i] = this.mtimeMs;
        }
      });
      if (ok) return;
    }
    for (const i of rest) if (!(done.length > 0 && done[i])) this.#one(names, i, out);
  }

  /** {@link file} of `names[i]` into `out`. */
  #one(names: readonly string[], i: number, out: FileStats): void {
    if (this.file(names[i]!)) {
      out.ok[i] = 1;
      out.sizes[i] = this.size;
      out.mtimesMs[i] = this.mtimeMs;
    }
  }

  /**
   * Takes size and mtime from the statx buffer in `dv` at `off` into {@link size} and
   * {@link mtimeMs}: true for a regular file dated after 1970, false otherwise.
   */
  #take(dv: DataView, off: number): boolean {
    if ((dv.getUint32(off, true) & STATX_MASK) !== STATX_MASK) return false;
    if ((dv.getUint16(off + 28, true) & S_IFMT) !== S_IFREG) return false;
    const secHi = dv.getInt32(off + 116, true);
    const secLo = dv.getUint32(off + 112, true);
    if (secHi < 0) return false;
    this.size = dv.getUint32(off + 44, true) * TWO_32 + dv.getUint32(off + 40, true);
    // whole milliseconds, truncated, as Deno.FileInfo's mtime
    this.mtimeMs = (secHi * TWO_32 + secLo) * 1000 +
      Math.floor(dv.getUint32(off + 120, true) / 1e6);
    return true;
  }

  /** Closes the directory descriptor. */
  close(): void {
    if (this.#fd >= 0) this.#c.close(this.#fd);
    this.#fd = -1;
  }
}

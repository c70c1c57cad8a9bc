/**
 * @module
 * One directory's entries, and the size and modification time of its regular files, with
 * `getdents64(2)` and `statx(2)` relative to an open directory descriptor, through libc
 * (`_libc.ts`): no path walk from `/` per file, no `Deno.DirEntry` or `Deno.FileInfo` object
 * (four `Date`s each) per entry. Listings of local-disk directories run this on the JS thread
 * (the same conditions as the other synchronous metadata calls, see `_meta_calls.ts`); 2,000
 * files took ~7 ms here against ~11 ms with `Deno.lstatSync`, and a warm 10,000-file listing
 * ~25 ms against ~35 ms with `Deno.readDirSync` and one statx each.
 *
 * A big directory whose inodes are not in memory (after `drop_caches`, a fresh mount) is the
 * slow case: the kernel builds every inode inside its statx (~8–10 µs each here, 10,000 files:
 * ~85 ms on one core). {@link DirStat.list} times its first few statx calls and, when they were
 * that slow, hands every later file to the io_uring of `_statx_ring.ts` as soon as getdents64
 * returns its name: the kernel's workers stat on every core while this thread reads the next
 * directory blocks, and then stats the files the ring has no room for from the end of the list
 * itself, so it never just waits. Both calls run without yielding to the event loop, so one
 * process never has two batches under way.
 *
 * Only plain answers are taken from here: a regular file with a modification time after 1970.
 * Anything else (a symlink, a directory, a special file, a failed call, a libc without statx)
 * is left to the caller's `Deno.lstatSync` path, which applies the symlink options and maps
 * errors; so both paths always agree. A directory this can't read (getdents64 failing, an entry
 * of unknown type) is left to `Deno.readDirSync`.
 */

import { type LocalLibc, localLibc } from "./_libc.ts";
import { type StatxBatch, type StatxRing, statxRing } from "./_statx_ring.ts";

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

/** Results of {@link DirStat.files} and {@link DirStat.list}, indexed like the names. */
export interface FileStats {
  /** 1 where the name is a plain regular file whose figures were read, else 0. */
  readonly ok: number[];
  /** Sizes in bytes. */
  readonly sizes: number[];
  /** Modification times, ms since the epoch. */
  readonly mtimesMs: number[];
}

/** Empty {@link FileStats} for `n` names. */
export function fileStats(n: number): FileStats {
  return {
    ok: new Array<number>(n).fill(0),
    sizes: new Array<number>(n).fill(0),
    mtimesMs: new Array<number>(n).fill(0),
  };
}

/** `d_type` of a directory entry (linux_dirent64): a directory. */
export const DT_DIR = 4;
/** `d_type`: a regular file. */
export const DT_REG = 8;
/** `d_type`: a symbolic link. */
export const DT_LNK = 10;
const DT_UNKNOWN = 0;

/** The entries of a directory read by {@link DirStat.list}. */
export interface DirListing {
  /** Names, in the order of the directory, without `.` and `..`. */
  readonly names: string[];
  /** `d_type` of each name ({@link DT_REG}, {@link DT_DIR}, {@link DT_LNK} or another type). */
  readonly types: number[];
  /** Size and mtime of the plain regular files (see {@link DirStat.file}). */
  readonly stats: FileStats;
}

/** getdents64(2) buffer: ~1,000 entries of short names per call. */
const DENTS_SIZE = 32 * 1024;
const dents = new Uint8Array(DENTS_SIZE);
const dentsView = new DataView(dents.buffer);
// as Deno.readDirSync: invalid UTF-8 replaced (not skipped), a leading U+FEFF kept
const dec = new TextDecoder("utf-8", { ignoreBOM: true });

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
   * Reads the whole directory with getdents64(2) and stats its regular files on the way: what
   * `Deno.readDirSync` and {@link files} give, in one pass. With `ring` undefined the first
   * {@link PROBE} regular files are stat'ed one by one and, when their inodes were cold (see
   * {@link files}), every later one goes to the io_uring as soon as its name is read, so the
   * kernel stats them on its workers while this thread waits for the next directory blocks.
   * `ring` null: one by one; a ring: that ring for every file (tests).
   *
   * Undefined, for the caller to read the directory with `Deno.readDirSync` instead, when the
   * descriptor is closed, getdents64 fails or is missing, or an entry's type is unknown
   * (`DT_UNKNOWN`: Deno then lstat's it, which this doesn't replicate).
   */
  list(ring?: StatxRing | null): DirListing | undefined {
    if (this.#fd < 0) return undefined;
    const names: string[] = [];
    const types: number[] = [];
    const stats = fileStats(0);
    let probed = ring === undefined ? 0 : PROBE;
    let probeUs = 0;
    let batch: StatxBatch | undefined;
    let failed = false;
    // files for the ring, added from the front (`fed` of them so far)
    const pending: number[] & { fed: number } = Object.assign([], { fed: 0 });
    // stats.ok is 0 (not tried yet), 1 (a plain file) or 2 (tried: the caller's) until the end
    const sink = (i: number, res: number, view: DataView, off: number) => {
      this.#put(stats, i, res === 0 && this.#take(view, off));
    };
    if (ring) batch = ring.batch(this.#fd, STATX_MASK, sink);
    for (;;) {
      const n = Number(this.#c.getdents64(this.#fd, dents, BigInt(DENTS_SIZE)));
      if (n <= 0) {
        failed = n < 0;
        break;
      }
      for (let o = 0; o < n;) {
        const reclen = dentsView.getUint16(o + 16, true);
        const type = dents[o + 18]!;
        const start = o + 19;
        let end = dents.indexOf(0, start);
        if (end < 0 || end > o + reclen) end = o + reclen;
        o += reclen;
        if (dents[start] === 0x2e) {
          const len = end - start;
          if (len === 1 || (len === 2 && dents[start + 1] === 0x2e)) continue;
        }
        if (type === DT_UNKNOWN) failed = true;
        const i = names.length;
        const name = dec.decode(dents.subarray(start, end));
        names.push(name);
        types.push(type);
        stats.ok.push(0);
        stats.sizes.push(0);
        stats.mtimesMs.push(0);
        if (type !== DT_REG || failed) continue;
        if (probed < PROBE) {
          const t0 = performance.now();
          this.#put(stats, i, this.file(name));
          probeUs += (performance.now() - t0) * 1000;
          if (++probed === PROBE && probeUs > COLD_US * PROBE) {
            batch = statxRing()?.batch(this.#fd, STATX_MASK, sink);
          }
        } else if (batch) pending.push(i);
      }
      if (failed) break;
      // the kernel starts on this chunk's files while the next one is read
      if (batch && !(this.#feed(batch, names, pending) && batch.submit())) batch = undefined;
    }
    if (batch && !failed) {
      // This thread takes the files the ring has no room for from the end, so it stats as
      // many as one core can while the workers take them from the front.
      while (pending.fed < pending.length) {
        if (!(this.#feed(batch, names, pending) && batch.submit())) break;
        if (pending.fed < pending.length) {
          const i = pending.pop()!;
          this.#put(stats, i, this.file(names[i]!));
        }
      }
    }
    batch?.finish();
    if (failed) return undefined;
    // warm files, and whatever a failed ring left
    const ok = stats.ok;
    for (let i = 0; i < names.length; i++) {
      if (ok[i] === 0 && types[i] === DT_REG) this.#put(stats, i, this.file(names[i]!));
      if (ok[i] === 2) ok[i] = 0;
    }
    return { names, types, stats };
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
        if (res === 0 && this.#take(view, off)) this.#record(out, i);
      });
      if (ok) return;
    }
    for (const i of rest) if (!(done.length > 0 && done[i])) this.#one(names, i, out);
  }

  /**
   * Adds pending files to `batch` while it has free slots (a ring that failed has none, and its
   * next `submit` says so); false when an add failed. What is left then goes one by one.
   */
  #feed(
    batch: StatxBatch,
    names: readonly string[],
    pending: number[] & { fed: number },
  ): boolean {
    while (pending.fed < pending.length && batch.hasRoom()) {
      const i = pending[pending.fed++]!;
      if (!batch.add(i, names[i]!)) return false;
    }
    return true;
  }

  /** {@link file} of `names[i]` into `out`. */
  #one(names: readonly string[], i: number, out: FileStats): void {
    if (this.file(names[i]!)) this.#record(out, i);
  }

  /** Records in `out[i]` the figures just taken (`ok`), or 2: tried, not a plain file. */
  #put(out: FileStats, i: number, ok: boolean): void {
    if (ok) this.#record(out, i);
    else out.ok[i] = 2;
  }

  /** Records in `out[i]` the figures just taken ({@link size}, {@link mtimeMs}). */
  #record(out: FileStats, i: number): void {
    out.ok[i] = 1;
    out.sizes[i] = this.size;
    out.mtimesMs[i] = this.mtimeMs;
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

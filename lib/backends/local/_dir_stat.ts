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
    const dv = this.#dv;
    if ((dv.getUint32(0, true) & STATX_MASK) !== STATX_MASK) return false;
    if ((dv.getUint16(28, true) & S_IFMT) !== S_IFREG) return false;
    const secHi = dv.getInt32(116, true);
    const secLo = dv.getUint32(112, true);
    if (secHi < 0) return false;
    this.size = dv.getUint32(44, true) * TWO_32 + dv.getUint32(40, true);
    // whole milliseconds, truncated, as Deno.FileInfo's mtime
    this.mtimeMs = (secHi * TWO_32 + secLo) * 1000 + Math.floor(dv.getUint32(120, true) / 1e6);
    return true;
  }

  /** Closes the directory descriptor. */
  close(): void {
    if (this.#fd >= 0) this.#c.close(this.#fd);
    this.#fd = -1;
  }
}

/**
 * @module
 * The libc calls of the local backend, through `Deno.dlopen("libc.so.6")` (loaded once per
 * process, when the first local backend is made, so no request pays for it): `open`/`close`/
 * `getdents64`/`statx` for `DirStat` listings and {@link lstatMode} on the JS thread, and `statfs` on Deno's
 * blocking pool (it may enter a mounted file system, even one this process serves). Without glibc the
 * loader returns null and callers keep Deno's own calls.
 */

import { cstr } from "../../util/c_string.ts";
import { lazyLibc } from "../../util/lazy_libc.ts";
import { lastErrno } from "../../util/libc_errno.ts";

const SYMBOLS = {
  open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  statx: { parameters: ["i32", "buffer", "i32", "u32", "buffer"], result: "i32" },
  getdents64: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  statfs: { parameters: ["buffer", "buffer"], result: "i32", nonblocking: true },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

/** The loaded symbols. */
export type LocalLibc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** The libc symbols, loaded on the first call; null when libc.so.6 or a symbol is missing. */
export const localLibc: () => LocalLibc | null = lazyLibc(SYMBOLS);

/** `struct statfs` is 120 bytes on 64-bit Linux; `f_type` is its first field. */
const STATFS_SIZE = 120;

/**
 * The `f_type` of the file system holding `path` (statfs(2) on the blocking pool), or undefined
 * when the call fails or libc is not available.
 */
export async function fsType(path: string): Promise<number | undefined> {
  const c = localLibc();
  if (!c) return undefined;
  // buffers handed to a call on another thread must not move: explicit ArrayBuffers
  const buf = new Uint8Array(new ArrayBuffer(STATFS_SIZE));
  if ((await c.statfs(cstr(path), buf)) !== 0) return undefined;
  return new DataView(buf.buffer).getUint32(0, true);
}

/** ENOENT, as {@link lstatMode} returns it negated. */
export const ENOENT = 2;
const AT_FDCWD = -100;
const AT_SYMLINK_NOFOLLOW = 0x100;
/** STATX_TYPE | STATX_MODE. */
const STATX_TYPE_MODE = 0x1 | 0x2;
const statxBuf = new Uint8Array(256);
const statxView = new DataView(statxBuf.buffer);
const pathBuf = new Uint8Array(8192);
const encoder = new TextEncoder();

/**
 * `st_mode` of `path` (not following a symlink) with one statx(2) on the JS thread, or a negated
 * errno; undefined when libc is not available or the path is too long to encode here (the
 * caller then uses `Deno.lstatSync`). A missing file costs no exception this way:
 * `Deno.lstatSync` throwing NotFound took ~30–95 µs here, for every new file written.
 * Synchronous: only for the entries `_meta_calls.ts` allows synchronous calls on.
 */
export function lstatMode(path: string): number | undefined {
  const c = localLibc();
  if (!c) return undefined;
  const r = encoder.encodeInto(path, pathBuf.subarray(0, pathBuf.length - 1));
  if (r.read < path.length) return undefined;
  pathBuf[r.written] = 0;
  if (c.statx(AT_FDCWD, pathBuf, AT_SYMLINK_NOFOLLOW, STATX_TYPE_MODE, statxBuf) === 0) {
    return statxView.getUint16(28, true);
  }
  const e = lastErrno(c);
  return e ? -e : undefined;
}

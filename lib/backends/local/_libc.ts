/**
 * @module
 * The libc calls of the local backend, through `Deno.dlopen("libc.so.6")` (loaded once per
 * process, when the first local backend is made, so no request pays for it): `open`/`close`/
 * `statx` for {@link DirStat}-style listings on the JS thread, and `statfs` on Deno's blocking
 * pool (it may enter a mounted file system, even one this process serves). Without glibc the
 * loader returns null and callers keep Deno's own calls.
 */

const SYMBOLS = {
  open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  statx: { parameters: ["i32", "buffer", "i32", "u32", "buffer"], result: "i32" },
  statfs: { parameters: ["buffer", "buffer"], result: "i32", nonblocking: true },
} as const;

/** The loaded symbols. */
export type LocalLibc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

let libc: LocalLibc | null | undefined;

/** The libc symbols, loaded on the first call; null when libc.so.6 or a symbol is missing. */
export function localLibc(): LocalLibc | null {
  if (libc === undefined) {
    try {
      libc = Deno.dlopen("libc.so.6", SYMBOLS).symbols;
    } catch {
      libc = null;
    }
  }
  return libc;
}

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
  const p = new TextEncoder().encode(`${path}\0`);
  const cpath = new Uint8Array(new ArrayBuffer(p.length));
  cpath.set(p);
  const buf = new Uint8Array(new ArrayBuffer(STATFS_SIZE));
  if ((await c.statfs(cpath, buf)) !== 0) return undefined;
  return new DataView(buf.buffer).getUint32(0, true);
}

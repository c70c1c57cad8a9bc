/**
 * @module
 * rmdir(2) through libc on Deno's blocking pool. Unlike `Deno.remove`, nothing looks at the
 * path first (no `lstat`), so a file system mounted on it is never entered: for a mountpoint
 * the kernel answers EBUSY from the parent directory's entry alone, even when the FUSE server
 * behind it hangs. errno stays on the pool thread: the result is only success or failure.
 */
import { cstr } from "../fuse/libc.ts";

const SYMBOLS = {
  rmdir: { parameters: ["buffer"], result: "i32", nonblocking: true },
} as const;

let lib: Deno.DynamicLibrary<typeof SYMBOLS> | undefined;

/**
 * Removes the empty directory `path`; resolves true if it did, false if rmdir(2) failed (missing,
 * not empty, not a directory, a mountpoint, …). The call is under way when this returns.
 */
export async function rmdir(path: string): Promise<boolean> {
  lib ??= Deno.dlopen("libc.so.6", SYMBOLS);
  const c = cstr(path);
  return (await lib.symbols.rmdir(c)) === 0;
}

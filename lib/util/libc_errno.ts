/**
 * @module
 * errno after a libc call made through Deno FFI, for modules that load libc themselves
 * (`lazy_libc.ts`) and declare `__errno_location` among their symbols.
 */

/** Loaded libc symbols that include `__errno_location`. */
export interface ErrnoSymbols {
  /** glibc's address of the calling thread's errno. */
  __errno_location(): Deno.PointerValue;
}

/**
 * errno of the last synchronous libc call on this (the JS) thread, read through `c`; 0 when
 * libc gives no errno address.
 */
export function lastErrno(c: ErrnoSymbols): number {
  const p = c.__errno_location();
  return p ? new Deno.UnsafePointerView(p).getInt32() : 0;
}

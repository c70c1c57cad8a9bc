/**
 * @module
 * C strings for libc calls through Deno FFI.
 */

const enc = new TextEncoder();

/**
 * `s` as a NUL-terminated C string in a buffer of its own whose memory never moves (safe for
 * raw pointers and for FFI calls that run on another thread).
 */
export function cstr(s: string): Uint8Array<ArrayBuffer> {
  const b = enc.encode(s);
  const out = new Uint8Array(new ArrayBuffer(b.length + 1));
  out.set(b);
  return out;
}

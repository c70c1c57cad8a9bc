/**
 * @module
 * Byte-array equality (not constant time: only for public data such as host keys and test
 * content).
 */

/** True when `a` and `b` have the same length and the same bytes. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

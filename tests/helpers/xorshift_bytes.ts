/**
 * @module
 * Deterministic pseudo-random test data (xorshift32), so a failure reproduces byte for byte.
 */

/** `n` deterministic pseudo-random bytes from `seed`. */
export function patternBytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

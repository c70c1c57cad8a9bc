/**
 * @module
 * PKCS#7 padding to a block size, as rclone pads file names before EME: always 1 to `n`
 * bytes, each holding the pad length.
 */

import { InvalidError } from "../../errors.ts";

/** Pads `data` to a multiple of `n` (2 ≤ n < 256) with 1 to n bytes of value = pad length. */
export function pkcs7Pad(n: number, data: Uint8Array): Uint8Array {
  const pad = n - (data.length % n);
  const out = new Uint8Array(data.length + pad);
  out.set(data);
  out.fill(pad, data.length);
  return out;
}

/** Strips PKCS#7 padding; throws {@link InvalidError} when the padding is malformed. */
export function pkcs7Unpad(n: number, data: Uint8Array): Uint8Array {
  if (data.length === 0 || data.length % n !== 0) {
    throw new InvalidError(`bad PKCS#7 padding: length ${data.length} is not a multiple of ${n}`);
  }
  const pad = data[data.length - 1]!;
  if (pad === 0 || pad > n) throw new InvalidError(`bad PKCS#7 padding: pad byte ${pad}`);
  for (let i = data.length - pad; i < data.length; i++) {
    if (data[i] !== pad) throw new InvalidError("bad PKCS#7 padding: pad bytes differ");
  }
  return data.subarray(0, data.length - pad);
}

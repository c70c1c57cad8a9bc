/**
 * @module
 * The 24-byte XSalsa20 nonce of rclone's crypt file format. The file header carries a random
 * nonce; block `i` of the file is sealed with that nonce plus `i`, where the nonce is read as
 * a little-endian 192-bit number (byte 0 is the least significant).
 */

/** Size of a crypt file nonce in bytes. */
export const NONCE_SIZE = 24;

/** Adds 1 to `nonce` in place, carrying from byte `from` upwards (wrapping at the top). */
function carry(nonce: Uint8Array, from: number): void {
  for (let i = from; i < nonce.length; i++) {
    const next = (nonce[i]! + 1) & 0xff;
    nonce[i] = next;
    if (next !== 0) return;
  }
}

/** Adds 1 to a nonce in place (little-endian, carrying through all 24 bytes). */
export function incrementNonce(nonce: Uint8Array): void {
  carry(nonce, 0);
}

/**
 * Returns a copy of `nonce` advanced by `blocks` (a non-negative safe integer): the nonce of
 * block number `blocks` of a file whose header nonce is `nonce`.
 */
export function addToNonce(nonce: Uint8Array, blocks: number): Uint8Array {
  if (!Number.isSafeInteger(blocks) || blocks < 0) {
    throw new RangeError(`Cannot advance nonce: ${blocks} is not a non-negative integer`);
  }
  const out = nonce.slice();
  let rest = blocks;
  let sum = 0;
  for (let i = 0; i < 8; i++) {
    const digit = rest % 256;
    rest = Math.floor(rest / 256);
    sum += out[i]! + digit;
    out[i] = sum & 0xff;
    sum = sum >> 8;
  }
  if (sum !== 0) carry(out, 8);
  return out;
}

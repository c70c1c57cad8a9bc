/**
 * @module
 * EME (ECB-Mix-ECB), the wide-block enciphering mode of Halevi and Rogaway ("A Parallelizable
 * Enciphering Mode", 2003), over AES. rclone's crypt encrypts each file name segment with it,
 * so equal names give equal ciphertexts and names sharing a prefix share nothing.
 *
 * Only the mode lives here: every block cipher call goes to AES of `@noble/ciphers`, through its
 * single-block functions over key schedules expanded once per key (`unsafe.expandKeyLE`,
 * `expandKeyDecLE`; the version is pinned in deno.json): a fresh ECB instance per call spent
 * most of a name's ~50 µs expanding the key again. The doubling in GF(2^128) is little-endian
 * with the reduction constant 0x87, as in the EME-32 draft. Inputs are 1 to 127 AES blocks.
 */

import { unsafe as aes } from "@noble/ciphers/aes.js";
import { InvalidError } from "../../errors.ts";

const AES_BLOCK = 16;
/** Largest input, in bytes, EME accepts (127 blocks). */
export const EME_MAX_BYTES: number = 127 * AES_BLOCK;

/** Doubles a 16-byte GF(2^128) element (little-endian), returning a new array. */
function double(x: Uint8Array): Uint8Array {
  const out = new Uint8Array(AES_BLOCK);
  out[0] = (x[0]! << 1) & 0xff;
  if (x[15]! >= 0x80) out[0] ^= 0x87;
  for (let j = 1; j < AES_BLOCK; j++) {
    out[j] = ((x[j]! << 1) & 0xff) | (x[j - 1]! >> 7);
  }
  return out;
}

/** XORs `b` into `a` (both 16 bytes) at `aOff`. */
function xorInto(a: Uint8Array, aOff: number, b: Uint8Array): void {
  for (let i = 0; i < AES_BLOCK; i++) a[aOff + i]! ^= b[i]!;
}

/** An EME cipher keyed with one AES key and used with a 16-byte tweak. */
export class Eme {
  #encKey: Uint32Array;
  #decKey: Uint32Array;
  #l: Uint8Array;

  /** Creates an EME cipher over AES with a 16, 24 or 32-byte key. */
  constructor(key: Uint8Array) {
    if (![16, 24, 32].includes(key.length)) {
      throw new InvalidError(`AES key must be 16, 24 or 32 bytes, not ${key.length}`);
    }
    this.#encKey = aes.expandKeyLE(key.slice());
    this.#decKey = aes.expandKeyDecLE(key.slice());
    // L = 2 · AES-enc(K, 0), whatever the direction.
    this.#l = double(this.#aes(true, new Uint8Array(AES_BLOCK)));
  }

  /** AES-ECB over whole blocks, into a new array (the input is not modified). */
  #aes(forward: boolean, data: Uint8Array): Uint8Array {
    // A fresh array: the block functions work in place on 4-byte-aligned 16-byte views.
    const out = data.slice();
    const key = forward ? this.#encKey : this.#decKey;
    const run = forward ? aes.encryptBlock : aes.decryptBlock;
    for (let at = 0; at < out.length; at += AES_BLOCK) run(key, out.subarray(at, at + AES_BLOCK));
    return out;
  }

  /** Enciphers `data` (a multiple of 16 bytes, at most 127 blocks) under `tweak`. */
  encrypt(tweak: Uint8Array, data: Uint8Array): Uint8Array {
    return this.#transform(tweak, data, true);
  }

  /** Deciphers `data` (a multiple of 16 bytes, at most 127 blocks) under `tweak`. */
  decrypt(tweak: Uint8Array, data: Uint8Array): Uint8Array {
    return this.#transform(tweak, data, false);
  }

  #transform(tweak: Uint8Array, data: Uint8Array, forward: boolean): Uint8Array {
    if (tweak.length !== AES_BLOCK) {
      throw new InvalidError(`EME tweak must be 16 bytes, not ${tweak.length}`);
    }
    const m = data.length / AES_BLOCK;
    if (!Number.isInteger(m) || m < 1 || m > EME_MAX_BYTES / AES_BLOCK) {
      throw new InvalidError(
        `EME input must be 1 to 127 blocks of 16 bytes, not ${data.length} bytes`,
      );
    }
    const block = (x: Uint8Array) => this.#aes(forward, x);

    // PPj = 2^(j-1)·L xor Pj; PPPj = E(PPj), all blocks in one ECB call.
    const masks: Uint8Array[] = [];
    let l = this.#l;
    const pp = data.slice();
    for (let j = 0; j < m; j++) {
      masks.push(l);
      xorInto(pp, j * AES_BLOCK, l);
      l = double(l);
    }
    const c = block(pp);

    // MP = (xor of PPPj) xor T; MC = E(MP); M = MP xor MC.
    const mp = tweak.slice();
    for (let j = 0; j < m; j++) xorInto(mp, 0, c.subarray(j * AES_BLOCK, (j + 1) * AES_BLOCK));
    const mc = block(mp);
    let mm: Uint8Array = mp.slice();
    xorInto(mm, 0, mc);

    // CCCj = 2^(j-1)·M xor PPPj for j ≥ 2; CCC1 = (xor of CCCj) xor T xor MC.
    const ccc1 = mc.slice();
    xorInto(ccc1, 0, tweak);
    for (let j = 1; j < m; j++) {
      mm = double(mm);
      xorInto(c, j * AES_BLOCK, mm);
      xorInto(ccc1, 0, c.subarray(j * AES_BLOCK, (j + 1) * AES_BLOCK));
    }
    c.set(ccc1, 0);

    // Cj = 2^(j-1)·L xor E(CCCj).
    const out = block(c);
    for (let j = 0; j < m; j++) xorInto(out, j * AES_BLOCK, masks[j]!);
    return out;
  }
}

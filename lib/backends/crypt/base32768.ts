/**
 * @module
 * base32768, the binary-to-text encoding rclone's crypt offers as `filename_encoding =
 * base32768` (the "safe" repertoire of rclone's Go implementation). Each UTF-16 code unit
 * carries 15 bits: its top 11 bits pick one of 1024 blocks of 32 code points, its low 5 bits
 * are data. A final group of 7 bits or fewer uses one of 4 further blocks. Unused low bits are
 * padded with ones.
 */

import { InvalidError } from "../../errors.ts";

/**
 * Starts of the 32-code-point blocks of the repertoire, as inclusive ranges of block starts
 * (step 32). Sorted, the first 4 blocks encode 7-bit groups and the other 1024 15-bit groups.
 */
const BLOCK_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x0180, 0x0180],
  [0x0240, 0x0280],
  [0x04a0, 0x04a0],
  [0x0500, 0x0500],
  [0x0680, 0x06a0],
  [0x0760, 0x0780],
  [0x07c0, 0x07c0],
  [0x1000, 0x1000],
  [0x10a0, 0x10a0],
  [0x1100, 0x1140],
  [0x1180, 0x1180],
  [0x11e0, 0x1220],
  [0x1260, 0x1260],
  [0x12e0, 0x12e0],
  [0x1320, 0x1320],
  [0x13a0, 0x13c0],
  [0x1420, 0x1640],
  [0x16a0, 0x16c0],
  [0x1780, 0x1780],
  [0x1820, 0x1840],
  [0x18c0, 0x18c0],
  [0x1980, 0x1980],
  [0x19e0, 0x19e0],
  [0x1a20, 0x1a20],
  [0x1bc0, 0x1bc0],
  [0x1c00, 0x1c00],
  [0x1d00, 0x1d00],
  [0x21e0, 0x21e0],
  [0x22c0, 0x22c0],
  [0x2340, 0x23c0],
  [0x2400, 0x2400],
  [0x2500, 0x2740],
  [0x2780, 0x27a0],
  [0x2800, 0x2960],
  [0x29a0, 0x29a0],
  [0x2a20, 0x2a40],
  [0x2a80, 0x2aa0],
  [0x2ae0, 0x2b40],
  [0x2c00, 0x2c00],
  [0x2c80, 0x2cc0],
  [0x2d00, 0x2d00],
  [0x2d40, 0x2d40],
  [0x2ea0, 0x2ec0],
  [0x31c0, 0x31c0],
  [0x3400, 0x4d80],
  [0x4dc0, 0x9fa0],
  [0xa000, 0xa460],
  [0xa4a0, 0xa4a0],
  [0xa500, 0xa5e0],
  [0xa640, 0xa640],
  [0xa6a0, 0xa6c0],
  [0xa700, 0xa740],
  [0xa780, 0xa780],
  [0xa840, 0xa840],
];

const blocks: number[] = [];
for (const [from, to] of BLOCK_RANGES) for (let b = from; b <= to; b += 32) blocks.push(b);
if (blocks.length !== 1028) throw new Error("base32768 repertoire must have 1028 blocks");
/** Block starts for 7-bit groups. */
const SHORT_BLOCKS = blocks.slice(0, 4);
/** Block starts for 15-bit groups. */
const LONG_BLOCKS = blocks.slice(4);
/** Code units below this are 7-bit (final) groups. */
const SPLITTER = LONG_BLOCKS[0]!;
/** Block index (code unit >> 5) → value of the block's first code point, or -1. */
const DECODE = new Int32Array(2048).fill(-1);
LONG_BLOCKS.forEach((b, i) => DECODE[b >> 5] = i << 5);
SHORT_BLOCKS.forEach((b, i) => DECODE[b >> 5] = i << 5);

/** Encodes bytes as a base32768 string. */
export function encodeBase32768(src: Uint8Array): string {
  const units: number[] = [];
  let left = 0; // leftover low bits of the previous byte
  let leftN = 0; // how many
  let i = 0;
  while (i < src.length) {
    let chunk = (left << (15 - leftN)) | (src[i]! << (7 - leftN));
    if (leftN < 7 && i + 1 < src.length) {
      const next = src[i + 1]!;
      chunk |= next >> (1 + leftN);
      left = next & ((1 << (1 + leftN)) - 1);
      leftN++;
      i += 2;
    } else {
      chunk |= (1 << (7 - leftN)) - 1;
      left = 0;
      leftN = 0;
      i += 1;
    }
    chunk &= 0x7fff;
    units.push(LONG_BLOCKS[chunk >> 5]! | (chunk & 31));
  }
  if (leftN > 0) {
    const last = ((left << (7 - leftN)) | ((1 << (7 - leftN)) - 1)) & 0x7f;
    units.push(SHORT_BLOCKS[last >> 5]! | (last & 31));
  }
  return String.fromCharCode(...units);
}

/** Decodes a base32768 string; throws {@link InvalidError} on a character outside the set. */
export function decodeBase32768(s: string): Uint8Array {
  const text = s.replace(/[\r\n]/g, "");
  const out: number[] = [];
  let left = 0;
  let leftN = 0;
  for (let k = 0; k < text.length; k++) {
    const unit = text.charCodeAt(k);
    const base = DECODE[unit >> 5]!;
    if (base < 0) {
      throw new InvalidError(`illegal base32768 data at input byte ${k * 2}`);
    }
    const d = base | (unit & 31);
    if (unit < SPLITTER) {
      if (leftN > 0) out.push(((left << (8 - leftN)) | (d >> (leftN - 1))) & 0xff);
      return new Uint8Array(out);
    }
    if (leftN > 0) {
      out.push(((left << (8 - leftN)) | (d >> (7 + leftN))) & 0xff);
      out.push((d >> (leftN - 1)) & 0xff);
      left = d & ((1 << (leftN - 1)) - 1);
      leftN--;
    } else {
      out.push(d >> 7);
      left = d & 0x7f;
      leftN = 7;
    }
  }
  return new Uint8Array(out);
}

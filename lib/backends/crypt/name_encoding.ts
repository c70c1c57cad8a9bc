/**
 * @module
 * The text encodings rclone's crypt writes encrypted names in (`filename_encoding`):
 * `base32` (RFC 4648 "extended hex" alphabet, lower case, no padding; decoding ignores case),
 * `base64` (URL-safe alphabet, no padding) and `base32768`.
 */

import { InvalidError } from "../../errors.ts";
import { decodeBase32768, encodeBase32768 } from "./base32768.ts";

/** A reversible bytes ↔ file-name-safe text encoding. */
export interface NameEncoding {
  /** The option value naming this encoding. */
  readonly name: string;
  /** Encodes bytes to text. */
  encode(src: Uint8Array): string;
  /** Decodes text; throws {@link InvalidError} when it is not valid in this encoding. */
  decode(s: string): Uint8Array;
}

const B32 = "0123456789abcdefghijklmnopqrstuv";
const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** Encodes with a power-of-two alphabet (5 or 6 bits a character), no padding. */
function encodeBits(src: Uint8Array, alphabet: string, bits: number): string {
  let out = "";
  let acc = 0;
  let n = 0;
  const mask = (1 << bits) - 1;
  for (const byte of src) {
    acc = ((acc << 8) | byte) & 0xffff;
    n += 8;
    while (n >= bits) {
      n -= bits;
      out += alphabet[(acc >> n) & mask];
    }
  }
  if (n > 0) out += alphabet[(acc << (bits - n)) & mask];
  return out;
}

/** Decodes unpadded text of a power-of-two alphabet; leftover low bits are ignored. */
function decodeBits(s: string, lookup: Map<string, number>, bits: number, what: string) {
  const groupChars = bits === 5 ? 8 : 4;
  const groupBytes = bits === 5 ? 5 : 3;
  // Lengths of a partial last group that a whole number of bytes can produce.
  const validTail = new Set<number>([0]);
  for (let b = 1; b < groupBytes; b++) validTail.add(Math.ceil((b * 8) / bits));
  if (!validTail.has(s.length % groupChars)) {
    throw new InvalidError(`bad ${what} encoding: length ${s.length} is impossible`);
  }
  const out = new Uint8Array(Math.floor((s.length * bits) / 8));
  let acc = 0;
  let n = 0;
  let j = 0;
  for (let i = 0; i < s.length; i++) {
    const v = lookup.get(s[i]!);
    if (v === undefined) {
      throw new InvalidError(`bad ${what} encoding: illegal character at position ${i}`);
    }
    acc = ((acc << bits) | v) & 0xffff;
    n += bits;
    if (n >= 8) {
      n -= 8;
      out[j++] = (acc >> n) & 0xff;
    }
  }
  return out;
}

const b32Lookup = new Map<string, number>();
for (let i = 0; i < B32.length; i++) {
  b32Lookup.set(B32[i]!, i);
  b32Lookup.set(B32[i]!.toUpperCase(), i);
}
const b64Lookup = new Map<string, number>();
for (let i = 0; i < B64.length; i++) b64Lookup.set(B64[i]!, i);

/** base32 with the extended-hex alphabet, lower case, no padding (rclone's default). */
export const BASE32: NameEncoding = {
  name: "base32",
  encode: (src) => encodeBits(src, B32, 5),
  decode: (s) => {
    if (s.endsWith("=")) throw new InvalidError("bad base32 filename encoding");
    return decodeBits(s, b32Lookup, 5, "base32");
  },
};

/** base64 with the URL-safe alphabet and no padding. */
export const BASE64: NameEncoding = {
  name: "base64",
  encode: (src) => encodeBits(src, B64, 6),
  decode: (s) => decodeBits(s.replace(/[\r\n]/g, ""), b64Lookup, 6, "base64"),
};

/** base32768 (two bytes of name per 15 bits; for remotes that count UTF-16 units). */
export const BASE32768: NameEncoding = {
  name: "base32768",
  encode: encodeBase32768,
  decode: decodeBase32768,
};

/** The encoding an option value names (case-insensitive); throws on an unknown name. */
export function nameEncodingFor(name: string): NameEncoding {
  switch (name.toLowerCase()) {
    case "base32":
      return BASE32;
    case "base64":
      return BASE64;
    case "base32768":
      return BASE32768;
  }
  throw new InvalidError(`unknown file name encoding mode ${JSON.stringify(name)}`);
}

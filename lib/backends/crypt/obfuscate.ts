/**
 * @module
 * rclone crypt's `filename_encryption = obfuscate`: a keyed character rotation, not real
 * encryption. A segment becomes `<sum of code points mod 256>.<rotated text>`; digits rotate
 * within 0-9, ASCII letters within A-Za-z (52 places), Latin-1 supplement within U+00A0-U+00FF,
 * anything from U+0100 up within its 256-code-point page; `!` is written `!!`, and a rotated
 * code point that would not be valid Unicode is kept and quoted with `!`. A segment that is not
 * well-formed UTF-16 (a lone surrogate) is written `!.` followed by the segment unchanged.
 */

import { InvalidError } from "../../errors.ts";

const QUOTE = 0x21; // "!"

/** The rotation key: the sum of the 32 name-key bytes. */
function keySum(nameKey: Uint8Array): number {
  let sum = 0;
  for (const b of nameKey) sum += b;
  return sum;
}

/** True for a code point that is a valid Unicode scalar value. */
function validRune(cp: number): boolean {
  return cp >= 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);
}

/** Obfuscates one path segment with the name key. */
export function obfuscateSegment(plain: string, nameKey: Uint8Array): string {
  if (plain === "") return "";
  if (!plain.isWellFormed()) return "!." + plain;
  let dir = 0;
  for (const ch of plain) dir += ch.codePointAt(0)!;
  dir %= 256;
  let out = `${dir}.`;
  dir += keySum(nameKey);
  for (const ch of plain) {
    const r = ch.codePointAt(0)!;
    if (r === QUOTE) {
      out += "!!";
    } else if (r >= 0x30 && r <= 0x39) {
      const step = (dir % 9) + 1;
      out += String.fromCodePoint(0x30 + ((r - 0x30 + step) % 10));
    } else if ((r >= 0x41 && r <= 0x5a) || (r >= 0x61 && r <= 0x7a)) {
      const step = (dir % 25) + 1;
      let pos = r - 0x41;
      if (pos >= 26) pos -= 6;
      pos = (pos + step) % 52;
      if (pos >= 26) pos += 6;
      out += String.fromCodePoint(0x41 + pos);
    } else if (r >= 0xa0 && r <= 0xff) {
      const step = (dir % 95) + 1;
      out += String.fromCodePoint(0xa0 + ((r - 0xa0 + step) % 96));
    } else if (r >= 0x100) {
      const step = (dir % 127) + 1;
      const base = r - (r % 256);
      const rotated = base + ((r - base + step) % 256);
      out += validRune(rotated) ? String.fromCodePoint(rotated) : "!" + ch;
    } else {
      out += ch;
    }
  }
  return out;
}

/** Reverses {@link obfuscateSegment}; throws {@link InvalidError} on a malformed segment. */
export function deobfuscateSegment(cipher: string, nameKey: Uint8Array): string {
  if (cipher === "") return "";
  const dot = cipher.indexOf(".");
  if (dot < 0) throw new InvalidError("not an encrypted file - no rotation prefix");
  const num = cipher.slice(0, dot);
  if (num === "!") return cipher.slice(dot + 1);
  if (!/^[+-]?[0-9]+$/.test(num)) {
    throw new InvalidError("not an encrypted file - rotation prefix is not a number");
  }
  const dir = Number(num) + keySum(nameKey);
  let out = "";
  let quoted = false;
  for (const ch of cipher.slice(dot + 1)) {
    const r = ch.codePointAt(0)!;
    if (quoted) {
      out += ch;
      quoted = false;
    } else if (r === QUOTE) {
      quoted = true;
    } else if (r >= 0x30 && r <= 0x39) {
      const step = (dir % 9) + 1;
      let n = r - step;
      if (n < 0x30) n += 10;
      out += String.fromCodePoint(n);
    } else if ((r >= 0x41 && r <= 0x5a) || (r >= 0x61 && r <= 0x7a)) {
      const step = (dir % 25) + 1;
      let pos = r - 0x41;
      if (pos >= 26) pos -= 6;
      pos -= step;
      if (pos < 0) pos += 52;
      if (pos >= 26) pos += 6;
      out += String.fromCodePoint(0x41 + pos);
    } else if (r >= 0xa0 && r <= 0xff) {
      const step = (dir % 95) + 1;
      let n = r - step;
      if (n < 0xa0) n += 96;
      out += String.fromCodePoint(n);
    } else if (r >= 0x100) {
      const step = (dir % 127) + 1;
      const base = r - (r % 256);
      let n = r - step;
      if (n < base) n += 256;
      out += validRune(n) ? String.fromCodePoint(n) : "\ufffd";
    } else {
      out += ch;
    }
  }
  return out;
}

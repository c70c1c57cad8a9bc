/**
 * @module
 * rclone's "obscure" encoding of passwords in config files, `-o` options and connection
 * strings: AES-256-CTR with a fixed, public key, a random 16-byte IV in front, all in unpadded
 * URL-safe base64. It hides passwords from casual reading only; it is not encryption.
 */

import { ctr } from "@noble/ciphers/aes.js";

/** The fixed AES-256 key rclone uses (`fs/config/obscure`). */
const OBSCURE_KEY = hexBytes("9c935b48730a554d6bfd7c63c886a92bd390198eb8128afbf4de162b8b95f638");

/** Length of the random IV at the start of an obscured value. */
const IV_BYTES = 16;

/** A value could not be revealed; the message is rclone's and never contains the value. */
export class ObscureError extends Error {
  /** Creates an obscure/reveal error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ObscureError";
  }
}

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Encodes bytes as URL-safe base64 without padding (Go's `base64.RawURLEncoding`). */
export function base64UrlNoPad(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/**
 * Decodes URL-safe base64 without padding as Go's `base64.RawURLEncoding` does: padding, `+`,
 * `/` and whitespace are errors naming the byte offset; unused trailing bits are ignored.
 */
export function decodeBase64UrlNoPad(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) {
    const bad = /[^A-Za-z0-9_-]/.exec(text)!;
    throw new ObscureError(`illegal base64 data at input byte ${bad.index}`);
  }
  if (text.length % 4 === 1) {
    throw new ObscureError(`illegal base64 data at input byte ${text.length - 1}`);
  }
  const std = text.replaceAll("-", "+").replaceAll("_", "/");
  const padded = std + "=".repeat((4 - (std.length % 4)) % 4);
  const bin = atob(padded);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * Obscures `plain` with a given 16-byte IV. Exposed for deterministic tests; use
 * {@link obscure} otherwise.
 */
export function obscureWithIv(plain: string, iv: Uint8Array): string {
  if (iv.length !== IV_BYTES) throw new ObscureError(`IV must be ${IV_BYTES} bytes`);
  const data = new TextEncoder().encode(plain);
  const cipher = ctr(OBSCURE_KEY, iv).encrypt(data);
  const out = new Uint8Array(IV_BYTES + cipher.length);
  out.set(iv, 0);
  out.set(cipher, IV_BYTES);
  return base64UrlNoPad(out);
}

/** Obscures a value as `rclone obscure` does (a fresh random IV every call). */
export function obscure(plain: string): string {
  return obscureWithIv(plain, crypto.getRandomValues(new Uint8Array(IV_BYTES)));
}

/**
 * Reveals an obscured value as `rclone reveal` does. Throws {@link ObscureError} with rclone's
 * messages (`base64 decode failed when revealing password - is it obscured?: …`,
 * `input too short when revealing password - is it obscured?`).
 */
export function reveal(obscured: string): string {
  let bytes: Uint8Array;
  try {
    bytes = decodeBase64UrlNoPad(obscured);
  } catch (err) {
    throw new ObscureError(
      `base64 decode failed when revealing password - is it obscured?: ${(err as Error).message}`,
      { cause: err },
    );
  }
  if (bytes.length < IV_BYTES) {
    throw new ObscureError("input too short when revealing password - is it obscured?");
  }
  const plain = ctr(OBSCURE_KEY, bytes.subarray(0, IV_BYTES)).decrypt(bytes.subarray(IV_BYTES));
  return new TextDecoder().decode(plain);
}

/** Reveals `value` if it is a valid obscured string, else returns undefined. */
export function tryReveal(value: string): string | undefined {
  try {
    return reveal(value);
  } catch {
    return undefined;
  }
}

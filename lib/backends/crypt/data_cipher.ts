/**
 * @module
 * Sealing and opening of the blocks of rclone's crypt file format with NaCl secretbox
 * (XSalsa20-Poly1305 from `@noble/ciphers`), and the file header (magic + nonce).
 */

import { xsalsa20poly1305 } from "@noble/ciphers/salsa.js";
import { FsError } from "../../errors.ts";
import { BLOCK_HEADER_SIZE, FILE_HEADER_SIZE, FILE_MAGIC } from "./data_format.ts";
import { NONCE_SIZE } from "./nonce.ts";

/** An error in encrypted file data (bad header, bad block); EIO. */
export class CryptDataError extends FsError {
  /** Creates the error with rclone's wording. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, undefined, options);
  }
}

/** Builds the 32-byte file header for a nonce. */
export function makeHeader(nonce: Uint8Array): Uint8Array {
  const out = new Uint8Array(FILE_HEADER_SIZE);
  out.set(FILE_MAGIC);
  out.set(nonce, FILE_MAGIC.length);
  return out;
}

/** Checks a file header and returns its nonce; throws {@link CryptDataError}. */
export function parseHeader(header: Uint8Array): Uint8Array {
  if (header.length < FILE_HEADER_SIZE) {
    throw new CryptDataError("file is too short to be encrypted");
  }
  for (let i = 0; i < FILE_MAGIC.length; i++) {
    if (header[i] !== FILE_MAGIC[i]) {
      throw new CryptDataError("not an encrypted file - bad magic string");
    }
  }
  return header.slice(FILE_MAGIC.length, FILE_MAGIC.length + NONCE_SIZE);
}

/** A fresh random nonce from the system's CSPRNG. */
export function randomNonce(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(NONCE_SIZE));
}

/** Seals and opens data blocks with one data key. */
export class DataCipher {
  #key: Uint8Array;

  /** Creates a block cipher over a 32-byte data key. */
  constructor(dataKey: Uint8Array) {
    this.#key = dataKey;
  }

  /** Seals one block (≤ 64 KiB): returns 16-byte tag + ciphertext. */
  seal(nonce: Uint8Array, plain: Uint8Array): Uint8Array {
    return xsalsa20poly1305(this.#key, nonce).encrypt(plain);
  }

  /** Opens one sealed block; returns undefined when it does not authenticate. */
  open(nonce: Uint8Array, sealed: Uint8Array): Uint8Array | undefined {
    if (sealed.length <= BLOCK_HEADER_SIZE) return undefined;
    try {
      return xsalsa20poly1305(this.#key, nonce).decrypt(sealed);
    } catch {
      return undefined;
    }
  }
}

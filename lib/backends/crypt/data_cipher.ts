/**
 * @module
 * Sealing and opening of the blocks of rclone's crypt file format with NaCl secretbox
 * (XSalsa20-Poly1305), and the file header (magic + nonce).
 *
 * The cipher is libsodium's through FFI when the library can be opened ({@link loadSodium}),
 * about ten times faster than the pure-JS `@noble/ciphers` it falls back to otherwise; both
 * produce the same bytes. {@link DataCipher.sealBlocks} and {@link DataCipher.openBlocks} work
 * on batches of consecutive blocks, one array in and one out.
 */

import { xsalsa20poly1305 } from "@noble/ciphers/salsa.js";
import { FsError } from "../../errors.ts";
import {
  BLOCK_DATA_SIZE,
  BLOCK_HEADER_SIZE,
  BLOCK_SIZE,
  FILE_HEADER_SIZE,
  FILE_MAGIC,
} from "./data_format.ts";
import { incrementNonce, NONCE_SIZE } from "./nonce.ts";
import { loadSodium, type Sodium } from "./sodium.ts";

/** The block layout of the format, as libsodium's loops take it. */
const LAYOUT = { data: BLOCK_DATA_SIZE, tag: BLOCK_HEADER_SIZE };

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

/** What {@link DataCipher.openBlocks} returns. */
export interface OpenedBlocks {
  /** The plaintext of every block, in order (zeros for a block that did not authenticate). */
  plain: Uint8Array;
  /** Indexes (within the batch) of the blocks that did not authenticate. */
  bad: number[];
}

/** Options of a {@link DataCipher}. */
export interface DataCipherOptions {
  /**
   * The libsodium to use; default: the process's ({@link loadSodium}), if it can be opened.
   * `null` forces the pure-JS cipher.
   */
  sodium?: Sodium | null;
}

/** Seals and opens data blocks with one data key. */
export class DataCipher {
  #key: Uint8Array;
  #sodium: Sodium | undefined;

  /** Creates a block cipher over a 32-byte data key. */
  constructor(dataKey: Uint8Array, options: DataCipherOptions = {}) {
    this.#key = dataKey.slice();
    this.#sodium = options.sodium === null ? undefined : options.sodium ?? loadSodium();
  }

  /** Whether blocks are sealed and opened by libsodium (else by the pure-JS cipher). */
  get native(): boolean {
    return this.#sodium !== undefined;
  }

  /** Seals one block (≤ 64 KiB) with the pure-JS cipher: returns 16-byte tag + ciphertext. */
  seal(nonce: Uint8Array, plain: Uint8Array): Uint8Array {
    return xsalsa20poly1305(this.#key, nonce).encrypt(plain);
  }

  /** Opens one sealed block with the pure-JS cipher; undefined when it does not authenticate. */
  open(nonce: Uint8Array, sealed: Uint8Array): Uint8Array | undefined {
    if (sealed.length <= BLOCK_HEADER_SIZE) return undefined;
    try {
      return xsalsa20poly1305(this.#key, nonce).decrypt(sealed);
    } catch {
      return undefined;
    }
  }

  /**
   * Seals consecutive blocks: `plain` is cut into 64 KiB blocks (the last may be short, none
   * empty), block `i` sealed with `nonce` + i. Returns `prefix` (e.g. the file header) then
   * the sealed blocks, in one array. `nonce` is not modified.
   */
  sealBlocks(
    nonce: Uint8Array,
    plain: Uint8Array,
    prefix: Uint8Array = new Uint8Array(0),
  ): Uint8Array {
    if (this.#sodium !== undefined) {
      return this.#sodium.sealBlocks(LAYOUT, this.#key, nonce, plain, prefix);
    }
    const count = Math.ceil(plain.length / BLOCK_DATA_SIZE);
    const out = new Uint8Array(prefix.length + plain.length + count * BLOCK_HEADER_SIZE);
    out.set(prefix);
    const n = nonce.slice();
    for (let i = 0; i < count; i++) {
      const block = plain.subarray(i * BLOCK_DATA_SIZE, (i + 1) * BLOCK_DATA_SIZE);
      out.set(this.seal(n, block), prefix.length + i * BLOCK_SIZE);
      incrementNonce(n);
    }
    return out;
  }

  /**
   * Opens consecutive sealed blocks: `sealed` is cut into blocks of 64 KiB + 16 (the last may
   * be short but must hold more than its 16-byte tag), block `i` opened with `nonce` + i.
   * `nonce` is not modified.
   */
  openBlocks(nonce: Uint8Array, sealed: Uint8Array): OpenedBlocks {
    const count = Math.ceil(sealed.length / BLOCK_SIZE);
    const last = sealed.length - (count - 1) * BLOCK_SIZE;
    if (count === 0 || last <= BLOCK_HEADER_SIZE || nonce.length !== NONCE_SIZE) {
      throw new RangeError(`openBlocks: ${sealed.length} bytes do not end with a whole block`);
    }
    const bad: number[] = [];
    if (this.#sodium !== undefined) {
      const { plain, ok } = this.#sodium.openBlocks(LAYOUT, this.#key, nonce, sealed);
      for (let i = 0; i < count; i++) if (ok[i] !== 1) bad.push(i);
      return { plain, bad };
    }
    const plain = new Uint8Array(sealed.length - count * BLOCK_HEADER_SIZE);
    const n = nonce.slice();
    for (let i = 0; i < count; i++) {
      const opened = this.open(n, sealed.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE));
      if (opened !== undefined) plain.set(opened, i * BLOCK_DATA_SIZE);
      else bad.push(i);
      incrementNonce(n);
    }
    return { plain, bad };
  }
}

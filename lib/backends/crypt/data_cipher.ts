/**
 * @module
 * Sealing and opening of the blocks of rclone's crypt file format with NaCl secretbox
 * (XSalsa20-Poly1305), and the file header (magic + nonce).
 *
 * The cipher is libsodium's through FFI when the library can be opened ({@link loadSodium}):
 * {@link DataCipher.sealBlocks} and {@link DataCipher.openBlocks} then run one native call per
 * 64 KiB block on Deno's blocking thread pool, all blocks of a batch at once, off the JS thread
 * that serves FUSE. Without libsodium the same methods run `@noble/ciphers` (pure JS) on the
 * JS thread; both produce the same bytes.
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
import { loadSodium, offHeap, type Sodium } from "./sodium.ts";

/** Inputs shorter than this are copied off the V8 heap before a native call reads them. */
const SMALL_INPUT = 4096;

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
  /** Indexes (within the batch) of all blocks that did not authenticate. */
  bad: number[];
}

/** Options of a {@link DataCipher}. */
export interface DataCipherOptions {
  /** Use libsodium when it can be opened (default true); false forces the pure-JS cipher. */
  native?: boolean;
}

/** Copies `data` off the V8 heap when it is small enough to live on it. */
function forNative(data: Uint8Array): Uint8Array {
  if (data.length >= SMALL_INPUT) return data;
  const out = offHeap(data.length);
  out.set(data);
  return out;
}

/** Seals and opens data blocks with one data key. */
export class DataCipher {
  #key: Uint8Array;
  #sodium: Sodium | undefined;

  /** Creates a block cipher over a 32-byte data key. */
  constructor(dataKey: Uint8Array, options: DataCipherOptions = {}) {
    this.#key = offHeap(dataKey.length);
    this.#key.set(dataKey);
    this.#sodium = options.native === false ? undefined : loadSodium();
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
   * the sealed blocks, in one array. `plain` must not change until the promise settles; `nonce`
   * is not modified.
   */
  async sealBlocks(
    nonce: Uint8Array,
    plain: Uint8Array,
    prefix?: Uint8Array,
  ): Promise<Uint8Array> {
    const count = Math.ceil(plain.length / BLOCK_DATA_SIZE);
    const base = prefix?.length ?? 0;
    const whole = offHeap(base + plain.length + count * BLOCK_HEADER_SIZE);
    if (prefix !== undefined) whole.set(prefix);
    const out = whole.subarray(base);
    const n = nonce.slice();
    const sodium = this.#sodium;
    if (sodium === undefined) {
      for (let i = 0; i < count; i++) {
        const block = plain.subarray(i * BLOCK_DATA_SIZE, (i + 1) * BLOCK_DATA_SIZE);
        out.set(this.seal(n, block), i * BLOCK_SIZE);
        incrementNonce(n);
      }
      return whole;
    }
    const input = forNative(plain);
    const nonces = offHeap(count * NONCE_SIZE);
    const calls: Promise<void>[] = [];
    for (let i = 0; i < count; i++) {
      const bn = nonces.subarray(i * NONCE_SIZE, (i + 1) * NONCE_SIZE);
      bn.set(n);
      incrementNonce(n);
      const block = input.subarray(i * BLOCK_DATA_SIZE, (i + 1) * BLOCK_DATA_SIZE);
      const dest = out.subarray(i * BLOCK_SIZE, i * BLOCK_SIZE + BLOCK_HEADER_SIZE + block.length);
      calls.push(sodium.seal(dest, block, bn, this.#key));
    }
    await Promise.all(calls);
    return whole;
  }

  /**
   * Opens consecutive sealed blocks: `sealed` is cut into blocks of 64 KiB + 16 (the last may
   * be short but must hold more than its 16-byte tag), block `i` opened with `nonce` + i.
   * `sealed` must not change until the promise settles; `nonce` is not modified.
   */
  async openBlocks(nonce: Uint8Array, sealed: Uint8Array): Promise<OpenedBlocks> {
    const count = Math.ceil(sealed.length / BLOCK_SIZE);
    const last = sealed.length - (count - 1) * BLOCK_SIZE;
    if (count === 0 || last <= BLOCK_HEADER_SIZE) {
      throw new RangeError(`openBlocks: ${sealed.length} bytes do not end with a whole block`);
    }
    const plain = offHeap(sealed.length - count * BLOCK_HEADER_SIZE);
    const n = nonce.slice();
    const ok: boolean[] = [];
    const sodium = this.#sodium;
    if (sodium === undefined) {
      for (let i = 0; i < count; i++) {
        const opened = this.open(n, sealed.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE));
        if (opened !== undefined) plain.set(opened, i * BLOCK_DATA_SIZE);
        ok.push(opened !== undefined);
        incrementNonce(n);
      }
    } else {
      const input = forNative(sealed);
      const nonces = offHeap(count * NONCE_SIZE);
      const calls: Promise<boolean>[] = [];
      for (let i = 0; i < count; i++) {
        const bn = nonces.subarray(i * NONCE_SIZE, (i + 1) * NONCE_SIZE);
        bn.set(n);
        incrementNonce(n);
        const block = input.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE);
        const dest = plain.subarray(
          i * BLOCK_DATA_SIZE,
          i * BLOCK_DATA_SIZE + block.length - BLOCK_HEADER_SIZE,
        );
        calls.push(sodium.open(dest, block, bn, this.#key));
      }
      ok.push(...await Promise.all(calls));
    }
    const bad: number[] = [];
    for (let i = 0; i < count; i++) {
      if (ok[i]) continue;
      bad.push(i);
      // A failed open leaves the block unwritten (zeros); make sure of it.
      plain.fill(0, i * BLOCK_DATA_SIZE, (i + 1) * BLOCK_DATA_SIZE);
    }
    return { plain, bad };
  }
}

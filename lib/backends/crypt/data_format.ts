/**
 * @module
 * Sizes and offsets of rclone's crypt file format. An encrypted file is the 8-byte magic
 * `RCLONE\x00\x00`, a 24-byte random nonce, then the data cut into 64 KiB blocks, each sealed
 * with NaCl secretbox (XSalsa20-Poly1305) into a 16-byte tag plus the block's bytes. The last
 * block may be short; an empty file is the header alone.
 */

import { NONCE_SIZE } from "./nonce.ts";

/** The magic bytes every encrypted file starts with. */
export const FILE_MAGIC: Uint8Array = new TextEncoder().encode("RCLONE\x00\x00");
/** Size of the file header: magic plus nonce. */
export const FILE_HEADER_SIZE: number = FILE_MAGIC.length + NONCE_SIZE;
/** Size of the Poly1305 tag in front of every sealed block. */
export const BLOCK_HEADER_SIZE = 16;
/** Plaintext bytes per block. */
export const BLOCK_DATA_SIZE = 64 * 1024;
/** Bytes of a full sealed block. */
export const BLOCK_SIZE: number = BLOCK_HEADER_SIZE + BLOCK_DATA_SIZE;

/** The encrypted size of a plaintext of `size` bytes. */
export function encryptedSize(size: number): number {
  const blocks = Math.floor(size / BLOCK_DATA_SIZE);
  const residue = size % BLOCK_DATA_SIZE;
  let out = FILE_HEADER_SIZE + blocks * BLOCK_SIZE;
  if (residue !== 0) out += BLOCK_HEADER_SIZE + residue;
  return out;
}

/**
 * The plaintext size of an encrypted file of `size` bytes, or `undefined` when no encrypted
 * file can have that size (shorter than the header, or a last block with no data).
 */
export function decryptedSize(size: number): number | undefined {
  const body = size - FILE_HEADER_SIZE;
  if (body < 0) return undefined;
  const blocks = Math.floor(body / BLOCK_SIZE);
  let residue = body % BLOCK_SIZE;
  if (residue !== 0) {
    residue -= BLOCK_HEADER_SIZE;
    if (residue <= 0) return undefined;
  }
  return blocks * BLOCK_DATA_SIZE + residue;
}

/** Where a plaintext range lives in the encrypted file. */
export interface UnderlyingRange {
  /** Index of the first block touched. */
  firstBlock: number;
  /** Byte offset of that block in the encrypted file. */
  offset: number;
  /** Encrypted bytes to read (whole blocks), or undefined for "to the end". */
  length: number | undefined;
  /** Plaintext bytes to drop from the start of the first block. */
  discard: number;
}

/**
 * Maps a plaintext range (`offset`, `length` or undefined for "to the end") to the whole
 * encrypted blocks that hold it.
 */
export function underlyingRange(offset: number, length: number | undefined): UnderlyingRange {
  const firstBlock = Math.floor(offset / BLOCK_DATA_SIZE);
  const discard = offset % BLOCK_DATA_SIZE;
  const start = FILE_HEADER_SIZE + firstBlock * BLOCK_SIZE;
  if (length === undefined) return { firstBlock, offset: start, length: undefined, discard };
  const blocks = Math.max(1, Math.ceil((discard + length) / BLOCK_DATA_SIZE));
  return { firstBlock, offset: start, length: blocks * BLOCK_SIZE, discard };
}

/**
 * @module
 * Streaming decryption of rclone's crypt file format from any block boundary: the caller
 * fetches only the sealed blocks a plaintext range touches, and this opens them one by one,
 * dropping the bytes before the range and stopping at its end.
 */

import { CryptDataError, type DataCipher } from "./data_cipher.ts";
import { BLOCK_HEADER_SIZE, BLOCK_SIZE } from "./data_format.ts";
import { FullReader } from "./_full_reader.ts";
import { addToNonce, incrementNonce } from "./nonce.ts";

/** What {@link decryptStream} needs besides the sealed bytes. */
export interface DecryptStreamOptions {
  /** The data cipher. */
  cipher: DataCipher;
  /** The nonce from the file header. */
  headerNonce: Uint8Array;
  /** Index of the block the sealed stream starts at. */
  firstBlock: number;
  /** Plaintext bytes to drop from the first block. */
  discard: number;
  /** Plaintext bytes to return at most (undefined: to the end). */
  limit?: number;
  /** Pass blocks that fail to authenticate as zeros instead of failing. */
  passBadBlocks?: boolean;
  /** Called when a bad block is passed as zeros. */
  onBadBlock?: (block: number) => void;
}

/**
 * Decrypts sealed blocks (starting at `opts.firstBlock`) to plaintext. `sealed` may be a
 * {@link FullReader} that has already consumed the file header.
 */
export function decryptStream(
  sealed: ReadableStream<Uint8Array> | FullReader,
  opts: DecryptStreamOptions,
): ReadableStream<Uint8Array> {
  const input = sealed instanceof FullReader ? sealed : new FullReader(sealed);
  const nonce = addToNonce(opts.headerNonce, opts.firstBlock);
  const buf = new Uint8Array(BLOCK_SIZE);
  let block = opts.firstBlock;
  let discard = opts.discard;
  let remaining = opts.limit ?? Infinity;
  let ended = false;
  const finish = async (ctrl: ReadableStreamDefaultController<Uint8Array>) => {
    ctrl.close();
    await input.cancel();
  };
  // Reads and opens the next block; undefined at the end of the sealed data.
  const nextBlock = async (): Promise<Uint8Array | undefined> => {
    if (ended) return undefined;
    const got = await input.fill(buf);
    if (got === 0) return undefined;
    if (got < buf.length) ended = true;
    if (got <= BLOCK_HEADER_SIZE) throw new CryptDataError("file has truncated block header");
    let plain = opts.cipher.open(nonce, buf.subarray(0, got));
    if (plain === undefined) {
      if (!opts.passBadBlocks) {
        throw new CryptDataError("failed to authenticate decrypted block - bad password?");
      }
      opts.onBadBlock?.(block);
      plain = new Uint8Array(got - BLOCK_HEADER_SIZE);
    }
    incrementNonce(nonce);
    block++;
    return plain;
  };
  return new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      try {
        // Loop until a chunk is enqueued or the stream is closed: a pull that does neither
        // would leave the pending read waiting forever.
        while (true) {
          if (remaining <= 0) return await finish(ctrl);
          let plain = await nextBlock();
          if (plain === undefined) return await finish(ctrl);
          if (discard > 0) {
            plain = plain.subarray(Math.min(discard, plain.length));
            discard = 0;
          }
          if (plain.length > remaining) plain = plain.subarray(0, remaining);
          remaining -= plain.length;
          if (plain.length > 0) {
            ctrl.enqueue(plain);
            return;
          }
        }
      } catch (err) {
        await input.cancel(err).catch(() => {});
        throw err;
      }
    },
    cancel(reason) {
      return input.cancel(reason);
    },
  }, { highWaterMark: 0 });
}

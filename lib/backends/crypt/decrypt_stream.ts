/**
 * @module
 * Streaming decryption of rclone's crypt file format from any block boundary: the caller
 * fetches only the sealed blocks a plaintext range touches, and this opens them, dropping the
 * bytes before the range and stopping at its end.
 *
 * Blocks are opened in batches (1 block first, for a fast first byte and cheap small reads,
 * then growing to {@link MAX_BATCH_BLOCKS}), each batch going downstream as one chunk, and a
 * {@link BatchPipeline} reads up to {@link PIPELINE_BATCHES} batches ahead, so the sealed
 * data is read while earlier batches are being consumed. A block
 * that fails to authenticate ends the stream with an error after the blocks before it.
 */

import { CryptDataError, type DataCipher } from "./data_cipher.ts";
import { BLOCK_DATA_SIZE, BLOCK_HEADER_SIZE, BLOCK_SIZE } from "./data_format.ts";
import { FullReader } from "./_full_reader.ts";
import { BatchPipeline } from "./_batch_pipeline.ts";
import { addToNonce } from "./nonce.ts";

/** Most sealed blocks opened as one batch (one downstream chunk). */
export const MAX_BATCH_BLOCKS = 8;
/** Batches read ahead of the consumer. */
export const PIPELINE_BATCHES = 3;

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

/** One opened batch: its plaintext, and the error that ends the stream after it. */
interface Batch {
  plain: Uint8Array;
  error?: CryptDataError;
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
  let nextBlock = opts.firstBlock;
  let batchBlocks = 1;
  let ended = false;
  // Opens one batch; a bad block keeps the blocks before it and carries the error.
  const open = (first: number, data: Uint8Array, truncated: boolean): Batch => {
    const truncErr = () => new CryptDataError("file has truncated block header");
    if (data.length === 0) return { plain: data, error: truncErr() };
    const opened = opts.cipher.openBlocks(addToNonce(opts.headerNonce, first), data);
    const plain = opened.plain;
    for (const i of opened.bad) {
      if (!opts.passBadBlocks) {
        return {
          plain: plain.subarray(0, i * BLOCK_DATA_SIZE),
          error: new CryptDataError("failed to authenticate decrypted block - bad password?"),
        };
      }
      opts.onBadBlock?.(first + i);
    }
    return truncated ? { plain, error: truncErr() } : { plain };
  };
  const batches = new BatchPipeline<Batch>(async () => {
    if (ended) return undefined;
    const want = batchBlocks * BLOCK_SIZE;
    const buf = await input.take(want);
    const got = buf.length;
    if (got < want) ended = true;
    if (got === 0) return undefined;
    const first = nextBlock;
    const count = Math.ceil(got / BLOCK_SIZE);
    nextBlock += count;
    batchBlocks = Math.min(MAX_BATCH_BLOCKS, batchBlocks * 2);
    // A last block with no data after its tag is an error once the blocks before it are out.
    const lastLen = got - (count - 1) * BLOCK_SIZE;
    const truncated = lastLen <= BLOCK_HEADER_SIZE;
    const whole = truncated ? got - lastLen : got;
    return open(first, buf.subarray(0, whole), truncated);
  }, PIPELINE_BATCHES);
  let discard = opts.discard;
  let remaining = opts.limit ?? Infinity;
  let failure: CryptDataError | undefined;
  const finish = async (ctrl: ReadableStreamDefaultController<Uint8Array>) => {
    batches.stop();
    ctrl.close();
    await input.cancel();
  };
  return new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      try {
        // Loop until a chunk is enqueued or the stream is closed: a pull that does neither
        // would leave the pending read waiting forever.
        while (true) {
          if (remaining <= 0) return await finish(ctrl);
          if (failure !== undefined) throw failure;
          const batch = await batches.next();
          if (batch === undefined) return await finish(ctrl);
          failure = batch.error;
          let plain = batch.plain;
          if (discard > 0) {
            const drop = Math.min(discard, plain.length);
            plain = plain.subarray(drop);
            discard -= drop;
          }
          if (plain.length > remaining) plain = plain.subarray(0, remaining);
          remaining -= plain.length;
          if (plain.length > 0) {
            ctrl.enqueue(plain);
            return;
          }
        }
      } catch (err) {
        batches.stop();
        await input.cancel(err).catch(() => {});
        throw err;
      }
    },
    cancel(reason) {
      batches.stop();
      return input.cancel(reason);
    },
  }, { highWaterMark: 0 });
}

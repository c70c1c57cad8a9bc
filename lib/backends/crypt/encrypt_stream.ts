/**
 * @module
 * Streaming encryption into rclone's crypt file format: the header, then the input sealed in
 * 64 KiB blocks as it arrives, so a file is never held whole in memory.
 *
 * Blocks are sealed in batches (1 block first, so a small file costs one block, then growing
 * to {@link MAX_BATCH_BLOCKS}), each batch going downstream as one chunk, and a
 * {@link BatchPipeline} reads up to {@link PIPELINE_BATCHES} batches ahead, so the source is
 * read while earlier batches are being written.
 */

import { type DataCipher, makeHeader } from "./data_cipher.ts";
import { BLOCK_DATA_SIZE } from "./data_format.ts";
import { FullReader } from "./_full_reader.ts";
import { BatchPipeline } from "./_batch_pipeline.ts";
import { addToNonce } from "./nonce.ts";

/** Most 64 KiB blocks sealed as one batch (one downstream chunk). */
export const MAX_BATCH_BLOCKS = 8;
/** Batches read ahead of the consumer. */
export const PIPELINE_BATCHES = 3;

/** Encrypts `plain` with `cipher` starting from `nonce`; cancelling cancels the source. */
export function encryptStream(
  plain: ReadableStream<Uint8Array>,
  cipher: DataCipher,
  nonce: Uint8Array,
): ReadableStream<Uint8Array> {
  const input = new FullReader(plain);
  const headerNonce = nonce.slice();
  let nextBlock = 0;
  let batchBlocks = 1;
  let ended = false;
  const batches = new BatchPipeline<Uint8Array>(async () => {
    if (ended) return undefined;
    const want = batchBlocks * BLOCK_DATA_SIZE;
    const buf = await input.take(want);
    const got = buf.length;
    if (got < want) ended = true;
    if (got === 0) return undefined;
    const first = nextBlock;
    nextBlock += Math.ceil(got / BLOCK_DATA_SIZE);
    batchBlocks = Math.min(MAX_BATCH_BLOCKS, batchBlocks * 2);
    // The header goes out in front of the first batch (an empty file is the header alone).
    const prefix = first === 0 ? makeHeader(headerNonce) : undefined;
    return cipher.sealBlocks(addToNonce(headerNonce, first), buf.subarray(0, got), prefix);
  }, PIPELINE_BATCHES);
  let started = false;
  return new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      const sealed = await batches.next();
      if (sealed !== undefined) ctrl.enqueue(sealed);
      else if (started) ctrl.close();
      else ctrl.enqueue(makeHeader(headerNonce));
      started = true;
    },
    cancel(reason) {
      batches.stop();
      return input.cancel(reason);
    },
  }, { highWaterMark: 0 });
}

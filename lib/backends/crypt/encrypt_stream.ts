/**
 * @module
 * Streaming encryption into rclone's crypt file format: the header, then each 64 KiB of input
 * sealed as it arrives, so a file is never held whole in memory.
 */

import { type DataCipher, makeHeader } from "./data_cipher.ts";
import { BLOCK_DATA_SIZE } from "./data_format.ts";
import { FullReader } from "./_full_reader.ts";
import { incrementNonce } from "./nonce.ts";

/** Encrypts `plain` with `cipher` starting from `nonce`; cancelling cancels the source. */
export function encryptStream(
  plain: ReadableStream<Uint8Array>,
  cipher: DataCipher,
  nonce: Uint8Array,
): ReadableStream<Uint8Array> {
  const input = new FullReader(plain);
  const n = nonce.slice();
  const buf = new Uint8Array(BLOCK_DATA_SIZE);
  let headerSent = false;
  let ended = false;
  return new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      if (!headerSent) {
        headerSent = true;
        ctrl.enqueue(makeHeader(n));
        return;
      }
      const got = ended ? 0 : await input.fill(buf);
      if (got === 0) {
        ctrl.close();
        return;
      }
      if (got < buf.length) ended = true;
      ctrl.enqueue(cipher.seal(n, buf.subarray(0, got)));
      incrementNonce(n);
    },
    cancel(reason) {
      return input.cancel(reason);
    },
  }, { highWaterMark: 0 });
}

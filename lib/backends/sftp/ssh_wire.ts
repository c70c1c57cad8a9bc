/**
 * @module
 * SSH wire format (RFC 4251): strings with a uint32 length in front, read and written.
 */

import { Buffer } from "node:buffer";

/** Reads SSH wire format values (RFC 4251) from a buffer; throws on truncation. */
export class WireReader {
  #buf: Buffer;
  #pos = 0;
  /** A reader at the start of `buf`. */
  constructor(buf: Buffer) {
    this.#buf = buf;
  }
  /** Bytes read so far. */
  get pos(): number {
    return this.#pos;
  }
  /** Whether every byte has been read. */
  get done(): boolean {
    return this.#pos === this.#buf.length;
  }
  /** Skips `n` bytes. */
  skip(n: number): void {
    if (this.#pos + n > this.#buf.length) throw new RangeError("truncated certificate");
    this.#pos += n;
  }
  /** The next string (its bytes, a view of the buffer). */
  bytes(): Buffer {
    this.skip(4);
    const len = this.#buf.readUInt32BE(this.#pos - 4);
    this.skip(len);
    return this.#buf.subarray(this.#pos - len, this.#pos);
  }
}

/** `value` as an SSH wire format string (uint32 length, then the bytes). */
export function sshString(value: Uint8Array | string): Buffer {
  const b = typeof value === "string" ? Buffer.from(value, "utf8") : value;
  const out = Buffer.allocUnsafe(4 + b.length);
  out.writeUInt32BE(b.length, 0);
  out.set(b, 4);
  return out;
}

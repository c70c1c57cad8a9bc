/**
 * @module
 * Incoming SSH packets decrypted and authenticated by libsodium (`ssh_sodium.ts`) in place of
 * ssh2's JavaScript deciphers. Under Deno ssh2 has no native binding: its
 * `chacha20-poly1305@openssh.com` decipher creates three node:crypto cipher objects per packet and
 * runs Poly1305 in wasm through a copying wrapper, and its `aes256-gcm@openssh.com` one runs
 * node:crypto's AES-GCM at ~180 MB/s here. Profiled on a crypt-over-sftp read, ssh2's decrypt was
 * ~15% of the JS thread's samples; libsodium does the same work at ~1 GB/s, with the MAC checked
 * over the received bytes where they lie (no copy) and one output buffer per packet.
 *
 * {@link sodiumDecipherFor} builds the equivalent of one of ssh2's own JavaScript deciphers for
 * these two ciphers (keys, IV and sequence number carried over; `sodium_transport.ts` installs it).
 * The replacement keeps ssh2's contract: the public `inSeqno` and `_onPayload` fields ssh2 reads
 * and writes during a rekey, `decrypt(chunk, p, len)` returning what the payload handler returns,
 * and the same checks (packet length bounds, "Invalid MAC"), thrown as {@link SshPacketError}s that
 * ssh2 turns into a connection error. Nothing is handed on before its MAC has been verified.
 */

import { Buffer } from "node:buffer";
import { Errno, FsError } from "../../errors.ts";
import {
  chachaKeys,
  gcmIvIncrement,
  gcmKeyIv,
  MAX_PACKET_SIZE,
  seqnoNonce,
  type SodiumSshFunctions as Symbols,
  sshSodium,
} from "./ssh_sodium.ts";

/**
 * A received SSH packet was refused (bad length or padding, or its MAC did not verify); the
 * messages are ssh2's own. ssh2 reports it as the connection's error and closes it.
 */
export class SshPacketError extends FsError {
  /** Creates the error. */
  constructor(message: string) {
    super(message, Errno.EIO);
  }
}

/** What ssh2's Protocol uses of a decipher (ssh2's own field names). */
export interface Ssh2Decipher {
  /** Sequence number of the next incoming packet; ssh2 reads and resets it. */
  inSeqno: number;
  /** Handler of each decrypted payload; ssh2 replaces it during a rekey. */
  _onPayload: (payload: Buffer) => unknown;
  /** Consumes `data[p..len)`; returns a position when the handler asked to stop there. */
  decrypt(data: Uint8Array, p: number, len: number): number | undefined;
  /** Releases resources. */
  free(): void;
}

/**
 * A libsodium decipher (base of both). The part of a received packet's framing both ciphers share:
 * bytes of a packet that arrives split over several socket chunks are gathered in a staging buffer;
 * a packet that lies whole in one chunk is opened where it lies.
 */
export abstract class SodiumDecipher implements Ssh2Decipher {
  /** Sequence number of the next incoming packet (ssh2's field). */
  inSeqno: number;
  /** Payload handler (ssh2's field; replaced by ssh2 during a rekey). */
  _onPayload: (payload: Buffer) => unknown;
  #stage = new Uint8Array(4 + MAX_PACKET_SIZE + 16);
  #have = 0; // bytes of the current packet in #stage
  #need = 0; // its full size (4 + length + 16) once the length is known, else 0

  constructor(seqno: number, onPayload: (payload: Buffer) => unknown) {
    this.inSeqno = seqno;
    this._onPayload = onPayload;
  }

  /**
   * The packet length field (bytes after it, before the tag) of the 4 bytes at `at`; throws when
   * it is out of bounds.
   */
  protected abstract length(data: Uint8Array, at: number): number;

  /** Verifies and decrypts the packet `pkt` (length field, body, tag) into its plaintext body. */
  protected abstract open(pkt: Uint8Array): Uint8Array;

  /** Consumes `data[p..len)` (ssh2's decipher contract). */
  decrypt(data: Uint8Array, p: number, len: number): number | undefined {
    while (p < len) {
      let pkt: Uint8Array;
      if (this.#have === 0 && len - p >= 4) {
        const need = 4 + this.length(data, p) + 16;
        if (len - p >= need) {
          pkt = data.subarray(p, p + need);
          p += need;
        } else {
          this.#stage.set(data.subarray(p, len));
          this.#have = len - p;
          this.#need = need;
          return undefined;
        }
      } else {
        if (this.#need === 0) {
          const n = Math.min(4 - this.#have, len - p);
          this.#stage.set(data.subarray(p, p + n), this.#have);
          this.#have += n;
          p += n;
          if (this.#have < 4) return undefined;
          this.#need = 4 + this.length(this.#stage, 0) + 16;
        }
        const n = Math.min(this.#need - this.#have, len - p);
        this.#stage.set(data.subarray(p, p + n), this.#have);
        this.#have += n;
        p += n;
        if (this.#have < this.#need) return undefined;
        pkt = this.#stage.subarray(0, this.#need);
        this.#have = 0;
        this.#need = 0;
      }
      const body = this.open(pkt);
      const pad = body[0]!;
      if (pad + 1 > body.length) throw new SshPacketError("Bad padding length");
      const payload = Buffer.from(body.buffer, body.byteOffset + 1, body.length - pad - 1);
      this.inSeqno = (this.inSeqno + 1) >>> 0;
      const ret = this._onPayload(payload);
      if (ret !== undefined) return ret === false ? p : ret as number;
    }
    return undefined;
  }

  /** Nothing to release (ssh2's contract). */
  free(): void {}
}

/** `chacha20-poly1305@openssh.com` (OpenSSH's PROTOCOL.chacha20poly1305). */
export class SodiumChaChaPolyDecipher extends SodiumDecipher {
  #fn: Symbols;
  #keyMain: Uint8Array; // K_2: payload and Poly1305 key
  #keyLen: Uint8Array; // K_1: the length field
  #nonce = new Uint8Array(8); // the sequence number, 64-bit big-endian
  #len = new Uint8Array(4);
  #polyKey = new Uint8Array(32);
  #zeros = new Uint8Array(32);

  /** A decipher with ssh2's 64-byte key (main key then length key) at sequence number `seqno`. */
  constructor(
    fn: Symbols,
    key: Uint8Array,
    seqno: number,
    onPayload: (payload: Buffer) => unknown,
  ) {
    super(seqno, onPayload);
    this.#fn = fn;
    ({ main: this.#keyMain, len: this.#keyLen } = chachaKeys(key));
  }

  #setNonce(): void {
    seqnoNonce(this.#nonce, this.inSeqno);
  }

  /** Decrypts the length field with K_1. */
  protected length(data: Uint8Array, at: number): number {
    this.#setNonce();
    this.#fn.chachaXorIc(this.#len, data.subarray(at, at + 4), 4n, this.#nonce, 0n, this.#keyLen);
    const l = this.#len;
    const len = ((l[0]! << 24) | (l[1]! << 16) | (l[2]! << 8) | l[3]!) >>> 0;
    if (len > MAX_PACKET_SIZE || len < 8 || (len & 7) !== 0) {
      throw new SshPacketError("Bad packet length");
    }
    return len;
  }

  /** Checks the Poly1305 tag over the encrypted length and body, then decrypts the body. */
  protected open(pkt: Uint8Array): Uint8Array {
    const f = this.#fn;
    const end = pkt.length - 16;
    this.#setNonce();
    f.chachaXorIc(this.#polyKey, this.#zeros, 32n, this.#nonce, 0n, this.#keyMain);
    if (f.polyVerify(pkt.subarray(end), pkt.subarray(0, end), BigInt(end), this.#polyKey) !== 0) {
      throw new SshPacketError("Invalid MAC");
    }
    const body = new Uint8Array(end - 4);
    f.chachaXorIc(body, pkt.subarray(4, end), BigInt(end - 4), this.#nonce, 1n, this.#keyMain);
    return body;
  }
}

/** `aes256-gcm@openssh.com` (RFC 5647 as OpenSSH runs it: clear length as AAD). */
export class SodiumAesGcmDecipher extends SodiumDecipher {
  #fn: Symbols;
  #key: Uint8Array;
  #iv: Uint8Array; // 4-byte fixed field, 8-byte big-endian invocation counter

  /** A decipher with a 32-byte key and 12-byte IV at sequence number `seqno`. */
  constructor(
    fn: Symbols,
    key: Uint8Array,
    iv: Uint8Array,
    seqno: number,
    onPayload: (payload: Buffer) => unknown,
  ) {
    super(seqno, onPayload);
    this.#fn = fn;
    ({ key: this.#key, iv: this.#iv } = gcmKeyIv(key, iv));
  }

  /** Reads the clear length field. */
  protected length(data: Uint8Array, at: number): number {
    const len = ((data[at]! << 24) | (data[at + 1]! << 16) | (data[at + 2]! << 8) |
      data[at + 3]!) >>> 0;
    if (len + 20 > MAX_PACKET_SIZE || len < 16 || (len & 15) !== 0) {
      throw new SshPacketError("Bad packet length");
    }
    return len;
  }

  /** Checks the GCM tag (the length as AAD) and decrypts the body; steps the IV's counter. */
  protected open(pkt: Uint8Array): Uint8Array {
    const end = pkt.length - 16;
    const body = new Uint8Array(end - 4);
    const r = this.#fn.gcmOpen(
      body,
      null,
      pkt.subarray(4, end),
      BigInt(end - 4),
      pkt.subarray(end),
      pkt.subarray(0, 4),
      4n,
      this.#iv,
      this.#key,
    );
    if (r !== 0) throw new SshPacketError("Invalid MAC");
    gcmIvIncrement(this.#iv);
    return body;
  }
}

/**
 * The libsodium equivalent of one of ssh2's JavaScript deciphers, recognised by its class and
 * fields (ssh2 1.17.0's `ChaChaPolyDecipherNative` and `AESGCMDecipherNative`), or undefined to
 * keep `d` as it is.
 */
export function sodiumDecipherFor(d: unknown): Ssh2Decipher | undefined {
  const l = sshSodium();
  if (!l || typeof d !== "object" || d === null) return undefined;
  const o = d as Record<string, unknown>;
  const seqno = o.inSeqno;
  const onPayload = o._onPayload;
  if (typeof seqno !== "number" || typeof onPayload !== "function") return undefined;
  const isBytes = (v: unknown, n: number): v is Uint8Array =>
    v instanceof Uint8Array && v.length === n;
  const name = (d as { constructor?: { name?: string } }).constructor?.name;
  if (name === "ChaChaPolyDecipherNative") {
    const main = o._decKeyMain;
    const len = o._decKeyPktLen;
    if (!isBytes(main, 32) || !isBytes(len, 32)) return undefined;
    const key = new Uint8Array(64);
    key.set(main);
    key.set(len, 32);
    return new SodiumChaChaPolyDecipher(
      l.fn,
      key,
      seqno,
      onPayload as (p: Buffer) => unknown,
    );
  }
  if (name === "AESGCMDecipherNative" && l.gcm && o._decipherSSLName === "aes-256-gcm") {
    const key = o._decipherKey;
    const iv = o._decipherIV;
    if (!isBytes(key, 32) || !isBytes(iv, 12)) return undefined;
    return new SodiumAesGcmDecipher(l.fn, key, iv, seqno, onPayload as (p: Buffer) => unknown);
  }
  return undefined;
}

/**
 * @module
 * Outgoing SSH packets encrypted and authenticated by libsodium (`ssh_sodium.ts`) in place of
 * ssh2's JavaScript ciphers, which under Deno create two or three node:crypto cipher objects per
 * packet and run Poly1305 in wasm (`chacha20-poly1305@openssh.com`) or run node:crypto's
 * AES-GCM at ~180 MB/s (`aes256-gcm@openssh.com`), and hand each packet to the socket as three
 * or four separate writes. Here each packet is sealed into one new buffer (length field, body,
 * tag) handed on with one write.
 *
 * {@link sodiumCipherFor} builds the equivalent of one of ssh2's own JavaScript ciphers for these
 * two ciphers (keys, IV and sequence number carried over; `sodium_transport.ts` installs it),
 * keeping ssh2's contract: the public `outSeqno` field ssh2 reads and resets during a key
 * exchange, `allocPacket(payloadLen)` laying out length, padding length and random padding as
 * ssh2 does (payload at offset 5), `encrypt(packet)` and `free()` (nothing is sent after it).
 */

import { Buffer } from "node:buffer";
import {
  chachaKeys,
  gcmIvIncrement,
  gcmKeyIv,
  seqnoNonce,
  type SodiumSshFunctions as Symbols,
  sshSodium,
} from "./ssh_sodium.ts";

/** What ssh2's Protocol uses of a cipher (ssh2's own field names). */
export interface Ssh2Cipher {
  /** Sequence number of the next outgoing packet; ssh2 reads and resets it. */
  outSeqno: number;
  /** A packet buffer with room for `payloadLen` bytes at offset 5, length and padding set. */
  allocPacket(payloadLen: number): Buffer;
  /** Encrypts a packet from {@link allocPacket} (payload filled in) and sends it. */
  encrypt(packet: Uint8Array): void;
  /** Stops sending (ssh2 calls it when the cipher is replaced or the connection ends). */
  free(): void;
}

/** A libsodium cipher (base of both): packet layout and the send path. */
export abstract class SodiumCipher implements Ssh2Cipher {
  /** Sequence number of the next outgoing packet (ssh2's field). */
  outSeqno: number;
  #onWrite: (data: Uint8Array) => void;
  #block: number;
  #dead = false;

  constructor(seqno: number, onWrite: (data: Uint8Array) => void, block: number) {
    this.outSeqno = seqno;
    this.#onWrite = onWrite;
    this.#block = block;
  }

  /** ssh2's layout: 4-byte length, padding length, payload, 4+ random padding bytes. */
  allocPacket(payloadLen: number): Buffer {
    // Padding length, payload and padding fill whole blocks (the length field is not counted).
    let pktLen = 4 + 1 + payloadLen;
    let padLen = this.#block - ((pktLen - 4) & (this.#block - 1));
    if (padLen < 4) padLen += this.#block;
    pktLen += padLen;
    const packet = Buffer.allocUnsafe(pktLen);
    const body = pktLen - 4;
    packet[0] = body >>> 24;
    packet[1] = body >>> 16;
    packet[2] = body >>> 8;
    packet[3] = body;
    packet[4] = padLen;
    crypto.getRandomValues(packet.subarray(5 + payloadLen, pktLen));
    return packet;
  }

  /** Seals `packet` into a new buffer (length field, body, 16-byte tag) and sends it. */
  encrypt(packet: Uint8Array): void {
    if (this.#dead) return;
    const out = Buffer.allocUnsafe(packet.length + 16);
    this.seal(packet, out);
    this.outSeqno = (this.outSeqno + 1) >>> 0;
    this.#onWrite(out);
  }

  /** Writes the sealed form of `packet` into `out` (same length plus the tag). */
  protected abstract seal(packet: Uint8Array, out: Uint8Array): void;

  /** Nothing is sent after this. */
  free(): void {
    this.#dead = true;
  }
}

/** `chacha20-poly1305@openssh.com` (OpenSSH's PROTOCOL.chacha20poly1305). */
export class SodiumChaChaPolyCipher extends SodiumCipher {
  #fn: Symbols;
  #keyMain: Uint8Array; // K_2: payload and Poly1305 key
  #keyLen: Uint8Array; // K_1: the length field
  #nonce = new Uint8Array(8);
  #polyKey = new Uint8Array(32);
  #zeros = new Uint8Array(32);

  /** A cipher with ssh2's 64-byte key (main key then length key) at sequence number `seqno`. */
  constructor(
    fn: Symbols,
    key: Uint8Array,
    seqno: number,
    onWrite: (data: Uint8Array) => void,
  ) {
    super(seqno, onWrite, 8);
    this.#fn = fn;
    ({ main: this.#keyMain, len: this.#keyLen } = chachaKeys(key));
  }

  /** Length field with K_1, body with K_2 from block 1, Poly1305 over both with block 0's key. */
  protected seal(packet: Uint8Array, out: Uint8Array): void {
    const f = this.#fn;
    const n = packet.length;
    seqnoNonce(this.#nonce, this.outSeqno);
    f.chachaXorIc(out, packet.subarray(0, 4), 4n, this.#nonce, 0n, this.#keyLen);
    f.chachaXorIc(
      out.subarray(4, n),
      packet.subarray(4),
      BigInt(n - 4),
      this.#nonce,
      1n,
      this.#keyMain,
    );
    f.chachaXorIc(this.#polyKey, this.#zeros, 32n, this.#nonce, 0n, this.#keyMain);
    f.poly(out.subarray(n), out.subarray(0, n), BigInt(n), this.#polyKey);
  }
}

/** `aes256-gcm@openssh.com` (RFC 5647 as OpenSSH runs it: clear length as AAD). */
export class SodiumAesGcmCipher extends SodiumCipher {
  #fn: Symbols;
  #key: Uint8Array;
  #iv: Uint8Array;

  /** A cipher with a 32-byte key and 12-byte IV at sequence number `seqno`. */
  constructor(
    fn: Symbols,
    key: Uint8Array,
    iv: Uint8Array,
    seqno: number,
    onWrite: (data: Uint8Array) => void,
  ) {
    super(seqno, onWrite, 16);
    this.#fn = fn;
    ({ key: this.#key, iv: this.#iv } = gcmKeyIv(key, iv));
  }

  /** Clear length field, then the body sealed with it as AAD; steps the IV's counter. */
  protected seal(packet: Uint8Array, out: Uint8Array): void {
    const n = packet.length;
    out.set(packet.subarray(0, 4));
    this.#fn.gcmSeal(
      out.subarray(4, n),
      out.subarray(n),
      null,
      packet.subarray(4),
      BigInt(n - 4),
      packet.subarray(0, 4),
      4n,
      null,
      this.#iv,
      this.#key,
    );
    gcmIvIncrement(this.#iv);
  }
}

/**
 * The libsodium equivalent of one of ssh2's JavaScript ciphers, recognised by its class and
 * fields (ssh2 1.17.0's `ChaChaPolyCipherNative` and `AESGCMCipherNative`), or undefined to keep
 * `c` as it is (also when `c` was already freed).
 */
export function sodiumCipherFor(c: unknown): Ssh2Cipher | undefined {
  const l = sshSodium();
  if (!l || typeof c !== "object" || c === null) return undefined;
  const o = c as Record<string, unknown>;
  const seqno = o.outSeqno;
  const onWrite = o._onWrite;
  if (typeof seqno !== "number" || typeof onWrite !== "function" || o._dead !== false) {
    return undefined;
  }
  const isBytes = (v: unknown, n: number): v is Uint8Array =>
    v instanceof Uint8Array && v.length === n;
  const write = onWrite as (data: Uint8Array) => void;
  const name = (c as { constructor?: { name?: string } }).constructor?.name;
  if (name === "ChaChaPolyCipherNative") {
    const main = o._encKeyMain;
    const len = o._encKeyPktLen;
    if (!isBytes(main, 32) || !isBytes(len, 32)) return undefined;
    const key = new Uint8Array(64);
    key.set(main);
    key.set(len, 32);
    return new SodiumChaChaPolyCipher(l.fn, key, seqno, write);
  }
  if (name === "AESGCMCipherNative" && l.gcm && o._encSSLName === "aes-256-gcm") {
    const key = o._encKey;
    const iv = o._encIV;
    if (!isBytes(key, 32) || !isBytes(iv, 12)) return undefined;
    return new SodiumAesGcmCipher(l.fn, key, iv, seqno, write);
  }
  return undefined;
}

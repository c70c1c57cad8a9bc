/**
 * @module
 * Helpers shared by the libsodium cipher and decipher unit tests: ssh2's own JavaScript packet
 * ciphers (`ssh2/lib/protocol/crypto.js`, forced to its non-binding code paths) as the
 * reference, fresh keys, test payloads and a socket-like feeder that splits a byte stream.
 */

import { Buffer } from "node:buffer";
import { randomBytes } from "node:crypto";
import ssh2Crypto from "ssh2/lib/protocol/crypto.js";
import type { Ssh2Cipher } from "./sodium_cipher.ts";
import type { Ssh2Decipher } from "./sodium_decipher.ts";
import { sodiumSshSupport } from "./ssh_sodium.ts";

const sc = ssh2Crypto as unknown as {
  CIPHER_INFO: Record<string, unknown>;
  init: Promise<void>;
  createCipher(c: unknown): Ssh2Cipher;
  createDecipher(c: unknown): Ssh2Decipher;
};
await sc.init;

const support = sodiumSshSupport();
/** The ciphers libsodium serves on this machine. */
export const SODIUM_CIPHERS: string[] = [
  "chacha20-poly1305@openssh.com",
  "aes256-gcm@openssh.com",
].filter((c) => c.startsWith("chacha") ? support.chacha : support.aes256gcm);

/** Key material of one direction. */
export interface Keys {
  /** The cipher key (64 bytes for chacha20-poly1305, 32 for aes256-gcm). */
  key: Buffer;
  /** The IV (aes-gcm only). */
  iv: Buffer | undefined;
}

/** Fresh random keys for `cipher`; `ivTail` sets the IV's last bytes (counter carries). */
export function keysFor(cipher: string, ivTail?: number[]): Keys {
  const info = sc.CIPHER_INFO[cipher] as { keyLen: number; ivLen: number };
  const iv = info.ivLen ? randomBytes(info.ivLen) : undefined;
  if (iv && ivTail) iv.set(ivTail, iv.length - ivTail.length);
  return { key: randomBytes(info.keyLen), iv };
}

/** ssh2's own JavaScript cipher for `cipher` (copies of the keys). */
export function ssh2Cipher(
  cipher: string,
  k: Keys,
  seqno: number,
  onWrite: (b: Uint8Array) => void,
): Ssh2Cipher {
  return sc.createCipher({
    outbound: {
      onWrite,
      cipherInfo: sc.CIPHER_INFO[cipher],
      cipherKey: Buffer.from(k.key),
      cipherIV: k.iv ? Buffer.from(k.iv) : undefined,
      seqno,
      forceNative: true,
    },
  });
}

/** ssh2's own JavaScript decipher for `cipher` (copies of the keys). */
export function ssh2Decipher(
  cipher: string,
  k: Keys,
  seqno: number,
  onPayload: (p: Buffer) => unknown,
): Ssh2Decipher {
  return sc.createDecipher({
    inbound: {
      onPayload,
      decipherInfo: sc.CIPHER_INFO[cipher],
      decipherKey: Buffer.from(k.key),
      decipherIV: k.iv ? Buffer.from(k.iv) : undefined,
      seqno,
      forceNative: true,
    },
  });
}

/** Sends `payloads` through cipher `c`, returning everything it wrote as one stream. */
export function sendAll(c: Ssh2Cipher, payloads: Uint8Array[], out: Uint8Array[]): Uint8Array {
  for (const p of payloads) {
    const pkt = c.allocPacket(p.length);
    pkt.set(p, 5);
    c.encrypt(pkt);
  }
  return Buffer.concat(out);
}

/** Feeds `stream` to `d` in chunks of the given sizes (cycled), as a socket would. */
export function feed(d: Ssh2Decipher, stream: Uint8Array, sizes: number[]): void {
  let i = 0;
  for (let at = 0; at < stream.length; i++) {
    const n = Math.min(sizes[i % sizes.length]!, stream.length - at);
    // A fresh chunk each time, with bytes before and after the part handed over.
    const chunk = new Uint8Array(n + 7);
    chunk.set(stream.subarray(at, at + n), 3);
    let p = 3;
    while (p < 3 + n) {
      const r = d.decrypt(chunk, p, 3 + n);
      p = r === undefined ? 3 + n : r;
    }
    at += n;
  }
}

/** `count` random payloads of sizes from empty to just under ssh2's packet limit. */
export function payloads(count: number): Uint8Array[] {
  const sizes = [0, 1, 15, 16, 17, 100, 1000, 32768, 4, 31000];
  return Array.from(
    { length: count },
    (_, i) => Uint8Array.from(randomBytes(sizes[i % sizes.length]!)),
  );
}

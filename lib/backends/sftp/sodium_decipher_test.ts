import {
  deepStrictEqual as assertEquals,
  ok as assert,
  strictEqual,
  throws,
} from "node:assert/strict";
import { Buffer } from "node:buffer";
import { randomBytes } from "node:crypto";
// ssh2's own packet ciphers produce the reference byte streams (its JavaScript code paths).
import ssh2Crypto from "ssh2/lib/protocol/crypto.js";
import {
  installSodiumDecipher,
  sodiumDecipherFor,
  sodiumSshSupport,
  type Ssh2Decipher,
  usesSodiumDecipher,
} from "./sodium_decipher.ts";

type Ssh2Crypto = {
  CIPHER_INFO: Record<string, unknown>;
  init: Promise<void>;
  createCipher(c: unknown): { allocPacket(n: number): Buffer; encrypt(p: Buffer): void };
  createDecipher(c: unknown): Ssh2Decipher;
};
const sc = ssh2Crypto as unknown as Ssh2Crypto;
await sc.init;

const support = sodiumSshSupport();
const CIPHERS = ["chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com"].filter((c) =>
  c.startsWith("chacha") ? support.chacha : support.aes256gcm
);

interface Keys {
  key: Buffer;
  iv: Buffer | undefined;
}

function keysFor(cipher: string, ivTail?: number[]): Keys {
  const info = sc.CIPHER_INFO[cipher] as { keyLen: number; ivLen: number };
  const iv = info.ivLen ? randomBytes(info.ivLen) : undefined;
  if (iv && ivTail) iv.set(ivTail, iv.length - ivTail.length);
  return { key: randomBytes(info.keyLen), iv };
}

/** The byte stream ssh2 sends for `payloads`, starting at sequence number `seqno`. */
function seal(cipher: string, k: Keys, seqno: number, payloads: Uint8Array[]): Uint8Array {
  const out: Uint8Array[] = [];
  const c = sc.createCipher({
    outbound: {
      onWrite: (b: Uint8Array) => out.push(Uint8Array.from(b)),
      cipherInfo: sc.CIPHER_INFO[cipher],
      cipherKey: Buffer.from(k.key),
      cipherIV: k.iv ? Buffer.from(k.iv) : undefined,
      seqno,
      forceNative: true,
    },
  });
  for (const p of payloads) {
    const pkt = c.allocPacket(p.length);
    pkt.set(p, 5);
    c.encrypt(pkt);
  }
  return Buffer.concat(out);
}

/** ssh2's own decipher for the stream, and our replacement of it. */
function deciphers(
  cipher: string,
  k: Keys,
  seqno: number,
  onPayload: (p: Buffer) => unknown,
): { theirs: Ssh2Decipher; ours: Ssh2Decipher } {
  const theirs = sc.createDecipher({
    inbound: {
      onPayload,
      decipherInfo: sc.CIPHER_INFO[cipher],
      decipherKey: Buffer.from(k.key),
      decipherIV: k.iv ? Buffer.from(k.iv) : undefined,
      seqno,
      forceNative: true,
    },
  });
  const ours = sodiumDecipherFor(theirs);
  assert(ours, `no libsodium decipher for ${cipher}`);
  return { theirs, ours };
}

/** Feeds `stream` to `d` in chunks of the given sizes (cycled), as a socket would. */
function feed(d: Ssh2Decipher, stream: Uint8Array, sizes: number[]): void {
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

function payloads(count: number): Uint8Array[] {
  const sizes = [0, 1, 15, 16, 17, 100, 1000, 32768, 4, 31000];
  return Array.from(
    { length: count },
    (_, i) => Uint8Array.from(randomBytes(sizes[i % sizes.length]!)),
  );
}

for (const cipher of CIPHERS) {
  Deno.test(`sodium decipher ${cipher}: same payloads as ssh2's, however the stream is split`, () => {
    const want = payloads(40);
    for (const sizes of [[1], [3, 7, 5], [4096], [65536], [70000, 1, 33000], [1 << 22]]) {
      for (const seqno of [0, 7, 0xfffffffe]) {
        const k = keysFor(cipher, seqno === 7 ? [0xff, 0xff, 0xff, 0xfe] : undefined);
        const stream = seal(cipher, k, seqno, want);
        const got: Uint8Array[] = [];
        const ref: Uint8Array[] = [];
        const { theirs } = deciphers(cipher, k, seqno, (p) => void ref.push(Uint8Array.from(p)));
        const { ours } = deciphers(cipher, k, seqno, (p) => void got.push(Uint8Array.from(p)));
        feed(theirs, stream, sizes);
        feed(ours, stream, sizes);
        assertEquals(ref, want);
        assertEquals(got, want);
        strictEqual(ours.inSeqno, (seqno + want.length) >>> 0);
        strictEqual(ours.inSeqno, theirs.inSeqno);
      }
    }
  });

  Deno.test(`sodium decipher ${cipher}: a handler that stops the parse gets the position after its packet`, () => {
    const k = keysFor(cipher);
    const want = payloads(3);
    const stream = seal(cipher, k, 0, want);
    let n = 0;
    const { ours } = deciphers(cipher, k, 0, () => ++n === 1 ? false : undefined);
    const stop = ours.decrypt(stream, 0, stream.length);
    assert(typeof stop === "number" && stop > 0 && stop < stream.length);
    strictEqual(n, 1);
    // ssh2 swaps the handler during a rekey; the next packets go to the new one.
    const rest: Uint8Array[] = [];
    ours._onPayload = (p) => void rest.push(Uint8Array.from(p));
    strictEqual(ours.decrypt(stream, stop, stream.length), undefined);
    assertEquals(rest, want.slice(1));
  });

  Deno.test(`sodium decipher ${cipher}: a changed byte anywhere is refused before any payload`, () => {
    const k = keysFor(cipher);
    const stream = seal(cipher, k, 0, [randomBytes(200)]);
    for (const at of [5, 100, stream.length - 20, stream.length - 1]) {
      const bad = stream.slice();
      bad[at]! ^= 1;
      let delivered = 0;
      const { ours } = deciphers(cipher, k, 0, () => void delivered++);
      throws(() => feed(ours, bad, [4096]), /Invalid MAC/);
      strictEqual(delivered, 0);
    }
    // The wrong sequence number is refused too (a dropped or replayed packet).
    const { ours } = deciphers(cipher, k, 1, () => {});
    throws(() => feed(ours, stream, [4096]), /Invalid MAC|Bad packet length/);
  });

  Deno.test(`sodium decipher ${cipher}: a length out of bounds is refused`, () => {
    const k = keysFor(cipher);
    const { ours } = deciphers(cipher, k, 0, () => {});
    const garbage = new Uint8Array(64).fill(0xff);
    throws(() => ours.decrypt(garbage, 0, garbage.length), /Bad packet length/);
  });
}

Deno.test("sodium decipher: other ciphers and foreign objects keep ssh2's decipher", () => {
  const k = keysFor("aes128-gcm@openssh.com");
  const theirs = sc.createDecipher({
    inbound: {
      onPayload: () => {},
      decipherInfo: sc.CIPHER_INFO["aes128-gcm@openssh.com"],
      decipherKey: k.key,
      decipherIV: k.iv,
      seqno: 0,
      forceNative: true,
    },
  });
  strictEqual(sodiumDecipherFor(theirs), undefined);
  strictEqual(sodiumDecipherFor({ inSeqno: 0, _onPayload: () => {} }), undefined);
  strictEqual(sodiumDecipherFor(null), undefined);
});

Deno.test("installSodiumDecipher(): swaps every decipher ssh2 sets, and only on a Protocol-like object", () => {
  if (!support.chacha) return;
  const cipher = "chacha20-poly1305@openssh.com";
  const proto: { _decipher: unknown } = { _decipher: undefined };
  assert(installSodiumDecipher(proto));
  strictEqual(proto._decipher, undefined);
  const k = keysFor(cipher);
  const { theirs } = deciphers(cipher, k, 3, () => {});
  proto._decipher = theirs;
  assert(usesSodiumDecipher(proto));
  strictEqual((proto._decipher as Ssh2Decipher).inSeqno, 3);
  // A decipher it has no equivalent for stays as given.
  const other = { inSeqno: 0, _onPayload: () => {}, decrypt: () => undefined, free() {} };
  proto._decipher = other;
  strictEqual(proto._decipher, other);
  assert(!usesSodiumDecipher(proto));
  strictEqual(installSodiumDecipher({}), false);
  strictEqual(installSodiumDecipher(null), false);
});

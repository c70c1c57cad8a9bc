import { deepStrictEqual as assertEquals, ok as assert, strictEqual } from "node:assert/strict";
import { Buffer } from "node:buffer";
import { sodiumCipherFor, type Ssh2Cipher } from "./sodium_cipher.ts";
import {
  feed,
  type Keys,
  keysFor,
  payloads,
  sendAll,
  SODIUM_CIPHERS,
  ssh2Cipher,
  ssh2Decipher,
} from "./_ssh2_packets_test_util.ts";

/** ssh2's own cipher and our replacement of it, each writing into its own list. */
function ciphers(cipher: string, k: Keys, seqno: number) {
  const theirOut: Uint8Array[] = [];
  const ourOut: Uint8Array[] = [];
  const theirs = ssh2Cipher(cipher, k, seqno, (b) => theirOut.push(Uint8Array.from(b)));
  const ours = sodiumCipherFor(ssh2Cipher(cipher, k, seqno, (b) => ourOut.push(b)));
  assert(ours, `no libsodium cipher for ${cipher}`);
  return { theirs, ours, theirOut, ourOut };
}

/** What ssh2's own decipher makes of `stream`. */
function open(cipher: string, k: Keys, seqno: number, stream: Uint8Array): Uint8Array[] {
  const got: Uint8Array[] = [];
  feed(ssh2Decipher(cipher, k, seqno, (p) => void got.push(Uint8Array.from(p))), stream, [
    5000,
    3,
    70000,
  ]);
  return got;
}

for (const cipher of SODIUM_CIPHERS) {
  Deno.test(`sodium cipher ${cipher}: ssh2's decipher reads back every payload, one write per packet`, () => {
    for (const seqno of [0, 9, 0xfffffffe]) {
      const k = keysFor(cipher, seqno === 9 ? [0xff, 0xff, 0xff, 0xfe] : undefined);
      const want = payloads(30);
      const { ours, ourOut } = ciphers(cipher, k, seqno);
      const stream = sendAll(ours, want, ourOut);
      strictEqual(ourOut.length, want.length);
      strictEqual(ours.outSeqno, (seqno + want.length) >>> 0);
      assertEquals(open(cipher, k, seqno, stream), want);
    }
  });

  Deno.test(`sodium cipher ${cipher}: packets are laid out as ssh2 lays them out`, () => {
    const k = keysFor(cipher);
    const { theirs, ours } = ciphers(cipher, k, 0);
    for (let n = 0; n < 70; n++) {
      const a = theirs.allocPacket(n);
      const b = ours.allocPacket(n);
      strictEqual(b.length, a.length, `payload ${n}`);
      assertEquals([...b.subarray(0, 5)], [...a.subarray(0, 5)], `payload ${n}`);
    }
    // The same packet (random padding included) seals to the same bytes as ssh2's.
    const { theirs: t2, ours: o2, theirOut, ourOut } = ciphers(cipher, k, 5);
    for (const p of payloads(12)) {
      const pkt = t2.allocPacket(p.length);
      pkt.set(p, 5);
      t2.encrypt(Uint8Array.from(pkt) as never);
      o2.encrypt(pkt);
    }
    assertEquals(Buffer.concat(ourOut), Buffer.concat(theirOut));
  });

  Deno.test(`sodium cipher ${cipher}: nothing is sent once freed, and a freed cipher is not replaced`, () => {
    const k = keysFor(cipher);
    const { ours, ourOut } = ciphers(cipher, k, 0);
    ours.free();
    const pkt = ours.allocPacket(10);
    ours.encrypt(pkt);
    strictEqual(ourOut.length, 0);
    const freed: Ssh2Cipher = ssh2Cipher(cipher, k, 0, () => {});
    freed.free();
    strictEqual(sodiumCipherFor(freed), undefined);
  });
}

Deno.test("sodium cipher: other ciphers and foreign objects keep ssh2's cipher", () => {
  const other = ssh2Cipher(
    "aes128-gcm@openssh.com",
    keysFor("aes128-gcm@openssh.com"),
    0,
    () => {},
  );
  strictEqual(sodiumCipherFor(other), undefined);
  strictEqual(sodiumCipherFor({ outSeqno: 0, _onWrite: () => {}, _dead: false }), undefined);
  strictEqual(sodiumCipherFor(undefined), undefined);
});

import {
  deepStrictEqual as assertEquals,
  ok as assert,
  strictEqual,
  throws,
} from "node:assert/strict";
import type { Buffer } from "node:buffer";
import { randomBytes } from "node:crypto";
import { sodiumDecipherFor, type Ssh2Decipher, SshPacketError } from "./sodium_decipher.ts";
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

/** A check that an error is an {@link SshPacketError} whose message matches `re`. */
function refused(re: RegExp): (e: unknown) => boolean {
  return (e) => e instanceof SshPacketError && re.test(e.message);
}

/** The byte stream ssh2 sends for `payloads`, starting at sequence number `seqno`. */
function seal(cipher: string, k: Keys, seqno: number, want: Uint8Array[]): Uint8Array {
  const out: Uint8Array[] = [];
  return sendAll(ssh2Cipher(cipher, k, seqno, (b) => out.push(Uint8Array.from(b))), want, out);
}

/** ssh2's own decipher for the stream, and our replacement of it. */
function deciphers(
  cipher: string,
  k: Keys,
  seqno: number,
  onPayload: (p: Buffer) => unknown,
): { theirs: Ssh2Decipher; ours: Ssh2Decipher } {
  const theirs = ssh2Decipher(cipher, k, seqno, onPayload);
  const ours = sodiumDecipherFor(theirs);
  assert(ours, `no libsodium decipher for ${cipher}`);
  return { theirs, ours };
}

for (const cipher of SODIUM_CIPHERS) {
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
      throws(() => feed(ours, bad, [4096]), refused(/Invalid MAC/));
      strictEqual(delivered, 0);
    }
    // The wrong sequence number is refused too (a dropped or replayed packet).
    const { ours } = deciphers(cipher, k, 1, () => {});
    throws(() => feed(ours, stream, [4096]), refused(/Invalid MAC|Bad packet length/));
  });

  Deno.test(`sodium decipher ${cipher}: a length out of bounds is refused`, () => {
    const k = keysFor(cipher);
    const { ours } = deciphers(cipher, k, 0, () => {});
    const garbage = new Uint8Array(64).fill(0xff);
    throws(() => ours.decrypt(garbage, 0, garbage.length), refused(/Bad packet length/));
  });
}

Deno.test("sodium decipher: other ciphers and foreign objects keep ssh2's decipher", () => {
  const theirs = ssh2Decipher(
    "aes128-gcm@openssh.com",
    keysFor("aes128-gcm@openssh.com"),
    0,
    () => {},
  );
  strictEqual(sodiumDecipherFor(theirs), undefined);
  strictEqual(sodiumDecipherFor({ inSeqno: 0, _onPayload: () => {} }), undefined);
  strictEqual(sodiumDecipherFor(null), undefined);
});

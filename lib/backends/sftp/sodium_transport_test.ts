import { ok as assert, strictEqual } from "node:assert/strict";
import { installSodiumTransport, sodiumInUse } from "./sodium_transport.ts";
import { sodiumSshSupport } from "./ssh_sodium.ts";
import { keysFor, ssh2Cipher, ssh2Decipher } from "./_ssh2_packets_test_util.ts";

Deno.test("installSodiumTransport(): swaps every cipher and decipher ssh2 sets where it can", () => {
  if (!sodiumSshSupport().chacha) return;
  const cipher = "chacha20-poly1305@openssh.com";
  const handshake = { null: true };
  const proto: { _cipher: unknown; _decipher: unknown } = {
    _cipher: handshake,
    _decipher: undefined,
  };
  assert(installSodiumTransport(proto));
  strictEqual(proto._cipher, handshake);
  strictEqual(proto._decipher, undefined);
  const k = keysFor(cipher);
  proto._decipher = ssh2Decipher(cipher, k, 3, () => {});
  proto._cipher = ssh2Cipher(cipher, k, 4, () => {});
  const inUse = sodiumInUse(proto);
  assert(inUse.cipher && inUse.decipher);
  strictEqual((proto._decipher as { inSeqno: number }).inSeqno, 3);
  strictEqual((proto._cipher as { outSeqno: number }).outSeqno, 4);
  // One it has no equivalent for stays as given (a rekey to another cipher).
  const other = ssh2Decipher(
    "aes128-gcm@openssh.com",
    keysFor("aes128-gcm@openssh.com"),
    0,
    () => {},
  );
  proto._decipher = other;
  strictEqual(proto._decipher, other);
  strictEqual(sodiumInUse(proto).decipher, false);
});

Deno.test("installSodiumTransport(): leaves objects without ssh2's fields alone", () => {
  strictEqual(installSodiumTransport({}), false);
  strictEqual(installSodiumTransport({ _cipher: 1 }), false);
  strictEqual(installSodiumTransport(null), false);
  const frozen = Object.freeze({ _cipher: 1, _decipher: 2 });
  strictEqual(installSodiumTransport(frozen), false);
});

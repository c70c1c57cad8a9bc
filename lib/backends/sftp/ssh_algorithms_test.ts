import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import {
  chooseAlgorithms,
  DEFAULT_CIPHERS,
  DEFAULT_KEX,
  defaultCiphers,
  INSECURE_CIPHERS,
  splitAlgorithmList,
} from "./ssh_algorithms.ts";

const none = { ciphers: "", keyExchange: "", macs: "", hostKeyAlgorithms: "" };

Deno.test("chooseAlgorithms() prefers chacha20-poly1305 and never offers nistp521 kex by default", () => {
  const a = chooseAlgorithms({ ...none, useInsecureCipher: false, nativeAesGcm: false });
  assertEquals(a.cipher[0], "chacha20-poly1305@openssh.com");
  assert(!a.kex.includes("ecdh-sha2-nistp521"), "nistp521 kex fails under Deno");
  assert(!a.cipher.some((c) => c.endsWith("-cbc")), "no CBC ciphers unless insecure");
  assertEquals(a.cipher, [...DEFAULT_CIPHERS]);
  assertEquals(a.kex, [...DEFAULT_KEX]);
});

Deno.test("chooseAlgorithms() puts aes256-gcm first when libsodium's AES-GCM is usable", () => {
  const a = chooseAlgorithms({ ...none, useInsecureCipher: false, nativeAesGcm: true });
  assertEquals(a.cipher[0], "aes256-gcm@openssh.com");
  assertEquals(a.cipher, defaultCiphers(true));
  assertEquals([...a.cipher].sort(), [...DEFAULT_CIPHERS].sort(), "the same ciphers, reordered");
  // A list given in the options is taken as it is.
  const given = chooseAlgorithms({
    ...none,
    ciphers: "chacha20-poly1305@openssh.com",
    useInsecureCipher: false,
    nativeAesGcm: true,
  });
  assertEquals(given.cipher, ["chacha20-poly1305@openssh.com"]);
});

Deno.test("chooseAlgorithms() adds insecure ciphers only with use_insecure_cipher", () => {
  const a = chooseAlgorithms({ ...none, useInsecureCipher: true });
  for (const c of INSECURE_CIPHERS) assert(a.cipher.includes(c), c);
  assert(a.kex.includes("diffie-hellman-group1-sha1"));
});

Deno.test("chooseAlgorithms() takes rclone's space-separated lists as given", () => {
  const a = chooseAlgorithms({
    ciphers: "aes256-ctr aes128-ctr",
    keyExchange: "curve25519-sha256,diffie-hellman-group14-sha256",
    macs: " hmac-sha2-512 ",
    hostKeyAlgorithms: "",
    useInsecureCipher: true,
  });
  assertEquals(a.cipher, ["aes256-ctr", "aes128-ctr"]);
  assertEquals(a.kex, ["curve25519-sha256", "diffie-hellman-group14-sha256"]);
  assertEquals(a.hmac, ["hmac-sha2-512"]);
  assertEquals(splitAlgorithmList(""), []);
});

Deno.test("chooseAlgorithms() puts host key types known for the host first", () => {
  const a = chooseAlgorithms({
    ...none,
    useInsecureCipher: false,
    knownKeyTypes: ["ssh-rsa", "ecdsa-sha2-nistp256"],
  });
  assertEquals(a.serverHostKey.slice(0, 4), [
    "rsa-sha2-512",
    "rsa-sha2-256",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
  ]);
  assertEquals(new Set(a.serverHostKey).size, a.serverHostKey.length, "no duplicates");
});

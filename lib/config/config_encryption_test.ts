import assert from "node:assert/strict";
import { sha256 } from "@noble/hashes/sha2.js";
import { throwsError } from "./_test_helpers.ts";
import { ConfigError } from "./config_error.ts";
import {
  configKey,
  decryptConfig,
  ENCRYPT_V0_MARKER,
  encryptConfig,
  isEncryptedConfig,
} from "./config_encryption.ts";

const PLAIN = "[r]\ntype = alias\nremote = /tmp\n\n";

Deno.test("configKey() is SHA-256 of [password][rclone-config]", () => {
  const expected = sha256(new TextEncoder().encode("[pw][rclone-config]"));
  assert.deepEqual(configKey("pw"), expected);
});

Deno.test("configKey() keeps surrounding spaces and NFKC-normalises", () => {
  assert.notDeepEqual(configKey(" pw "), configKey("pw"));
  // U+FB01 (ﬁ ligature) normalises to "fi" under NFKC.
  assert.deepEqual(configKey("\uFB01"), configKey("fi"));
});

Deno.test("configKey() rejects a blank password", () => {
  const err = throwsError(() => configKey("   "), ConfigError);
  assert.equal(err.message, "no characters in password");
  throwsError(() => configKey(""), ConfigError);
});

Deno.test("encryptConfig() writes rclone's layout and decryptConfig() reverses it", () => {
  const enc = encryptConfig(PLAIN, "secret pw");
  const lines = enc.split("\n");
  assert.equal(lines[0], "# Encrypted rclone configuration File");
  assert.equal(lines[1], "");
  assert.equal(lines[2], ENCRYPT_V0_MARKER);
  assert.equal(lines.length, 4);
  // 24-byte nonce + 16-byte tag + payload, base64 with padding.
  const expectedLen = 4 * Math.ceil((24 + 16 + PLAIN.length) / 3);
  assert.equal(lines[3]!.length, expectedLen);
  assert.equal(isEncryptedConfig(enc), true);
  assert.equal(decryptConfig(enc, "secret pw"), PLAIN);
});

Deno.test("encryptConfig() uses a fresh nonce each time", () => {
  assert.notEqual(encryptConfig(PLAIN, "a"), encryptConfig(PLAIN, "a"));
});

Deno.test("decryptConfig() reads a file whose base64 is wrapped over several lines", () => {
  const enc = encryptConfig(PLAIN, "pw");
  const [head, b64] = [
    enc.slice(0, enc.lastIndexOf("\n") + 1),
    enc.slice(enc.lastIndexOf("\n") + 1),
  ];
  const wrapped = head + b64.match(/.{1,20}/g)!.join("\r\n") + "\n";
  assert.equal(decryptConfig(wrapped, "pw"), PLAIN);
});

Deno.test("decryptConfig() refuses a wrong password without revealing anything", () => {
  const enc = encryptConfig(PLAIN, "right");
  const err = throwsError(() => decryptConfig(enc, "wrong"), ConfigError);
  assert.equal(err.message, "unable to decrypt configuration: incorrect password");
});

Deno.test("decryptConfig() without a password says to set RCLONE_CONFIG_PASS", () => {
  const enc = encryptConfig(PLAIN, "right");
  const err = throwsError(() => decryptConfig(enc, undefined), ConfigError);
  assert.match(err.message, /set RCLONE_CONFIG_PASS to your configuration password/);
});

Deno.test("decryptConfig() rejects a truncated payload", () => {
  const err = throwsError(() => decryptConfig(`${ENCRYPT_V0_MARKER}\nAAAA\n`, "pw"), ConfigError);
  assert.equal(err.message, "configuration data too short");
});

Deno.test("decryptConfig() returns plain configs unchanged", () => {
  assert.equal(isEncryptedConfig(PLAIN), false);
  assert.equal(decryptConfig(PLAIN, undefined), PLAIN);
  assert.equal(isEncryptedConfig("# only a comment\n"), false);
});

Deno.test("isEncryptedConfig() skips comments and refuses other versions", () => {
  assert.equal(isEncryptedConfig("; c\n# c\n\n  RCLONE_ENCRYPT_V0:  \nAAAA"), true);
  const err = throwsError(() => isEncryptedConfig("# x\nRCLONE_ENCRYPT_V1:\nAAAA\n"), ConfigError);
  assert.equal(err.message, "unsupported configuration encryption - update rclone for support");
});

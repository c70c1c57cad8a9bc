/**
 * @module
 * rclone's encrypted config files (`fs/config/crypt.go`). The first line that is neither blank
 * nor a comment is `RCLONE_ENCRYPT_V0:`; the rest is standard base64 (with padding) of a 24-byte
 * random nonce followed by a NaCl secretbox (XSalsa20-Poly1305) of the plain INI text. The key is
 * SHA-256 of `[` + password + `][rclone-config]`, the password NFKC-normalised, untrimmed, and
 * not blank. Any other `RCLONE_ENCRYPT_V*` marker is refused.
 */

import { xsalsa20poly1305 } from "@noble/ciphers/salsa.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { ConfigError } from "./config_error.ts";
import { detect, ENCRYPT_V0_MARKER } from "./config_marker.ts";

export { ENCRYPT_V0_MARKER, isEncryptedConfig } from "./config_marker.ts";

const NONCE_BYTES = 24;
const TAG_BYTES = 16;

/**
 * Derives the 32-byte config key from a password as rclone does. Throws {@link ConfigError} for
 * a password that is blank or not valid Unicode.
 */
export function configKey(password: string): Uint8Array {
  if (!password.isWellFormed()) {
    throw new ConfigError("password contains invalid utf8 characters");
  }
  const normalised = password.normalize("NFKC");
  if (normalised.length === 0 || password.trim().length === 0) {
    throw new ConfigError("no characters in password");
  }
  return sha256(new TextEncoder().encode(`[${normalised}][rclone-config]`));
}

function decodeBase64Std(text: string): Uint8Array {
  const clean = text.replace(/[\r\n]/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 !== 0) {
    throw new ConfigError("failed to load base64 encoded data: illegal base64 data");
  }
  const bin = atob(clean);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function encodeBase64Std(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/**
 * Decrypts an encrypted config's text with `password` (plain text is returned unchanged).
 * Without a password, or with a wrong one, throws {@link ConfigError} saying how to give it.
 */
export function decryptConfig(text: string, password: string | undefined): string {
  const found = detect(text);
  if (!found) return text;
  const box = decodeBase64Std(text.slice(found.payloadStart).trim());
  if (box.length < NONCE_BYTES + TAG_BYTES) {
    throw new ConfigError("configuration data too short");
  }
  if (password === undefined || password === "") {
    throw new ConfigError(
      "unable to decrypt configuration and not allowed to ask for password - set RCLONE_CONFIG_PASS to your configuration password",
    );
  }
  const key = configKey(password);
  let plain: Uint8Array;
  try {
    plain = xsalsa20poly1305(key, box.subarray(0, NONCE_BYTES)).decrypt(
      box.subarray(NONCE_BYTES),
    );
  } catch (err) {
    throw new ConfigError("unable to decrypt configuration: incorrect password", { cause: err });
  }
  return new TextDecoder().decode(plain);
}

/**
 * Encrypts plain config text exactly as rclone writes it: a comment line, a blank line, the
 * marker line and one line of base64 (no final newline). `nonce` is for tests only.
 */
export function encryptConfig(plain: string, password: string, nonce?: Uint8Array): string {
  const key = configKey(password);
  const n = nonce ?? crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
  if (n.length !== NONCE_BYTES) throw new ConfigError(`nonce must be ${NONCE_BYTES} bytes`);
  const sealed = xsalsa20poly1305(key, n).encrypt(new TextEncoder().encode(plain));
  const payload = new Uint8Array(NONCE_BYTES + sealed.length);
  payload.set(n, 0);
  payload.set(sealed, NONCE_BYTES);
  return `# Encrypted rclone configuration File\n\n${ENCRYPT_V0_MARKER}\n${
    encodeBase64Std(payload)
  }`;
}

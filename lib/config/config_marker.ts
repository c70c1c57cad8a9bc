/**
 * @module
 * Recognises rclone's encrypted config files (`fs/config/crypt.go`) without decrypting them: the
 * first line that is neither blank nor a comment is `RCLONE_ENCRYPT_V0:`. Split from
 * `config_encryption.ts` so that reading a plain config never loads the cipher (its npm
 * modules start Deno's npm and Node layers: ~2.3 MiB resident in the idle plugin daemon).
 */

import { ConfigError } from "./config_error.ts";

/** The marker line of a version-0 encrypted config. */
export const ENCRYPT_V0_MARKER = "RCLONE_ENCRYPT_V0:";

/** Where the encrypted payload of a config starts. */
export interface Detected {
  /** Index in the text just after the marker line. */
  payloadStart: number;
}

/** Where the encrypted payload of `text` starts, or undefined if it is plain text. */
export function detect(text: string): Detected | undefined {
  let pos = 0;
  if (text.startsWith("\uFEFF")) pos = 1;
  while (pos < text.length) {
    let end = text.indexOf("\n", pos);
    if (end < 0) end = text.length;
    const line = text.slice(pos, end).trim();
    pos = end + 1;
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    if (line === ENCRYPT_V0_MARKER) return { payloadStart: Math.min(pos, text.length) };
    if (line.startsWith("RCLONE_ENCRYPT_V")) {
      throw new ConfigError("unsupported configuration encryption - update rclone for support");
    }
    return undefined;
  }
  return undefined;
}

/**
 * Whether a config file's text is encrypted. Throws {@link ConfigError}
 * (`unsupported configuration encryption …`) for an unknown encryption version.
 */
export function isEncryptedConfig(text: string): boolean {
  return detect(text) !== undefined;
}

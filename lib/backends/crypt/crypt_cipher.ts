/**
 * @module
 * One crypt remote's cipher: the keys derived from its passwords, its {@link NameCipher} and
 * its {@link DataCipher}, built from clear (revealed) settings.
 */

import { DataCipher } from "./data_cipher.ts";
import { deriveKeys } from "./keys.ts";
import { NameCipher, type NameEncryptionMode } from "./name_cipher.ts";
import { nameEncodingFor } from "./name_encoding.ts";
import { InvalidError } from "../../errors.ts";

/** Clear settings of a crypt cipher. */
export interface CryptCipherSettings {
  /** The password, revealed. */
  password: string;
  /** The salt password (password2), revealed; `""` for rclone's built-in salt. */
  password2?: string;
  /** `standard` (default), `obfuscate` or `off`. */
  filenameEncryption?: string;
  /** Encrypt directory names too (default true). */
  directoryNameEncryption?: boolean;
  /** `base32` (default), `base64` or `base32768`. */
  filenameEncoding?: string;
  /** Suffix for `off` mode (default `.bin`; `none` = no suffix). */
  suffix?: string;
}

/** Name and data ciphers of one crypt configuration. */
export interface CryptCipher {
  /** Encrypts and decrypts paths. */
  names: NameCipher;
  /** Seals and opens data blocks. */
  data: DataCipher;
  /** Whether directory names are encrypted. */
  dirNameEncrypt: boolean;
}

/** Derives the keys (scrypt, ~0.1 s) and builds the ciphers. */
export async function newCryptCipher(s: CryptCipherSettings): Promise<CryptCipher> {
  const mode = (s.filenameEncryption ?? "standard").toLowerCase();
  if (mode !== "standard" && mode !== "obfuscate" && mode !== "off") {
    throw new InvalidError(`unknown file name encryption mode ${JSON.stringify(mode)}`);
  }
  const encoding = nameEncodingFor(s.filenameEncoding ?? "base32");
  const keys = await deriveKeys(s.password, s.password2 ?? "");
  const dirNameEncrypt = s.directoryNameEncryption ?? true;
  return {
    names: new NameCipher({
      mode: mode as NameEncryptionMode,
      dirNameEncrypt,
      encoding,
      suffix: s.suffix ?? ".bin",
      nameKey: keys.nameKey,
      nameTweak: keys.nameTweak,
    }),
    data: new DataCipher(keys.dataKey),
    dirNameEncrypt,
  };
}

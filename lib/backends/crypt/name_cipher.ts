/**
 * @module
 * File and directory name encryption of rclone's crypt. Paths are split on `/` and each
 * segment is handled alone:
 * - `standard`: PKCS#7-pad the UTF-8 bytes to 16, encipher with EME over AES-256 (name key,
 *   name tweak), write in the chosen {@link NameEncoding};
 * - `obfuscate`: the keyed rotation of `obfuscate.ts`;
 * - `off`: names stay clear and files get a suffix (`.bin` by default, `none` for no suffix).
 * With `directory_name_encryption = false` only the last segment of a file path is encrypted.
 * A version suffix (`-v2006-01-02-150405-000`) on the last segment stays in clear.
 */

import { InvalidError } from "../../errors.ts";
import { Eme, EME_MAX_BYTES } from "./eme.ts";
import type { NameEncoding } from "./name_encoding.ts";
import { deobfuscateSegment, obfuscateSegment } from "./obfuscate.ts";
import { pkcs7Pad, pkcs7Unpad } from "./pkcs7.ts";
import { addVersion, splitVersion } from "./version_name.ts";
import { Errno } from "../../errors.ts";

/** How names are encrypted (`filename_encryption`). */
export type NameEncryptionMode = "standard" | "obfuscate" | "off";

/** Settings of a {@link NameCipher}. */
export interface NameCipherOptions {
  /** Name encryption mode. */
  mode: NameEncryptionMode;
  /** Whether directory names are encrypted too (`directory_name_encryption`). */
  dirNameEncrypt: boolean;
  /** Text encoding of standard-encrypted names. */
  encoding: NameEncoding;
  /** Suffix of files when mode is `off` (`suffix`; `none` means no suffix). */
  suffix: string;
  /** 32-byte name key. */
  nameKey: Uint8Array;
  /** 16-byte EME tweak. */
  nameTweak: Uint8Array;
}

/** The error thrown for a name that is not a valid encrypted name. */
export class UndecryptableNameError extends InvalidError {
  /** Creates the error naming the encrypted name and why it failed. */
  constructor(name: string, why: string) {
    super(`undecryptable name ${JSON.stringify(name)}: ${why}`);
  }
}

const utf8 = new TextEncoder();
/** Segments remembered per direction (EME costs tens of µs a name in pure JS). */
const CACHE_ENTRIES = 4096;

/** Remembers a value, dropping the oldest entry when full. */
function remember(cache: Map<string, string>, key: string, value: string): string {
  if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
  cache.set(key, value);
  return value;
}
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** Encrypts and decrypts file and directory paths the way rclone's crypt does. */
export class NameCipher {
  #opts: NameCipherOptions;
  #eme: Eme;
  #suffix: string;
  #encrypted = new Map<string, string>();
  #decrypted = new Map<string, string>();

  /** Creates a name cipher. */
  constructor(opts: NameCipherOptions) {
    this.#opts = opts;
    this.#eme = new Eme(opts.nameKey);
    this.#suffix = opts.suffix.toLowerCase() === "none" ? "" : opts.suffix;
  }

  /** The name encryption mode. */
  get mode(): NameEncryptionMode {
    return this.#opts.mode;
  }

  /** Encrypts one segment in standard mode. */
  encryptSegment(plain: string): string {
    if (plain === "") return "";
    const hit = this.#encrypted.get(plain);
    if (hit !== undefined) return hit;
    const bytes = utf8.encode(plain);
    const padded = pkcs7Pad(16, bytes);
    if (padded.length > EME_MAX_BYTES) {
      throw new InvalidError(
        `file name too long to encrypt (${bytes.length} bytes)`,
        Errno.ENAMETOOLONG,
      );
    }
    const out = this.#opts.encoding.encode(this.#eme.encrypt(this.#opts.nameTweak, padded));
    return remember(this.#encrypted, plain, out);
  }

  /** Decrypts one segment in standard mode; throws {@link UndecryptableNameError}. */
  decryptSegment(cipher: string): string {
    if (cipher === "") return "";
    const hit = this.#decrypted.get(cipher);
    if (hit !== undefined) return hit;
    let raw: Uint8Array;
    try {
      raw = this.#opts.encoding.decode(cipher);
    } catch (err) {
      throw new UndecryptableNameError(cipher, (err as Error).message);
    }
    if (raw.length === 0) throw new UndecryptableNameError(cipher, "too short after decode");
    if (raw.length % 16 !== 0) {
      throw new UndecryptableNameError(cipher, "not a multiple of blocksize");
    }
    if (raw.length > 2048 || raw.length > EME_MAX_BYTES) {
      throw new UndecryptableNameError(cipher, "too long after decode");
    }
    try {
      const plain = pkcs7Unpad(16, this.#eme.decrypt(this.#opts.nameTweak, raw));
      return remember(this.#decrypted, cipher, strictUtf8.decode(plain));
    } catch (err) {
      throw new UndecryptableNameError(cipher, (err as Error).message);
    }
  }

  #encryptOne(segment: string): string {
    return this.#opts.mode === "standard"
      ? this.encryptSegment(segment)
      : obfuscateSegment(segment, this.#opts.nameKey);
  }

  #decryptOne(segment: string): string {
    if (this.#opts.mode === "standard") return this.decryptSegment(segment);
    try {
      return deobfuscateSegment(segment, this.#opts.nameKey);
    } catch (err) {
      throw new UndecryptableNameError(segment, (err as Error).message);
    }
  }

  #mapPath(path: string, fn: (segment: string) => string): string {
    const segments = path.split("/");
    const last = segments.length - 1;
    return segments.map((seg, i) => {
      if (!this.#opts.dirNameEncrypt && i !== last) return seg;
      const v = i === last ? splitVersion(seg) : undefined;
      if (v && v.name !== seg) return addVersion(fn(v.name), v.version);
      return fn(seg);
    }).join("/");
  }

  /** Encrypts a file path (relative, `/`-separated). */
  encryptFileName(path: string): string {
    if (this.#opts.mode === "off") return path + this.#suffix;
    return this.#mapPath(path, (s) => this.#encryptOne(s));
  }

  /** Encrypts a directory path (relative, `/`-separated; `""` stays `""`). */
  encryptDirName(path: string): string {
    if (this.#opts.mode === "off" || !this.#opts.dirNameEncrypt) return path;
    return this.#mapPath(path, (s) => this.#encryptOne(s));
  }

  /** Decrypts a file path; throws {@link UndecryptableNameError}. */
  decryptFileName(path: string): string {
    if (this.#opts.mode === "off") {
      const rest = path.length - this.#suffix.length;
      if (rest <= 0 || !path.endsWith(this.#suffix)) {
        throw new UndecryptableNameError(path, `no ${JSON.stringify(this.#suffix)} suffix`);
      }
      const plain = path.slice(0, rest);
      const v = splitVersion(plain);
      if (v && v.name === "") throw new UndecryptableNameError(path, "only a version suffix");
      return plain;
    }
    return this.#mapPath(path, (s) => this.#decryptOne(s));
  }

  /** Decrypts a directory path; throws {@link UndecryptableNameError}. */
  decryptDirName(path: string): string {
    if (this.#opts.mode === "off" || !this.#opts.dirNameEncrypt) return path;
    return this.#mapPath(path, (s) => this.#decryptOne(s));
  }
}

/**
 * @module
 * The system's libsodium (`libsodium.so.23`, Debian's `libsodium23`, the library crypt's data
 * blocks already use) opened through Deno FFI with the functions the SSH transport's two AEAD
 * ciphers need: DJB ChaCha20 with a 64-bit nonce and Poly1305 for
 * `chacha20-poly1305@openssh.com`, AES-256-GCM for `aes256-gcm@openssh.com`. Calls are
 * synchronous, on the JS thread (one to three per SSH packet, each on up to ~32 KiB).
 *
 * {@link sshSodium} returns undefined when the library cannot be opened (not installed, no FFI
 * permission) or `DENOCLONE_NO_SODIUM=1` asks for the JavaScript code paths; ssh2's own ciphers
 * are used then. AES-GCM is offered only when libsodium reports the CPU supports it (AES-NI and
 * PCLMUL).
 */

import { dlopenSodium, sodiumDisabled } from "../_libsodium.ts";

const SYMBOLS = {
  /** crypto_stream_chacha20_xor_ic(c, m, mlen, n[8], ic, k[32]): DJB ChaCha20, 64-bit nonce. */
  chachaXorIc: {
    name: "crypto_stream_chacha20_xor_ic",
    parameters: ["buffer", "buffer", "u64", "buffer", "u64", "buffer"],
    result: "i32",
  },
  /** crypto_onetimeauth_poly1305(tag[16], in, inlen, k[32]). */
  poly: {
    name: "crypto_onetimeauth_poly1305",
    parameters: ["buffer", "buffer", "u64", "buffer"],
    result: "i32",
  },
  /** crypto_onetimeauth_poly1305_verify(tag[16], in, inlen, k[32]): 0 if the tag matches. */
  polyVerify: {
    name: "crypto_onetimeauth_poly1305_verify",
    parameters: ["buffer", "buffer", "u64", "buffer"],
    result: "i32",
  },
  gcmAvailable: { name: "crypto_aead_aes256gcm_is_available", parameters: [], result: "i32" },
  /** crypto_aead_aes256gcm_encrypt_detached(c, mac, maclen_p, m, mlen, ad, adlen, nsec, npub, k) */
  gcmSeal: {
    name: "crypto_aead_aes256gcm_encrypt_detached",
    parameters: [
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "u64",
      "buffer",
      "u64",
      "buffer",
      "buffer",
      "buffer",
    ],
    result: "i32",
  },
  /** crypto_aead_aes256gcm_decrypt_detached(m, nsec, c, clen, mac, ad, adlen, npub, k). */
  gcmOpen: {
    name: "crypto_aead_aes256gcm_decrypt_detached",
    parameters: [
      "buffer",
      "buffer",
      "buffer",
      "u64",
      "buffer",
      "buffer",
      "u64",
      "buffer",
      "buffer",
    ],
    result: "i32",
  },
} as const;

/** The library's functions. */
export type SodiumSshFunctions = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** The opened library and what it can do on this CPU. */
export interface SodiumSsh {
  /** The functions. */
  fn: SodiumSshFunctions;
  /** Whether AES-256-GCM is usable (AES-NI and PCLMUL present). */
  gcm: boolean;
}

/** ssh2's bound on an incoming packet's length (its `MAX_PACKET_SIZE`). */
export const MAX_PACKET_SIZE = 35000;

let loaded: SodiumSsh | null | undefined;

/** The library, opened once; undefined when it cannot be used (see the module doc). */
export function sshSodium(): SodiumSsh | undefined {
  if (loaded !== undefined) return loaded ?? undefined;
  loaded = null;
  if (sodiumDisabled()) return undefined;
  const lib = dlopenSodium(SYMBOLS);
  if (!lib) return undefined;
  loaded = { fn: lib.symbols, gcm: lib.symbols.gcmAvailable() === 1 };
  return loaded;
}

/** Whether libsodium can be used for SSH packets, and for which of the two ciphers. */
export function sodiumSshSupport(): { chacha: boolean; aes256gcm: boolean } {
  const l = sshSodium();
  return { chacha: l !== undefined, aes256gcm: l?.gcm ?? false };
}

/** The 8-byte ChaCha20 nonce of SSH sequence number `seqno` (64-bit big-endian) into `n`. */
export function seqnoNonce(n: Uint8Array, seqno: number): void {
  n[4] = seqno >>> 24;
  n[5] = seqno >>> 16;
  n[6] = seqno >>> 8;
  n[7] = seqno;
}

/** Adds 1 to the 8-byte big-endian invocation counter in bytes 4..12 of a GCM IV. */
export function gcmIvIncrement(iv: Uint8Array): void {
  for (let i = 11; i >= 4; i--) {
    iv[i] = (iv[i]! + 1) & 0xff;
    if (iv[i] !== 0) return;
  }
}

/**
 * ssh2's 64-byte `chacha20-poly1305@openssh.com` key split into copies of K_2 (payload and
 * Poly1305 key, the first half) and K_1 (the length field, the second half).
 */
export function chachaKeys(key: Uint8Array): { main: Uint8Array; len: Uint8Array } {
  if (key.length !== 64) throw new RangeError("chacha20-poly1305 needs a 64-byte key");
  return { main: key.slice(0, 32), len: key.slice(32, 64) };
}

/** Checked copies of an `aes256-gcm@openssh.com` key (32 bytes) and IV (12 bytes). */
export function gcmKeyIv(key: Uint8Array, iv: Uint8Array): { key: Uint8Array; iv: Uint8Array } {
  if (key.length !== 32 || iv.length !== 12) {
    throw new RangeError("aes256-gcm needs a 32-byte key and a 12-byte IV");
  }
  return { key: key.slice(), iv: iv.slice() };
}

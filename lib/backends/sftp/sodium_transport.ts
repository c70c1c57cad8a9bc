/**
 * @module
 * Puts libsodium under an ssh2 connection's packet crypto: {@link installSodiumTransport} hooks
 * an ssh2 `Protocol` instance (the pinned ssh2 1.17.0; an ssh2 `Client`'s `_protocol`, right
 * after `connect()`) so that every cipher and decipher ssh2 installs after a key exchange (the
 * first one and every rekey) is swapped for its libsodium equivalent (`sodium_cipher.ts`,
 * `sodium_decipher.ts`) when it is one of ssh2's own JavaScript implementations of
 * `chacha20-poly1305@openssh.com` or `aes256-gcm@openssh.com`. Anything else (other ciphers,
 * the handshake's null cipher, an ssh2 whose internals differ, no libsodium,
 * `DENOCLONE_NO_SODIUM=1`) is kept as ssh2 made it, so the connection works either way.
 */

import { sodiumCipherFor } from "./sodium_cipher.ts";
import { SodiumDecipher, sodiumDecipherFor } from "./sodium_decipher.ts";
import { SodiumCipher } from "./sodium_cipher.ts";
import { sshSodium } from "./ssh_sodium.ts";

/** Replaces own data property `name` of `obj` by one that passes each value set through `map`. */
function hook(obj: object, name: string, map: (v: unknown) => unknown): boolean {
  const desc = Object.getOwnPropertyDescriptor(obj, name);
  if (!desc || !("value" in desc) || !desc.writable || !desc.configurable) return false;
  let current: unknown = map(desc.value);
  Object.defineProperty(obj, name, {
    configurable: true,
    enumerable: desc.enumerable,
    get: () => current,
    set: (v: unknown) => {
      current = map(v);
    },
  });
  return true;
}

/**
 * Makes ssh2's `Protocol` instance `proto` use libsodium for every cipher and decipher it
 * installs from now on where there is an equivalent. Returns false (and changes nothing) when
 * libsodium is unavailable or `proto` does not have ssh2's `_cipher` and `_decipher` fields.
 */
export function installSodiumTransport(proto: unknown): boolean {
  if (!sshSodium() || typeof proto !== "object" || proto === null) return false;
  const own = (n: string) => Object.prototype.hasOwnProperty.call(proto, n);
  if (!own("_cipher") || !own("_decipher")) return false;
  return hook(proto, "_decipher", (d) => sodiumDecipherFor(d) ?? d) &&
    hook(proto, "_cipher", (c) => sodiumCipherFor(c) ?? c);
}

/** Which directions of `proto` currently run on libsodium (for tests and debug messages). */
export function sodiumInUse(proto: unknown): { cipher: boolean; decipher: boolean } {
  const p = proto as { _cipher?: unknown; _decipher?: unknown } | null;
  return {
    cipher: p?._cipher instanceof SodiumCipher,
    decipher: p?._decipher instanceof SodiumDecipher,
  };
}

/**
 * @module
 * The SSH algorithm lists offered to the server. Ciphers are ordered for what runs fastest here:
 * with libsodium's AES-256-GCM (AES-NI; `ssh_sodium.ts`) `aes256-gcm@openssh.com` comes first
 * (measured on a 256 MiB SFTP read and write against OpenSSH: about a quarter less CPU on our
 * side than libsodium's chacha20-poly1305 and a third less in sshd, which shares the machine),
 * else `chacha20-poly1305@openssh.com` (libsodium's, or ssh2's node:crypto one, where node's
 * AES-GCM runs at about half of Node's speed). `ecdh-sha2-nistp521` key exchange fails under
 * Deno ("invalid curve"), so it is left out. The `ciphers`, `key_exchange`, `macs` and
 * `host_key_algorithms` options replace a list (space- or comma-separated, as rclone's
 * SpaceSepList).
 */

import { sodiumSshSupport } from "./ssh_sodium.ts";

/** Ciphers in preference order without a native AES-GCM (see {@link defaultCiphers}). */
export const DEFAULT_CIPHERS: readonly string[] = [
  "chacha20-poly1305@openssh.com",
  "aes128-gcm@openssh.com",
  "aes256-gcm@openssh.com",
  "aes128-ctr",
  "aes192-ctr",
  "aes256-ctr",
];

/**
 * The default cipher list: {@link DEFAULT_CIPHERS}, with `aes256-gcm@openssh.com` moved to the
 * front when `nativeAesGcm` (libsodium's AES-256-GCM is usable).
 */
export function defaultCiphers(nativeAesGcm: boolean): string[] {
  const first = "aes256-gcm@openssh.com";
  return nativeAesGcm
    ? [first, ...DEFAULT_CIPHERS.filter((c) => c !== first)]
    : [...DEFAULT_CIPHERS];
}

/** Extra ciphers allowed by `use_insecure_cipher`. */
export const INSECURE_CIPHERS: readonly string[] = [
  "aes128-cbc",
  "aes192-cbc",
  "aes256-cbc",
  "3des-cbc",
];

/** Key exchange methods in preference order (no nistp521: it fails under Deno). */
export const DEFAULT_KEX: readonly string[] = [
  "curve25519-sha256",
  "curve25519-sha256@libssh.org",
  "ecdh-sha2-nistp256",
  "ecdh-sha2-nistp384",
  "diffie-hellman-group-exchange-sha256",
  "diffie-hellman-group14-sha256",
  "diffie-hellman-group16-sha512",
  "diffie-hellman-group18-sha512",
];

/** Extra key exchange methods allowed by `use_insecure_cipher`. */
export const INSECURE_KEX: readonly string[] = [
  "diffie-hellman-group14-sha1",
  "diffie-hellman-group-exchange-sha1",
  "diffie-hellman-group1-sha1",
];

/** MACs in preference order (unused with AEAD ciphers). */
export const DEFAULT_MACS: readonly string[] = [
  "hmac-sha2-256-etm@openssh.com",
  "hmac-sha2-512-etm@openssh.com",
  "hmac-sha2-256",
  "hmac-sha2-512",
  "hmac-sha1-etm@openssh.com",
  "hmac-sha1",
];

/** Host key algorithms in preference order. */
export const DEFAULT_HOST_KEY_ALGORITHMS: readonly string[] = [
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "rsa-sha2-512",
  "rsa-sha2-256",
  "ssh-rsa",
];

/** The algorithm block of an ssh2 connect config. */
export interface SshAlgorithms {
  /** Key exchange methods. */
  kex: string[];
  /** Ciphers. */
  cipher: string[];
  /** MACs. */
  hmac: string[];
  /** Host key algorithms. */
  serverHostKey: string[];
}

/** Splits an rclone SpaceSepList value (spaces or commas) into names. */
export function splitAlgorithmList(value: string): string[] {
  return value.split(/[\s,]+/).filter((s) => s !== "");
}

/** Host key algorithms that sign with a key of the given known_hosts key type. */
export function algorithmsForKeyType(keyType: string): string[] {
  return keyType === "ssh-rsa" ? ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"] : [keyType];
}

/**
 * Builds the lists to offer. `knownKeyTypes` (key types known_hosts holds for this host) are
 * moved to the front of the host key list, as OpenSSH does, so a server with several host keys
 * presents one we can check.
 */
export function chooseAlgorithms(opts: {
  ciphers: string;
  keyExchange: string;
  macs: string;
  hostKeyAlgorithms: string;
  useInsecureCipher: boolean;
  knownKeyTypes?: string[];
  /** Whether libsodium's AES-256-GCM is usable; asked of `ssh_sodium.ts` when undefined. */
  nativeAesGcm?: boolean;
}): SshAlgorithms {
  const pick = (given: string, def: readonly string[], insecure: readonly string[] = []) => {
    const list = splitAlgorithmList(given);
    if (list.length > 0) return list;
    return opts.useInsecureCipher ? [...def, ...insecure] : [...def];
  };
  let hostKeys = pick(opts.hostKeyAlgorithms, DEFAULT_HOST_KEY_ALGORITHMS);
  if (opts.knownKeyTypes && opts.knownKeyTypes.length > 0) {
    const preferred = opts.knownKeyTypes.flatMap(algorithmsForKeyType).filter((a) =>
      hostKeys.includes(a)
    );
    hostKeys = [...preferred, ...hostKeys.filter((a) => !preferred.includes(a))];
  }
  return {
    kex: pick(opts.keyExchange, DEFAULT_KEX, INSECURE_KEX),
    cipher: pick(
      opts.ciphers,
      defaultCiphers(opts.nativeAesGcm ?? sodiumSshSupport().aes256gcm),
      INSECURE_CIPHERS,
    ),
    hmac: pick(opts.macs, DEFAULT_MACS),
    serverHostKey: hostKeys,
  };
}

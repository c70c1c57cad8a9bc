/**
 * @module
 * OpenSSH known_hosts files: parsing (plain and hashed `|1|salt|hash` host names, `[host]:port`,
 * `*`/`?` wildcards, `!` negation, `@revoked`; `@cert-authority` lines are skipped) and checking
 * a server's host key against them. A host that is known with other keys is a mismatch; a host
 * that is not in the file at all is unknown. Both are refused by the sftp backend.
 */

import { createHash, createHmac } from "node:crypto";
import { Buffer } from "node:buffer";
import { bytesEqual } from "../../util/bytes_equal.ts";

/** One usable line of a known_hosts file. */
export interface KnownHostEntry {
  /** `revoked` for `@revoked` lines. */
  marker?: "revoked";
  /** The comma-separated host patterns (or one hashed name). */
  patterns: string[];
  /** Key type, e.g. `ssh-ed25519`. */
  keyType: string;
  /** The public key blob. */
  key: Uint8Array;
  /** 1-based line number, for messages. */
  line: number;
}

/** Result of a host key check. */
export type HostKeyCheck =
  | { ok: true }
  | { ok: false; reason: "unknown" | "mismatch" | "revoked"; knownTypes: string[] };

/** Parses the text of a known_hosts file; malformed lines are skipped. */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "" || line.startsWith("#")) continue;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry["marker"];
    if (fields[0]!.startsWith("@")) {
      const m = fields.shift()!;
      if (m === "@revoked") marker = "revoked";
      else continue; // @cert-authority and unknown markers: certificates are not supported
    }
    const [hosts, keyType, b64] = fields;
    if (!hosts || !keyType || !b64 || !/^[A-Za-z0-9+/]+=*$/.test(b64)) continue;
    out.push({
      marker,
      patterns: hosts.split(","),
      keyType,
      key: new Uint8Array(Buffer.from(b64, "base64")),
      line: i + 1,
    });
  }
  return out;
}

/**
 * The name a host is looked up by: `host` on port 22, `[host]:port` otherwise; lower-cased as
 * OpenSSH does before matching or hashing.
 */
export function knownHostsName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

function globMatch(pattern: string, name: string): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(
    /\?/g,
    ".",
  );
  return new RegExp(`^${re}$`, "i").test(name);
}

function hashedMatch(pattern: string, name: string): boolean {
  const parts = pattern.split("|");
  // "|1|salt|hash" splits into ["", "1", salt, hash]
  if (parts.length !== 4 || parts[1] !== "1") return false;
  const salt = Buffer.from(parts[2]!, "base64");
  const mac = createHmac("sha1", salt).update(name).digest("base64");
  return mac === parts[3];
}

/** Whether an entry's patterns match the lookup name (`!pattern` negates). */
export function entryMatches(entry: KnownHostEntry, name: string): boolean {
  let hit = false;
  for (const p of entry.patterns) {
    if (p.startsWith("|")) {
      if (hashedMatch(p, name)) hit = true;
    } else if (p.startsWith("!")) {
      if (globMatch(p.slice(1), name)) return false;
    } else if (globMatch(p, name)) {
      hit = true;
    }
  }
  return hit;
}

/** Key types the file holds for a host (for ordering host key algorithms). */
export function knownKeyTypes(entries: KnownHostEntry[], host: string, port: number): string[] {
  const name = knownHostsName(host, port);
  const types: string[] = [];
  for (const e of entries) {
    if (!e.marker && entryMatches(e, name) && !types.includes(e.keyType)) types.push(e.keyType);
  }
  return types;
}

/** Checks a host key blob (the SSH wire encoding) against the entries for host:port. */
export function checkHostKey(
  entries: KnownHostEntry[],
  host: string,
  port: number,
  key: Uint8Array,
): HostKeyCheck {
  const name = knownHostsName(host, port);
  const matching = entries.filter((e) => entryMatches(e, name));
  const knownTypes = [...new Set(matching.filter((e) => !e.marker).map((e) => e.keyType))];
  if (matching.some((e) => e.marker === "revoked" && bytesEqual(e.key, key))) {
    return { ok: false, reason: "revoked", knownTypes };
  }
  if (matching.some((e) => !e.marker && bytesEqual(e.key, key))) return { ok: true };
  return { ok: false, reason: knownTypes.length > 0 ? "mismatch" : "unknown", knownTypes };
}

/** The key type named inside an SSH public key blob (`ssh-ed25519`…), or `unknown`. */
export function keyTypeOf(key: Uint8Array): string {
  if (key.length < 4) return "unknown";
  const n = (key[0]! << 24 | key[1]! << 16 | key[2]! << 8 | key[3]!) >>> 0;
  if (n > key.length - 4 || n > 64) return "unknown";
  return new TextDecoder().decode(key.subarray(4, 4 + n));
}

/** OpenSSH's fingerprint of a key blob: `SHA256:` + unpadded base64 of its SHA-256. */
export function fingerprint(key: Uint8Array): string {
  return "SHA256:" + createHash("sha256").update(key).digest("base64").replace(/=+$/, "");
}

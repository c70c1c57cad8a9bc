/**
 * @module
 * OpenSSH user certificates for publickey authentication.
 *
 * As rclone 1.60 does: with `key_file`/`key_pem`, a `pubkey_file` must hold an OpenSSH user
 * certificate (`*-cert-v01@openssh.com`) whose embedded public key is the private key's;
 * publickey authentication then offers the certificate and signs with the private key. Without
 * a private key `pubkey_file` is ignored, as in rclone. ssh2 1.17.0 has no certificate
 * support, so two of its internals are relied on (pinned in deno.json; checked when the first
 * certificate is loaded, NotSupportedError otherwise):
 * - a key object made with `Object.create(parsedKey)` still counts as parsed (ssh2's
 *   `isParsedKey` looks up a symbol through the prototype chain), so ssh2 takes its `type` as
 *   the algorithm name and its `getPublicSSH()` as the public key blob;
 * - `Protocol.prototype.authPK(username, key, keyAlgo, cbSign)` is wrapped once: for such a
 *   certificate key with a signing callback it sends the signed USERAUTH_REQUEST itself, because
 *   ssh2 would name the signature after the request's algorithm, while RFC 4252 / OpenSSH
 *   PROTOCOL.certkeys want the certificate algorithm in the request and the plain one
 *   (`ssh-ed25519`, `rsa-sha2-512`, `ecdsa-sha2-*`) in the signature. It uses the instance's
 *   `_kex.sessionID`, `_packetRW.write` (`alloc`, `allocStart`, `finalize`), `_authsQueue`,
 *   `_debug` and the `sendPacket`/`convertSignature` helpers of `protocol/utils.js`. Every
 *   other call (other keys, the unsigned query) goes to ssh2's own method unchanged.
 */

import { Buffer } from "node:buffer";
// @ts-types="@types/ssh2"
import type { ParsedKey } from "ssh2";
import ssh2Protocol from "ssh2/lib/protocol/Protocol.js";
import ssh2ProtocolUtils from "ssh2/lib/protocol/utils.js";
import { InvalidError, NotSupportedError } from "../../errors.ts";
import { sshString, WireReader } from "./ssh_wire.ts";

/** The name suffix of OpenSSH certificate key types. */
const CERT_SUFFIX = "-cert-v01@openssh.com";

/** How many public key fields each supported key type has (RFC 4253, RFC 5656, RFC 8709). */
const KEY_FIELDS: Record<string, number> = {
  "ssh-ed25519": 1,
  "ssh-rsa": 2,
  "ecdsa-sha2-nistp256": 2,
  "ecdsa-sha2-nistp384": 2,
  "ecdsa-sha2-nistp521": 2,
};

/** An OpenSSH certificate read from `pubkey_file`. */
export interface Certificate {
  /** The certificate key type, e.g. `ssh-ed25519-cert-v01@openssh.com`. */
  type: string;
  /** The key type it certifies, e.g. `ssh-ed25519`. */
  keyType: string;
  /** The whole certificate blob (what publickey authentication offers). */
  blob: Buffer;
  /** The certified public key in SSH wire format (what `getPublicSSH()` of its key returns). */
  publicKey: Buffer;
}

/**
 * Parses the certificate in `text` (an authorized_keys style line, `file` names it in errors)
 * like rclone's ParseAuthorizedKey plus its "is a certificate" check, and checks its structure
 * (PROTOCOL.certkeys) down to the CA signature.
 */
export function parseCertificate(text: string, file: string): Certificate {
  const line = text.split("\n").map((l) => l.trim()).find((l) => l !== "" && !l.startsWith("#"));
  const [type = "", b64 = ""] = line?.split(/\s+/) ?? [];
  const bad = (why: string) =>
    new InvalidError(
      `sftp: unable to parse cert file ${JSON.stringify(file)} (pubkey_file): ${why}`,
    );
  if (type === "" || b64 === "") throw bad("no key found");
  if (!type.endsWith(CERT_SUFFIX)) {
    throw new InvalidError(
      `sftp: public key file is not a certificate file: ${JSON.stringify(file)} (pubkey_file)`,
    );
  }
  const keyType = type.slice(0, -CERT_SUFFIX.length);
  const fields = KEY_FIELDS[keyType];
  if (fields === undefined) {
    throw new NotSupportedError(
      `sftp: ${type} certificates (pubkey_file ${JSON.stringify(file)})`,
    );
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw bad("invalid base64");
  const blob = Buffer.from(b64, "base64");
  const r = new WireReader(blob);
  try {
    if (r.bytes().toString("latin1") !== type) throw bad("key type mismatch");
    r.bytes(); // nonce
    const start = r.pos;
    for (let i = 0; i < fields; i++) r.bytes();
    const publicKey = Buffer.concat([sshString(keyType), blob.subarray(start, r.pos)]);
    r.skip(8 + 4); // serial, certificate type
    for (let i = 0; i < 2; i++) r.bytes(); // key id, valid principals
    r.skip(8 + 8); // valid after, valid before
    for (let i = 0; i < 5; i++) r.bytes(); // critical options, extensions, reserved, CA, signature
    if (!r.done) throw bad("trailing data");
    return { type, keyType, blob, publicKey };
  } catch (err) {
    if (err instanceof InvalidError) throw err;
    throw bad((err as Error).message);
  }
}

/** What the wrapped `authPK` needs of a certificate key. */
interface CertSigning {
  /** The signature algorithm name (the plain one). */
  sigAlgo: string;
  /** The key type ssh2's `convertSignature` knows (turns DER ECDSA signatures into SSH's). */
  keyType: string;
}

/** Marks the key objects made by {@link certificateKey}. */
const CERT_SIGNING = Symbol("denoclone ssh certificate signing");

/** The parts of an ssh2 1.17.0 `Protocol` instance the certificate request uses. */
interface Ssh2Protocol {
  _server: boolean;
  _kex: { sessionID: Buffer };
  _packetRW: {
    write: { alloc(n: number): Buffer; allocStart: number; finalize(p: Buffer): Buffer };
  };
  _authsQueue: string[];
  _debug?: (msg: string) => void;
}

type SignCallback = (data: Buffer, done: (signature: Buffer) => void) => void;
type AuthPK = (
  this: Ssh2Protocol,
  username: string,
  key: unknown,
  keyAlgo?: string | SignCallback,
  cbSign?: SignCallback,
) => void;

let certAuthInstalled = false;

/** Wraps ssh2's `Protocol.prototype.authPK` once (see the module doc). */
function installCertAuth(): void {
  if (certAuthInstalled) return;
  const proto = (ssh2Protocol as { prototype?: { authPK?: AuthPK } } | undefined)?.prototype;
  const original = proto?.authPK;
  const { sendPacket, convertSignature } = (ssh2ProtocolUtils ?? {}) as {
    sendPacket?: (proto: Ssh2Protocol, packet: Buffer) => void;
    convertSignature?: (signature: Buffer, keyType: string) => Buffer | false;
  };
  if (!proto || typeof original !== "function" || !sendPacket || !convertSignature) {
    throw new NotSupportedError(
      "sftp: SSH certificate authentication (pubkey_file): this ssh2 lacks the internals it " +
        "relies on",
    );
  }
  proto.authPK = function (this: Ssh2Protocol, username, key, keyAlgo, cbSign) {
    const signing = (key as { [CERT_SIGNING]?: CertSigning } | null)?.[CERT_SIGNING];
    const sign = typeof keyAlgo === "function" ? keyAlgo : cbSign;
    if (!signing || !sign || this._server) {
      return original.call(this, username, key, keyAlgo, cbSign);
    }
    const parsed = key as ParsedKey;
    const request = Buffer.concat([
      Buffer.of(50), // SSH_MSG_USERAUTH_REQUEST
      sshString(username),
      sshString("ssh-connection"),
      sshString("publickey"),
      Buffer.of(1),
      sshString(parsed.type),
      sshString(parsed.getPublicSSH()),
    ]);
    sign(Buffer.concat([sshString(this._kex.sessionID), request]), (signature) => {
      const sig = convertSignature(signature, signing.keyType);
      if (sig === false) throw new Error("Error while converting handshake signature");
      const payload = Buffer.concat([
        request,
        sshString(Buffer.concat([sshString(signing.sigAlgo), sshString(sig)])),
      ]);
      const w = this._packetRW.write;
      const packet = w.alloc(payload.length);
      packet.set(payload, w.allocStart);
      this._authsQueue.push("publickey");
      this._debug?.("Outbound: Sending USERAUTH_REQUEST (publickey, certificate)");
      sendPacket(this, w.finalize(packet));
    });
  };
  certAuthInstalled = true;
}

/**
 * The key ssh2 authenticates with when `key` has the certificate `cert`: it offers the
 * certificate and signs with `key` (RSA with SHA-512, as `rsa-sha2-512-cert-v01@openssh.com`,
 * which OpenSSH servers accept since 7.8). Throws an InvalidError naming `pubkey_file` (`file`)
 * when the certificate is for another key, as rclone's NewCertSigner does.
 */
export function certificateKey(key: ParsedKey, cert: Certificate, file: string): ParsedKey {
  if (!cert.publicKey.equals(key.getPublicSSH())) {
    throw new InvalidError(
      `sftp: error generating cert signer: the certificate in pubkey_file ` +
        `${JSON.stringify(file)} is not for the private key (signer and cert have different ` +
        `public key)`,
    );
  }
  installCertAuth();
  const rsa = cert.keyType === "ssh-rsa";
  const type = rsa ? `rsa-sha2-512${CERT_SUFFIX}` : cert.type;
  const signing: CertSigning = {
    sigAlgo: rsa ? "rsa-sha2-512" : cert.keyType,
    keyType: cert.keyType,
  };
  return Object.create(key, {
    type: { value: type, enumerable: true },
    getPublicSSH: { value: () => Buffer.from(cert.blob) },
    sign: { value: (data: Buffer) => key.sign(data, rsa ? "sha512" : undefined) },
    [CERT_SIGNING]: { value: signing },
  });
}

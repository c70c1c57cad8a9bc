/**
 * @module
 * Turns the sftp options into ssh2 authentication settings as rclone does: `pass` and
 * `key_file_pass` are revealed from their obscured form, `key_pem` (one line with `\n`)
 * overrides `key_file`, `key_use_agent` (or no other method at all) uses `$SSH_AUTH_SOCK`.
 * `ask_password` is refused: denoclone runs as a daemon and never prompts. Secrets found here
 * are registered with the log redactor and never appear in messages.
 *
 * SSH certificates (as rclone 1.60): with `key_file`/`key_pem`, a `pubkey_file` must hold an
 * OpenSSH user certificate (`*-cert-v01@openssh.com`) whose embedded public key is the private
 * key's; publickey authentication then offers the certificate and signs with the private key.
 * Without a private key `pubkey_file` is ignored, as in rclone. ssh2 1.17.0 has no certificate
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
 *
 * ECDSA keys sign through a key object of our own ({@link ecdsaSigningFixed}): the SEC1 PEM
 * ssh2 makes from an OpenSSH ECDSA key keeps the private scalar as the mpint it was stored as
 * (a 0x00 byte in front when its top bit is set, shorter when it has leading zeros), which
 * Deno's node:crypto refuses ("invalid SEC1 private key"), so without this about half of all
 * ECDSA keys could not log in.
 */

import { Buffer } from "node:buffer";
import { createPrivateKey, sign as cryptoSign } from "node:crypto";
// @ts-types="@types/ssh2"
import { type ParsedKey, utils } from "ssh2";
import ssh2Protocol from "ssh2/lib/protocol/Protocol.js";
import ssh2ProtocolUtils from "ssh2/lib/protocol/utils.js";
import { reveal } from "../../config/obscure.ts";
import { addSecret } from "../../util/log.ts";
import { InvalidError, NotSupportedError } from "../../errors.ts";
import type { OptionValue } from "../../config/option_schema.ts";

/** The authentication part of an ssh2 connect config. */
export interface SshAuth {
  /** Plain password. */
  password?: string;
  /** The private key, parsed (and decrypted) once. */
  privateKey?: ParsedKey;
  /** Path of the ssh-agent socket. */
  agent?: string;
  /** Which methods are configured, for messages (`password`, `publickey`, `agent`). */
  methods: string[];
}

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
interface Certificate {
  /** The certificate key type, e.g. `ssh-ed25519-cert-v01@openssh.com`. */
  type: string;
  /** The key type it certifies, e.g. `ssh-ed25519`. */
  keyType: string;
  /** The whole certificate blob (what publickey authentication offers). */
  blob: Buffer;
  /** The certified public key in SSH wire format (what `getPublicSSH()` of its key returns). */
  publicKey: Buffer;
}

/** Reads SSH wire format values (RFC 4251) from a buffer; throws on truncation. */
class WireReader {
  #buf: Buffer;
  #pos = 0;
  constructor(buf: Buffer) {
    this.#buf = buf;
  }
  get pos(): number {
    return this.#pos;
  }
  get done(): boolean {
    return this.#pos === this.#buf.length;
  }
  skip(n: number): void {
    if (this.#pos + n > this.#buf.length) throw new RangeError("truncated certificate");
    this.#pos += n;
  }
  bytes(): Buffer {
    this.skip(4);
    const len = this.#buf.readUInt32BE(this.#pos - 4);
    this.skip(len);
    return this.#buf.subarray(this.#pos - len, this.#pos);
  }
}

/** `value` as an SSH wire format string (uint32 length, then the bytes). */
function sshString(value: Uint8Array | string): Buffer {
  const b = typeof value === "string" ? Buffer.from(value, "utf8") : value;
  const out = Buffer.allocUnsafe(4 + b.length);
  out.writeUInt32BE(b.length, 0);
  out.set(b, 4);
  return out;
}

/**
 * Parses the certificate in `text` (an authorized_keys style line, `file` names it in errors)
 * like rclone's ParseAuthorizedKey plus its "is a certificate" check, and checks its structure
 * (PROTOCOL.certkeys) down to the CA signature.
 */
function parseCertificate(text: string, file: string): Certificate {
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
function certificateKey(key: ParsedKey, cert: Certificate, file: string): ParsedKey {
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

/** The JWK curve name and signature hash of each ECDSA key type (RFC 5656). */
const ECDSA_CURVES: Record<string, { crv: string; size: number; hash: string }> = {
  "ecdsa-sha2-nistp256": { crv: "P-256", size: 32, hash: "sha256" },
  "ecdsa-sha2-nistp384": { crv: "P-384", size: 48, hash: "sha384" },
  "ecdsa-sha2-nistp521": { crv: "P-521", size: 66, hash: "sha512" },
};

/** Reads the private scalar out of the SEC1 `ECPrivateKey` DER of ssh2's private PEM. */
function sec1PrivateScalar(pem: string): Buffer {
  const der = Buffer.from(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64");
  let p = 1; // SEQUENCE
  const len = der[p++] ?? 0;
  if (len & 0x80) p += len & 0x7f;
  if (der[p] !== 0x02 || der[p + 1] !== 0x01 || der[p + 3] !== 0x04) {
    throw new RangeError("unexpected ECPrivateKey layout");
  }
  const n = der[p + 4] ?? 0;
  return der.subarray(p + 5, p + 5 + n);
}

/**
 * `key` itself unless it is an ECDSA key, which gets a `sign()` of its own that signs with the
 * private scalar padded or trimmed to the curve's size (see the module doc); everything else
 * (type, public key, PEMs) is `key`'s.
 */
function ecdsaSigningFixed(key: ParsedKey): ParsedKey {
  const curve = ECDSA_CURVES[key.type];
  if (!curve) return key;
  try {
    return ecdsaKeyWithOwnSigning(key, curve);
  } catch {
    // A layout this code does not know: ssh2 signs as it would without the fix.
    return key;
  }
}

/** {@link ecdsaSigningFixed} for a key on `curve`; throws when ssh2's PEM is not SEC1. */
function ecdsaKeyWithOwnSigning(
  key: ParsedKey,
  curve: { crv: string; size: number; hash: string },
): ParsedKey {
  const r = new WireReader(key.getPublicSSH());
  r.bytes(); // key type
  r.bytes(); // curve identifier
  const q = r.bytes(); // 0x04 || x || y
  let d = sec1PrivateScalar(key.getPrivatePEM());
  while (d.length > curve.size && d[0] === 0) d = d.subarray(1);
  const scalar = Buffer.alloc(curve.size);
  scalar.set(d, curve.size - d.length);
  const b64u = (b: Uint8Array) => Buffer.from(b).toString("base64url");
  const privateKey = createPrivateKey({
    key: {
      kty: "EC",
      crv: curve.crv,
      d: b64u(scalar),
      x: b64u(q.subarray(1, 1 + curve.size)),
      y: b64u(q.subarray(1 + curve.size)),
    },
    format: "jwk",
  });
  scalar.fill(0);
  return Object.create(key, {
    sign: {
      value: (data: Buffer | string) => {
        try {
          return cryptoSign(curve.hash, Buffer.from(data), privateKey);
        } catch (err) {
          return err;
        }
      },
    },
  });
}

/** Expands a leading `~` and `$VAR`/`${VAR}` in a path, as rclone's ShellExpand does. */
export function expandPath(path: string, env: Record<string, string | undefined>): string {
  let p = path;
  if (p === "~" || p.startsWith("~/")) p = (env.HOME ?? "") + p.slice(1);
  return p.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (_m, a?: string, b?: string) => env[(a ?? b)!] ?? "",
  );
}

function revealOption(name: string, value: string): string {
  try {
    const plain = reveal(value);
    addSecret(plain);
    return plain;
  } catch (err) {
    const what = name === "pass" ? "password" : "key file password";
    throw new InvalidError(`sftp: couldn't decrypt ${what} (${name}): ${(err as Error).message}`);
  }
}

/**
 * Builds the authentication settings. `options` are the resolved sftp options with `pass` and
 * `key_file_pass` still obscured. Reads key files; errors name the option and the file.
 */
export async function buildAuth(
  options: Record<string, OptionValue>,
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Promise<SshAuth> {
  const str = (k: string) => String(options[k] ?? "");
  const auth: SshAuth = { methods: [] };
  if (options.ask_password === true && str("pass") === "") {
    throw new NotSupportedError(
      "sftp: ask_password: denoclone runs non-interactively and cannot prompt for a " +
        "password; set pass (obscured), key_file or key_pem instead",
    );
  }
  if (str("pass") !== "") {
    auth.password = revealOption("pass", str("pass"));
    auth.methods.push("password");
  }
  let keyText = "";
  if (str("key_pem") !== "") {
    keyText = str("key_pem").replaceAll("\\n", "\n").replaceAll("\r", "");
    addSecret(keyText);
  } else if (str("key_file") !== "") {
    const file = expandPath(str("key_file"), env);
    try {
      keyText = await Deno.readTextFile(file);
    } catch (err) {
      throw new InvalidError(
        `sftp: failed to read private key file ${JSON.stringify(file)} (key_file): ${
          (err as Error).message
        }`,
      );
    }
  }
  if (keyText !== "") {
    let passphrase: string | undefined;
    if (str("key_file_pass") !== "") {
      passphrase = revealOption("key_file_pass", str("key_file_pass"));
    }
    const source = str("key_pem") !== ""
      ? "key_pem"
      : `key_file ${JSON.stringify(str("key_file"))}`;
    const parsed = utils.parseKey(keyText, passphrase);
    const key = Array.isArray(parsed) ? parsed[0] : parsed;
    if (!key || key instanceof Error) {
      const why = key instanceof Error ? key.message : "no key found";
      throw new InvalidError(
        `sftp: couldn't parse the private key from ${source}: ${why}` +
          (/passphrase|encrypted/i.test(why) && passphrase === undefined
            ? " (set key_file_pass)"
            : ""),
      );
    }
    if (!key.isPrivateKey()) {
      throw new InvalidError(`sftp: ${source} does not hold a private key`);
    }
    auth.privateKey = ecdsaSigningFixed(key);
    auth.methods.push("publickey");
  }
  if (str("pubkey_file") !== "" && auth.privateKey) {
    const file = expandPath(str("pubkey_file"), env);
    let pub: string;
    try {
      pub = await Deno.readTextFile(file);
    } catch (err) {
      throw new InvalidError(
        `sftp: unable to read cert file ${JSON.stringify(file)} (pubkey_file): ${
          (err as Error).message
        }`,
      );
    }
    auth.privateKey = certificateKey(auth.privateKey, parseCertificate(pub, file), file);
  }
  const noOther = auth.methods.length === 0;
  if (options.key_use_agent === true || noOther) {
    const sock = env.SSH_AUTH_SOCK;
    if (sock) {
      auth.agent = sock;
      auth.methods.push("agent");
    } else if (options.key_use_agent === true) {
      throw new InvalidError(
        "sftp: key_use_agent is set but SSH_AUTH_SOCK is not: couldn't connect to ssh-agent",
      );
    }
  }
  if (auth.methods.length === 0) {
    throw new InvalidError(
      "sftp: no authentication method: set pass (obscured), key_file, key_pem or " +
        "key_use_agent (with SSH_AUTH_SOCK)",
    );
  }
  return auth;
}

/**
 * @module
 * ECDSA keys sign through a key object of our own ({@link ecdsaSigningFixed}): the SEC1 PEM
 * ssh2 makes from an OpenSSH ECDSA key keeps the private scalar as the mpint it was stored as
 * (a 0x00 byte in front when its top bit is set, shorter when it has leading zeros), which
 * Deno's node:crypto refuses ("invalid SEC1 private key"), so without this about half of all
 * ECDSA keys could not log in.
 */

import { Buffer } from "node:buffer";
import { createPrivateKey, sign as cryptoSign } from "node:crypto";
// @ts-types="@types/ssh2"
import type { ParsedKey } from "ssh2";
import { WireReader } from "./ssh_wire.ts";

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
export function ecdsaSigningFixed(key: ParsedKey): ParsedKey {
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

/**
 * @module
 * SSH certificate authentication against a real sshd that trusts a user CA
 * (`TrustedUserCAKeys`): a client key that is NOT in authorized_keys logs in with `key_file` +
 * `pubkey_file` holding its certificate (ed25519, RSA and ECDSA keys), is refused without the
 * certificate, and a certificate for another key or from an untrusted CA is a clear error. An
 * ECDSA key that ssh2 alone cannot sign with under Deno (mpint-padded scalar) logs in too.
 */

import { deepStrictEqual as assertEquals, ok as assert, rejects } from "node:assert/strict";
// @ts-types="@types/ssh2"
import { type ParsedKey, utils } from "ssh2";
import { SftpBackend } from "../lib/backends/sftp/sftp.ts";
import { SshConnectError } from "../lib/backends/sftp/ssh_connection.ts";
import type { OptionValue } from "../lib/config/option_schema.ts";
import { InvalidError } from "../lib/errors.ts";
import { SSHD_TEST_USER, type SshdServer, startSshd } from "./helpers/sshd.ts";
import { sftpOptions, sftpTest } from "./sftp_fixtures.ts";

async function run(cmd: string, args: string[]): Promise<void> {
  const out = await new Deno.Command(cmd, { args, stdout: "null", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
}

/** Makes an unencrypted key pair `<dir>/<name>` of `type`. */
async function keygen(dir: string, name: string, type: string): Promise<string> {
  await run("ssh-keygen", ["-q", "-t", type, "-N", "", "-C", name, "-f", `${dir}/${name}`]);
  return `${dir}/${name}`;
}

/** Signs `<key>.pub` with CA `ca` for the test user; returns the `-cert.pub` path. */
async function certify(ca: string, key: string): Promise<string> {
  await run("ssh-keygen", ["-q", "-s", ca, "-I", "test", "-n", SSHD_TEST_USER, `${key}.pub`]);
  return `${key}-cert.pub`;
}

/** Key-only options for `s` (no password). */
function keyOptions(s: SshdServer, extra: Record<string, OptionValue>) {
  const o = sftpOptions(s, extra);
  delete o.pass;
  return o;
}

/** Connects with `options`, writes and reads back a file, and closes. */
async function roundTrip(s: SshdServer, options: Record<string, OptionValue>): Promise<void> {
  const root = await s.newRoot();
  const b = await SftpBackend.create({ root, options, name: "cert" });
  try {
    const data = new TextEncoder().encode("signed by a user CA");
    await b.write("cert.txt", ReadableStream.from([data]));
    const got = new Uint8Array(await new Response(await b.read("cert.txt")).arrayBuffer());
    assertEquals(got, data);
  } finally {
    await b.close();
  }
}

sftpTest("sftp cert auth: a CA-signed certificate logs in, its bare key does not", async () => {
  const dir = await Deno.makeTempDir({ prefix: "denoclone-cert-" });
  let s: SshdServer | undefined;
  try {
    const ca = await keygen(dir, "ca", "ed25519");
    const otherCa = await keygen(dir, "other_ca", "ed25519");
    s = await startSshd({ extraConfig: [`TrustedUserCAKeys ${ca}.pub`] });
    for (const type of ["ed25519", "rsa", "ecdsa"]) {
      const key = await keygen(dir, `user_${type}`, type);
      const cert = await certify(ca, key);
      await roundTrip(s, keyOptions(s, { key_file: key, pubkey_file: cert }));
      const pem = (await Deno.readTextFile(key)).trim().replaceAll("\n", "\\n");
      await roundTrip(s, keyOptions(s, { key_pem: pem, pubkey_file: cert }));
    }

    // An ECDSA key whose scalar ssh2 keeps mpint-padded (ssh2 alone cannot sign with it here).
    let padded: string | undefined;
    for (let i = 0; i < 20 && !padded; i++) {
      const k = await keygen(dir, `padded_${i}`, "ecdsa");
      const raw = utils.parseKey(await Deno.readTextFile(k)) as ParsedKey;
      if (raw.sign("probe") instanceof Error) padded = k;
    }
    assert(padded, "one of 20 ECDSA keys has a padded scalar");
    await roundTrip(s, keyOptions(s, { key_file: padded, pubkey_file: await certify(ca, padded) }));

    const key = `${dir}/user_ed25519`;
    const bare = await SftpBackend.create({
      root: "",
      options: keyOptions(s, { key_file: key }),
      name: "cert",
    }).then(() => undefined, (e) => e);
    assert(bare instanceof SshConnectError, `got ${bare}`);
    assertEquals(bare.kind, "auth");
    assert(bare.message.includes("authentication failed"), bare.message);

    const other = await keygen(dir, "other_user", "ed25519");
    const otherCert = await certify(ca, other);
    await rejects(
      SftpBackend.create({
        root: "",
        options: keyOptions(s, { key_file: key, pubkey_file: otherCert }),
        name: "cert",
      }),
      (e) =>
        e instanceof InvalidError && e.message.includes("pubkey_file") &&
        e.message.includes("different public key"),
    );

    const untrusted = `${dir}/untrusted`;
    await Deno.copyFile(key, untrusted);
    await Deno.copyFile(`${key}.pub`, `${untrusted}.pub`);
    const untrustedCert = await certify(otherCa, untrusted);
    const err = await SftpBackend.create({
      root: "",
      options: keyOptions(s, { key_file: untrusted, pubkey_file: untrustedCert }),
      name: "cert",
    }).then(() => undefined, (e) => e);
    assert(err instanceof SshConnectError, `got ${err}`);
    assertEquals(err.kind, "auth");
    assert(err.message.includes("authentication failed (tried publickey)"), err.message);
  } finally {
    await s?.close();
    await Deno.remove(dir, { recursive: true });
  }
});

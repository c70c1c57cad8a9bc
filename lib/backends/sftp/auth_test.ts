import { deepStrictEqual as assertEquals, ok as assert, rejects } from "node:assert/strict";
// @ts-types="@types/ssh2"
import { type ParsedKey, utils } from "ssh2";
import { buildAuth, expandPath } from "./auth.ts";
import { obscure } from "../../config/obscure.ts";
import { InvalidError, NotSupportedError } from "../../errors.ts";
import { redact } from "../../util/log.ts";

Deno.test("expandPath() expands ~ and environment variables like rclone", () => {
  const env = { HOME: "/home/u", KEYS: "/etc/keys" };
  assertEquals(expandPath("~/.ssh/id", env), "/home/u/.ssh/id");
  assertEquals(expandPath("$KEYS/id", env), "/etc/keys/id");
  assertEquals(expandPath("${KEYS}/id", env), "/etc/keys/id");
  assertEquals(expandPath("/abs/~x", env), "/abs/~x");
});

Deno.test("buildAuth() reveals pass and registers it as a secret", async () => {
  const secret = "s3cret-Password-xyz";
  const a = await buildAuth({ pass: obscure(secret) }, {});
  assertEquals(a.password, secret);
  assertEquals(a.methods, ["password"]);
  assert(!redact(`oops ${secret}`).includes(secret), "the password is redacted from logs");
});

Deno.test("buildAuth() refuses ask_password without a pass", async () => {
  await rejects(buildAuth({ ask_password: true }, {}), NotSupportedError);
  const a = await buildAuth({ ask_password: true, pass: obscure("pw") }, {});
  assertEquals(a.methods, ["password"]);
});

Deno.test("buildAuth() falls back to ssh-agent, and errors when there is nothing", async () => {
  const a = await buildAuth({}, { SSH_AUTH_SOCK: "/run/agent.sock" });
  assertEquals([a.agent, a.methods], ["/run/agent.sock", ["agent"]]);
  await rejects(buildAuth({}, {}), InvalidError);
  await rejects(buildAuth({ key_use_agent: true, pass: obscure("x") }, {}), /SSH_AUTH_SOCK/);
});

Deno.test("buildAuth() reads key_file and key_pem, and names a bad key file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = await new Deno.Command("ssh-keygen", {
      args: ["-q", "-t", "ed25519", "-N", "", "-f", `${dir}/k`],
    }).output();
    assert(out.success);
    const a = await buildAuth({ key_file: "$D/k" }, { D: dir });
    assertEquals(a.methods, ["publickey"]);
    assert(a.privateKey?.isPrivateKey());
    const pem = (await Deno.readTextFile(`${dir}/k`)).trim().replaceAll("\n", "\\n");
    const b = await buildAuth({ key_pem: pem, key_file: "/does/not/matter" }, {});
    assertEquals(b.privateKey?.getPublicSSH(), a.privateKey?.getPublicSSH());
    await rejects(buildAuth({ key_file: `${dir}/missing` }, {}), /missing.*key_file/);
    await Deno.writeTextFile(`${dir}/junk`, "not a key");
    await rejects(buildAuth({ key_file: `${dir}/junk` }, {}), /couldn't parse the private key/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

async function keygen(...args: string[]): Promise<void> {
  const out = await new Deno.Command("ssh-keygen", { args: ["-q", ...args], stderr: "piped" })
    .output();
  assert(out.success, new TextDecoder().decode(out.stderr));
}

Deno.test("buildAuth() uses an OpenSSH certificate from pubkey_file like rclone", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const k of ["ca", "k", "other"]) {
      await keygen("-t", "ed25519", "-N", "", "-f", `${dir}/${k}`);
    }
    await keygen("-s", `${dir}/ca`, "-I", "t", "-n", "u", `${dir}/k.pub`, `${dir}/other.pub`);
    const plain = await buildAuth({ key_file: `${dir}/k` }, {});
    const a = await buildAuth({ key_file: `${dir}/k`, pubkey_file: `${dir}/k-cert.pub` }, {});
    const key = a.privateKey!;
    assertEquals(a.methods, ["publickey"]);
    assertEquals(key.type as string, "ssh-ed25519-cert-v01@openssh.com");
    const certB64 = (await Deno.readTextFile(`${dir}/k-cert.pub`)).split(" ")[1] ?? "";
    assertEquals(key.getPublicSSH().toString("base64"), certB64);
    assert(key.isPrivateKey());
    const data = "to be signed";
    assert(plain.privateKey!.verify(data, key.sign(data)), "signed by the private key");

    // rclone: the certificate must be for the private key, and pubkey_file must be a certificate.
    await rejects(
      buildAuth({ key_file: `${dir}/k`, pubkey_file: `${dir}/other-cert.pub` }, {}),
      (e) => e instanceof InvalidError && /pubkey_file.*different public key/.test(e.message),
    );
    await rejects(
      buildAuth({ key_file: `${dir}/k`, pubkey_file: `${dir}/k.pub` }, {}),
      /not a certificate file.*pubkey_file/,
    );
    await rejects(
      buildAuth({ key_file: `${dir}/k`, pubkey_file: `${dir}/missing` }, {}),
      /unable to read cert file.*missing.*pubkey_file/,
    );
    const truncated = `ssh-ed25519-cert-v01@openssh.com ${certB64.slice(0, 80)}\n`;
    await Deno.writeTextFile(`${dir}/bad-cert.pub`, truncated);
    await rejects(
      buildAuth({ key_file: `${dir}/k`, pubkey_file: `${dir}/bad-cert.pub` }, {}),
      /unable to parse cert file.*pubkey_file/,
    );
    await Deno.writeTextFile(`${dir}/sk-cert.pub`, "sk-ssh-ed25519-cert-v01@openssh.com AAAA\n");
    await rejects(
      buildAuth({ key_file: `${dir}/k`, pubkey_file: `${dir}/sk-cert.pub` }, {}),
      NotSupportedError,
    );
    // Without a private key rclone ignores pubkey_file.
    const p = await buildAuth({ pass: obscure("pw"), pubkey_file: `${dir}/missing` }, {});
    assertEquals([p.methods, p.privateKey], [["password"], undefined]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("buildAuth() ECDSA keys sign even when ssh2's SEC1 scalar is mpint-padded", async () => {
  const dir = await Deno.makeTempDir();
  try {
    let padded = 0;
    for (const bits of ["256", "384", "521"]) {
      for (let i = 0; i < 8; i++) {
        const f = `${dir}/ecdsa${bits}_${i}`;
        await keygen("-t", "ecdsa", "-b", bits, "-N", "", "-f", f);
        const key = (await buildAuth({ key_file: f }, {})).privateKey!;
        const raw = utils.parseKey(await Deno.readTextFile(f)) as ParsedKey;
        // ssh2's own signing fails here exactly when its SEC1 scalar is longer than the curve.
        if (raw.sign("x") instanceof Error) padded++;
        const data = `data ${bits} ${i}`;
        const sig = key.sign(data);
        assert(!(sig instanceof Error), `${f}: ${sig}`);
        assert(raw.verify(data, sig), `${f}: the signature verifies with the public key`);
        assertEquals(key.getPublicSSH(), raw.getPublicSSH());
        assertEquals(key.type, raw.type);
      }
    }
    assert(padded > 0, "at least one of 24 keys hits the padded-scalar case");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  checkHostKey,
  fingerprint,
  keyTypeOf,
  knownHostsName,
  knownKeyTypes,
  parseKnownHosts,
} from "./known_hosts.ts";

async function sh(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stderr: "piped" }).output();
  if (!out.success) throw new Error(`${cmd} failed: ${new TextDecoder().decode(out.stderr)}`);
  return new TextDecoder().decode(out.stdout);
}

/** Generates a real key pair with ssh-keygen; returns the public line's type and base64. */
async function newKey(dir: string, name: string, type: string): Promise<[string, string]> {
  await sh("ssh-keygen", ["-q", "-t", type, "-N", "", "-f", `${dir}/${name}`]);
  const [t, b64] = (await Deno.readTextFile(`${dir}/${name}.pub`)).trim().split(/\s+/);
  return [t!, b64!];
}

function blob(b64: string): Uint8Array {
  return new Uint8Array(Buffer.from(b64, "base64"));
}

Deno.test("knownHostsName() brackets non-standard ports only", () => {
  assertEquals(knownHostsName("example.com", 22), "example.com");
  assertEquals(knownHostsName("127.0.0.1", 2222), "[127.0.0.1]:2222");
  assertEquals(knownHostsName("Host.Example", 22), "host.example");
});

Deno.test("checkHostKey() accepts the listed key and refuses others and unknown hosts", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const [edType, ed] = await newKey(dir, "a", "ed25519");
    const [ecType, ec] = await newKey(dir, "b", "ecdsa");
    const [, other] = await newKey(dir, "c", "ed25519");
    const entries = parseKnownHosts(
      [
        "# comment",
        "",
        `[127.0.0.1]:2222 ${edType} ${ed} some comment`,
        `host.example,10.0.0.1 ${ecType} ${ec}`,
        "garbage line",
        `@cert-authority *.example ${edType} ${other}`,
      ].join("\n"),
    );
    assertEquals(entries.length, 2);
    assertEquals(checkHostKey(entries, "127.0.0.1", 2222, blob(ed)), { ok: true });
    assertEquals(checkHostKey(entries, "10.0.0.1", 22, blob(ec)), { ok: true });
    const mismatch = checkHostKey(entries, "127.0.0.1", 2222, blob(other));
    assertEquals(mismatch, { ok: false, reason: "mismatch", knownTypes: [edType] });
    const wrongPort = checkHostKey(entries, "127.0.0.1", 22, blob(ed));
    assertEquals(wrongPort, { ok: false, reason: "unknown", knownTypes: [] });
    assertEquals(knownKeyTypes(entries, "host.example", 22), [ecType]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("checkHostKey() matches names hashed by ssh-keygen -H", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const [t, k] = await newKey(dir, "a", "ed25519");
    await Deno.writeTextFile(`${dir}/kh`, `[10.1.2.3]:2200 ${t} ${k}\nplain.example ${t} ${k}\n`);
    await sh("ssh-keygen", ["-H", "-f", `${dir}/kh`]);
    const text = await Deno.readTextFile(`${dir}/kh`);
    assert(!text.includes("10.1.2.3") && !text.includes("plain.example"), "names are hashed");
    const entries = parseKnownHosts(text);
    assertEquals(checkHostKey(entries, "10.1.2.3", 2200, blob(k)), { ok: true });
    assertEquals(checkHostKey(entries, "PLAIN.example", 22, blob(k)), { ok: true });
    assertEquals(checkHostKey(entries, "plain.example", 22, blob(k)), { ok: true });
    assertEquals(checkHostKey(entries, "10.1.2.3", 22, blob(k)).ok, false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("checkHostKey() honours wildcards, negation and @revoked", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const [t, k] = await newKey(dir, "a", "ed25519");
    const [, bad] = await newKey(dir, "b", "ed25519");
    const entries = parseKnownHosts(
      `*.example.org,!secret.example.org ${t} ${k}\n@revoked * ${t} ${bad}\n`,
    );
    assertEquals(checkHostKey(entries, "a.example.org", 22, blob(k)), { ok: true });
    assertEquals(checkHostKey(entries, "secret.example.org", 22, blob(k)).ok, false);
    const revoked = checkHostKey(entries, "a.example.org", 22, blob(bad));
    assertEquals(revoked.ok ? "" : revoked.reason, "revoked");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fingerprint() and keyTypeOf() agree with ssh-keygen -l", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const type of ["ed25519", "ecdsa", "rsa"]) {
      const [t, k] = await newKey(dir, type, type);
      const line = await sh("ssh-keygen", ["-l", "-E", "sha256", "-f", `${dir}/${type}.pub`]);
      assertEquals(fingerprint(blob(k)), line.split(/\s+/)[1]);
      assertEquals(keyTypeOf(blob(k)), t);
    }
    assertEquals(keyTypeOf(new Uint8Array([0, 0])), "unknown");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * @module
 * Connecting the sftp backend to a real sshd: every authentication method that must work does,
 * and every failure (wrong password, wrong or unknown host key, unreachable port, bad obscured
 * value, encrypted key without its passphrase, ask_password) is a clear error that names the
 * server or option and contains no secret, neither in the message nor in debug logs.
 */

import { deepStrictEqual as assertEquals, ok as assert, rejects } from "node:assert/strict";
import { SftpBackend } from "../lib/backends/sftp/sftp.ts";
import { SFTP_OPTIONS } from "../lib/backends/sftp/sftp_options.ts";
import { sftpCall, SshConnectError } from "../lib/backends/sftp/ssh_connection.ts";
import { sodiumSshSupport } from "../lib/backends/sftp/ssh_sodium.ts";
import { defaultsOf, type OptionValue } from "../lib/config/option_schema.ts";
import { obscure } from "../lib/config/obscure.ts";
import { InvalidError, NotSupportedError } from "../lib/errors.ts";
import { captureLog } from "./helpers/capture_log.ts";
import { SSHD_KEY_PASSPHRASE, type SshdServer } from "./helpers/sshd.ts";
import { bareConnection, sftpTest } from "./sftp_fixtures.ts";

function opts(s: SshdServer, extra: Record<string, OptionValue>): Record<string, OptionValue> {
  return {
    ...defaultsOf(SFTP_OPTIONS),
    host: s.host,
    port: s.port,
    user: s.user,
    known_hosts_file: s.knownHostsFile,
    disable_hashcheck: true,
    ...extra,
  };
}

function assertNoSecret(text: string, ...secrets: string[]): void {
  for (const s of secrets) assert(!text.includes(s), `secret leaked into: ${text}`);
}

sftpTest("sftp connect: password, key file, encrypted key and key_pem all log in", async (t) => {
  const s = await t.sshd();
  const root = await s.newRoot();
  const pem = (await Deno.readTextFile(s.keyFile)).trim().replaceAll("\n", "\\n");
  const variants: Record<string, OptionValue>[] = [
    { pass: obscure(s.password) },
    { key_file: s.keyFile },
    { key_file: s.encryptedKeyFile, key_file_pass: obscure(SSHD_KEY_PASSPHRASE) },
    { key_pem: pem },
  ];
  for (const v of variants) {
    const b = await SftpBackend.create({ root, options: opts(s, v), name: "t" });
    try {
      await b.write("probe.txt", ReadableStream.from([new TextEncoder().encode("hi")]));
      assertEquals((await b.stat("probe.txt")).size, 2);
      await b.remove("probe.txt");
    } finally {
      await b.close();
    }
  }
});

sftpTest(
  "sftp connect: negotiates the fastest cipher here and a kex that works under Deno",
  async (t) => {
    const s = await t.sshd();
    const logs = await captureLog(async () => {
      await t.backend(s);
    });
    const support = sodiumSshSupport();
    const want = support.aes256gcm
      ? "cipher aes256-gcm@openssh.com (libsodium)"
      : support.chacha
      ? "cipher chacha20-poly1305@openssh.com (libsodium)"
      : "cipher chacha20-poly1305@openssh.com";
    assert(logs.includes(want), logs);
    assert(/kex curve25519-sha256/.test(logs), logs);
  },
);

sftpTest("sftp connect: a wrong password is a clear error without the password", async (t) => {
  const s = await t.sshd();
  const wrong = "Wrong-Password-9x7";
  const obscured = obscure(wrong);
  let err: unknown;
  const logs = await captureLog(async () => {
    err = await SftpBackend.create({
      root: "",
      options: opts(s, { pass: obscured }),
      name: "t",
    }).then(() => undefined, (e) => e);
  });
  assert(err instanceof SshConnectError, `got ${err}`);
  assertEquals(err.kind, "auth");
  assert(err.message.includes(`${s.user}@127.0.0.1:${s.port}`), err.message);
  assert(err.message.includes("authentication failed"), err.message);
  assertNoSecret(err.message + (err.stack ?? "") + logs, wrong, obscured, s.password);
});

sftpTest("sftp connect: a host key mismatch is refused, never accepted", async (t) => {
  const s = await t.sshd();
  const err = await SftpBackend.create({
    root: "",
    options: opts(s, { pass: obscure(s.password), known_hosts_file: s.wrongKnownHostsFile }),
    name: "t",
  }).then(() => undefined, (e) => e);
  assert(err instanceof SshConnectError, `got ${err}`);
  assertEquals(err.kind, "host-key");
  assert(err.message.includes("host key verification failed"), err.message);
  assert(err.message.includes("does not match"), err.message);
  assert(err.message.includes(s.wrongKnownHostsFile), err.message);
  assert(/SHA256:[A-Za-z0-9+/]+/.test(err.message), "names the key's fingerprint");
  assertNoSecret(err.message, s.password);
});

sftpTest("sftp connect: a host missing from known_hosts_file is refused", async (t) => {
  const s = await t.sshd();
  const file = `${s.dir}/known_hosts_other`;
  const line = (await Deno.readTextFile(s.knownHostsFile)).split("\n")[0]!;
  await Deno.writeTextFile(file, line.replace(`[127.0.0.1]:${s.port}`, "[127.0.0.1]:1") + "\n");
  const err = await SftpBackend.create({
    root: "",
    options: opts(s, { pass: obscure(s.password), known_hosts_file: file }),
    name: "t",
  }).then(() => undefined, (e) => e);
  assert(err instanceof SshConnectError, `got ${err}`);
  assertEquals(err.kind, "host-key");
  assert(err.message.includes("is unknown"), err.message);
});

sftpTest("sftp connect: hashed known_hosts entries are accepted", async (t) => {
  const s = await t.sshd();
  const file = `${s.dir}/known_hosts_hashed`;
  await Deno.copyFile(s.knownHostsFile, file);
  const out = await new Deno.Command("ssh-keygen", { args: ["-H", "-f", file], stderr: "null" })
    .output();
  assert(out.success, "ssh-keygen -H");
  assert((await Deno.readTextFile(file)).startsWith("|1|"), "file is hashed");
  const b = await SftpBackend.create({
    root: await s.newRoot(),
    options: opts(s, { pass: obscure(s.password), known_hosts_file: file }),
    name: "t",
  });
  try {
    assertEquals(await b.list(""), []);
  } finally {
    await b.close();
  }
});

sftpTest("sftp connect: an unreachable port is a clear, fast error", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  const started = Date.now();
  const err = await SftpBackend.create({
    root: "",
    options: {
      ...defaultsOf(SFTP_OPTIONS),
      host: "127.0.0.1",
      port,
      user: "nobody",
      pass: obscure("irrelevant-secret"),
    },
    name: "t",
  }).then(() => undefined, (e) => e);
  assert(err instanceof SshConnectError, `got ${err}`);
  assertEquals(err.kind, "refused");
  assert(err.message.includes(`nobody@127.0.0.1:${port}`), err.message);
  assert(err.message.includes("connection refused"), err.message);
  assert(Date.now() - started < 5000, "fails at once");
  assertNoSecret(err.message, "irrelevant-secret");
});

sftpTest(
  "sftp connect: a pass that is not obscured gives rclone's error, not the value",
  async () => {
    const plain = "plainsecretvalue";
    await rejects(
      SftpBackend.create({
        root: "",
        options: { ...defaultsOf(SFTP_OPTIONS), host: "127.0.0.1", pass: plain },
        name: "t",
      }),
      (err: unknown) => {
        assert(err instanceof InvalidError, `got ${err}`);
        assert(
          err.message.includes("input too short when revealing password - is it obscured?"),
          err.message,
        );
        assertNoSecret(err.message, plain);
        return true;
      },
    );
    await rejects(
      SftpBackend.create({
        root: "",
        options: { ...defaultsOf(SFTP_OPTIONS), host: "127.0.0.1", pass: "not*base64*at*all" },
        name: "t",
      }),
      /base64 decode failed when revealing password - is it obscured\?/,
    );
  },
);

sftpTest(
  "sftp connect: an encrypted key needs key_file_pass, and a wrong one fails clearly",
  async (t) => {
    const s = await t.sshd();
    await rejects(
      SftpBackend.create({
        root: "",
        options: opts(s, { key_file: s.encryptedKeyFile }),
        name: "t",
      }),
      (err: unknown) => {
        assert(err instanceof InvalidError, `got ${err}`);
        assert(err.message.includes("key_file_pass"), err.message);
        assert(err.message.includes(s.encryptedKeyFile), err.message);
        return true;
      },
    );
    const wrong = "not-the-passphrase";
    await rejects(
      SftpBackend.create({
        root: "",
        options: opts(s, { key_file: s.encryptedKeyFile, key_file_pass: obscure(wrong) }),
        name: "t",
      }),
      (err: unknown) => {
        assert(err instanceof InvalidError, `got ${err}`);
        assert(err.message.includes("couldn't parse the private key"), err.message);
        assertNoSecret(err.message, wrong, SSHD_KEY_PASSPHRASE);
        return true;
      },
    );
  },
);

sftpTest("sftp connect: ask_password is refused (no prompts in a daemon)", async () => {
  await rejects(
    SftpBackend.create({
      root: "",
      options: { ...defaultsOf(SFTP_OPTIONS), host: "127.0.0.1", ask_password: true },
      name: "t",
    }),
    (err: unknown) => err instanceof NotSupportedError && /ask_password/.test(err.message),
  );
});

sftpTest("sftp connect: hash commands are detected on a unix shell", async (t) => {
  const s = await t.sshd();
  const b = await SftpBackend.create({
    root: await s.newRoot(),
    options: opts(s, { pass: obscure(s.password), disable_hashcheck: false }),
    name: "t",
  });
  try {
    assertEquals(b.features.hashes, ["md5", "sha1"]);
  } finally {
    await b.close();
  }
  const none = await SftpBackend.create({
    root: "",
    options: opts(s, { pass: obscure(s.password), md5sum_command: "none", shell_type: "unix" }),
    name: "t",
  });
  try {
    assertEquals(none.features.hashes, []);
    assertEquals(none.hash, undefined);
  } finally {
    await none.close();
  }
});

sftpTest("sftp connect: many commands at once on one connection all run", async (t) => {
  const s = await t.sshd();
  const conn = await bareConnection(s);
  t.track(conn);
  // OpenSSH allows 10 sessions per connection; the SFTP session is one of them.
  const n = 30;
  const results = await Promise.all(Array.from({ length: n }, (_, i) => conn.exec(`echo ${i}`)));
  assertEquals(
    results.map((r) => [r.code, r.stdout.trim()]),
    [...Array(n).keys()].map((i) => [0, `${i}`]),
  );
  assert(!conn.dead, "the connection survived");
});

/** Resolves to "settled" when `p` settles within `ms`, else to "hung". */
function settlesWithin(p: Promise<unknown>, ms: number): Promise<"settled" | "hung"> {
  let timer: number | undefined;
  return Promise.race([
    p.then(() => "settled" as const, () => "settled" as const),
    new Promise<"hung">((r) => timer = setTimeout(() => r("hung"), ms) as unknown as number),
  ]).finally(() => clearTimeout(timer));
}

sftpTest(
  "sftp connect: requests on a closed or dying channel fail instead of hanging",
  async (t) => {
    const s = await t.sshd();
    const root = await s.newRoot();
    for (let i = 0; i < 3000; i++) await Deno.writeTextFile(`${root}/entry-${i}`, "");
    const closed = await bareConnection(s);
    t.track(closed);
    await new Promise<void>((resolve) => {
      closed.sftp.once("close", () => resolve());
      closed.sftp.end();
    });
    assertEquals(await settlesWithin(sftpCall.stat(closed.sftp, root), 2000), "settled");
    await rejects(sftpCall.stat(closed.sftp, root), /SFTP channel closed/);

    const dying = await bareConnection(s);
    t.track(dying);
    // Multi-request readdirs in flight while every session process is killed.
    const calls = Array.from({ length: 8 }, () => sftpCall.readdir(dying.sftp, root));
    const outcomes = Promise.all(calls.map((c) => settlesWithin(c, 15_000)));
    await new Promise((r) => setTimeout(r, 5));
    await s.stop();
    assertEquals(await outcomes, calls.map(() => "settled"));
    assertEquals(await settlesWithin(sftpCall.stat(dying.sftp, root), 2000), "settled");
  },
);

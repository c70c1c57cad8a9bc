/**
 * @module
 * Interoperability of the config modules with the real rclone (Debian's 1.60): config files
 * written by each side are read by the other, obscured values reveal on both sides, encrypted
 * configs decrypt on both sides, and env-defined remote names match.
 */
import assert from "node:assert/strict";
import {
  decryptConfig,
  encryptConfig,
  isEncryptedConfig,
} from "../lib/config/config_encryption.ts";
import { obscure, reveal } from "../lib/config/obscure.ts";
import { RcloneConf } from "../lib/config/rclone_conf.ts";
import { envRemoteName } from "../lib/config/remote_env.ts";
import { withTempDir } from "./helpers/temp_dir.ts";

const TIMEOUT_MS = 30_000;

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs rclone with a timeout and a clean environment (plus `env`). */
async function rclone(args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  const out = await new Deno.Command("rclone", {
    args,
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HOME: "/nonexistent", ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
    signal: AbortSignal.timeout(TIMEOUT_MS),
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

async function rcloneOk(args: string[], env: Record<string, string> = {}): Promise<string> {
  const r = await rclone(args, env);
  assert.equal(r.code, 0, `rclone ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
}

Deno.test("a config written by rclone config create is read by RcloneConf", async () => {
  await withTempDir("config_interop_", async (dir) => {
    const path = `${dir}/rclone.conf`;
    await rcloneOk(["config", "create", "files", "alias", `remote=${dir}/data`, "--config", path]);
    await rcloneOk([
      "config",
      "create",
      "box",
      "sftp",
      "host=example.com",
      "user=bob",
      "pass=s3cr3t pw",
      "--config",
      path,
    ]);
    const conf = await RcloneConf.load(path, { env: {} });
    assert.deepEqual(conf.remoteNames(), ["files", "box"]);
    assert.deepEqual(conf.getSection("files"), { type: "alias", remote: `${dir}/data` });
    assert.equal(conf.get("box", "host"), "example.com");
    assert.equal(reveal(conf.get("box", "pass")!), "s3cr3t pw");
    // Rewriting without changes reproduces rclone's bytes.
    assert.equal(conf.toString(), await Deno.readTextFile(path));
  });
});

Deno.test("a config written by RcloneConf is read by rclone config show, dump and lsjson", async () => {
  await withTempDir("config_interop_", async (dir) => {
    await Deno.mkdir(`${dir}/data`);
    await Deno.writeTextFile(`${dir}/data/hello.txt`, "hello");
    const path = `${dir}/rclone.conf`;
    const conf = await RcloneConf.load(path, { env: {} });
    conf.set("files", "type", "alias");
    conf.set("files", "remote", `${dir}/data`);
    conf.set("plain", "type", "local");
    // Values that need wrapping to survive rclone's reader unchanged.
    const tricky = ["a`b", 'a`b"c', "  spaced  ", "`quoted`", '"""x"""', "k=v:w"];
    tricky.forEach((v, i) => conf.set("plain", `x_${i}`, v));
    await conf.save();

    const show = await rcloneOk(["config", "show", "files", "--config", path]);
    assert.equal(show, `[files]\ntype = alias\nremote = ${dir}/data\n`);

    const dump = JSON.parse(await rcloneOk(["config", "dump", "--config", path]));
    tricky.forEach((v, i) => assert.equal(dump.plain[`x_${i}`], v, JSON.stringify(v)));

    const list = JSON.parse(await rcloneOk(["lsjson", "files:", "--config", path]));
    assert.deepEqual(list.map((e: { Name: string }) => e.Name), ["hello.txt"]);
    assert.equal(list[0].Size, 5);
  });
});

Deno.test("rclone obscure output reveals in ours and ours reveals in rclone", async () => {
  for (const plain of ["potato", "with spaces and ünïcode ✓", "x"]) {
    const theirs = (await rcloneOk(["obscure", plain])).trim();
    assert.equal(reveal(theirs), plain);
    const revealed = await rcloneOk(["reveal", "--", obscure(plain)]);
    assert.equal(revealed.replace(/\n$/, ""), plain);
  }
});

Deno.test("an encrypted config made by encryptConfig is read by rclone with RCLONE_CONFIG_PASS", async () => {
  await withTempDir("config_interop_", async (dir) => {
    const path = `${dir}/rclone.conf`;
    await Deno.mkdir(`${dir}/data`);
    await Deno.writeTextFile(`${dir}/data/f`, "x");
    const plain = `[enc]\ntype = alias\nremote = ${dir}/data\n\n`;
    await Deno.writeTextFile(path, encryptConfig(plain, "correct horse"));
    const show = await rcloneOk(["config", "show", "--config", path], {
      RCLONE_CONFIG_PASS: "correct horse",
    });
    assert.equal(show, plain);
    const list = JSON.parse(
      await rcloneOk(["lsjson", "enc:", "--config", path], { RCLONE_CONFIG_PASS: "correct horse" }),
    );
    assert.equal(list[0].Name, "f");
    const wrong = await rclone(["config", "show", "--config", path, "--ask-password=false"], {
      RCLONE_CONFIG_PASS: "wrong",
    });
    assert.notEqual(wrong.code, 0);
  });
});

/** Drives rclone's interactive menu (1.60 has no `config encryption set`) to add a password. */
async function rcloneSetPassword(path: string, password: string): Promise<void> {
  const child = new Deno.Command("rclone", {
    args: ["config", "--config", path],
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HOME: "/nonexistent" },
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(TIMEOUT_MS),
  }).spawn();
  const writer = child.stdin.getWriter();
  try {
    // rclone reads each answer with a fresh buffered reader, so answers must arrive one by one.
    for (const line of ["s", "a", password, password, "q", "q"]) {
      await new Promise((r) => setTimeout(r, 400));
      await writer.write(new TextEncoder().encode(`${line}\n`));
    }
  } finally {
    await writer.close().catch(() => {});
  }
  const out = await child.output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
}

Deno.test("an encrypted config written by rclone is read and re-saved by RcloneConf", async () => {
  await withTempDir("config_interop_", async (dir) => {
    const path = `${dir}/rclone.conf`;
    await rcloneOk(["config", "create", "r", "alias", `remote=${dir}`, "--config", path]);
    await rcloneSetPassword(path, "pw with space");
    const text = await Deno.readTextFile(path);
    assert.equal(isEncryptedConfig(text), true);
    assert.match(decryptConfig(text, "pw with space"), /\[r\]\ntype = alias\n/);

    const conf = await RcloneConf.load(path, { env: { RCLONE_CONFIG_PASS: "pw with space" } });
    assert.equal(conf.get("r", "remote"), dir);
    conf.set("r", "remote", `${dir}/sub`);
    await conf.save();
    assert.equal(isEncryptedConfig(await Deno.readTextFile(path)), true);
    const dump = JSON.parse(
      await rcloneOk(["config", "dump", "--config", path], { RCLONE_CONFIG_PASS: "pw with space" }),
    );
    assert.equal(dump.r.remote, `${dir}/sub`);
  });
});

Deno.test("envRemoteName() names variables rclone reads as env-defined remotes", async () => {
  await withTempDir("config_interop_", async (dir) => {
    await Deno.writeTextFile(`${dir}/seen.txt`, "1");
    const env = {
      [envRemoteName("my-env", "type")]: "alias",
      [envRemoteName("my-env", "remote")]: dir,
    };
    const list = JSON.parse(
      await rcloneOk(["lsjson", "my-env:", "--config", `${dir}/none.conf`], env),
    );
    assert.deepEqual(list.map((e: { Name: string }) => e.Name), ["seen.txt"]);
  });
});

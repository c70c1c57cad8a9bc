/**
 * @module
 * End-to-end tests of `denoclone config …` run through main.ts as a subprocess, with the
 * results checked by the real rclone (Debian's 1.60).
 */
import assert from "node:assert/strict";
import { encryptConfig, isEncryptedConfig } from "../lib/config/config_encryption.ts";
import { reveal } from "../lib/config/obscure.ts";
import { withTempDir } from "./helpers/temp_dir.ts";

const TIMEOUT_MS = 60_000;
const MAIN = new URL("../main.ts", import.meta.url).pathname;

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

function baseEnv(extra: Record<string, string>): Record<string, string> {
  return { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HOME: "/nonexistent", ...extra };
}

async function run(
  cmd: string,
  args: string[],
  opts: { env?: Record<string, string>; stdin?: string } = {},
): Promise<RunResult> {
  const child = new Deno.Command(cmd, {
    args,
    env: baseEnv(opts.env ?? {}),
    clearEnv: true,
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(TIMEOUT_MS),
  }).spawn();
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.stdin));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

function denoclone(args: string[], opts: { env?: Record<string, string>; stdin?: string } = {}) {
  const denoEnv: Record<string, string> = {};
  for (const k of ["DENO_DIR", "XDG_CACHE_HOME"]) {
    const v = Deno.env.get(k);
    if (v) denoEnv[k] = v;
  }
  // Deno needs its cache (npm packages); HOME is set so the default cache location works.
  const home = Deno.env.get("HOME") ?? "/root";
  return run(Deno.execPath(), ["run", "-A", MAIN, ...args], {
    ...opts,
    env: { DENO_DIR: `${home}/.cache/deno`, ...denoEnv, ...(opts.env ?? {}) },
  });
}

async function ok(p: Promise<RunResult>): Promise<string> {
  const r = await p;
  assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

Deno.test("config create/update/delete write a file rclone uses", async () => {
  await withTempDir("config_command_", async (dir) => {
    const conf = `${dir}/rclone.conf`;
    await Deno.mkdir(`${dir}/data`);
    await Deno.writeTextFile(`${dir}/data/a.txt`, "abc");
    const created = await ok(
      denoclone(["config", "create", "files", "alias", `remote=${dir}/data`, "--config", conf]),
    );
    assert.equal(created, `[files]\ntype = alias\nremote = ${dir}/data\n`);
    await ok(
      denoclone([
        "config",
        "create",
        "box",
        "crypt",
        "remote",
        "files:",
        "password",
        "pw",
        "--config",
        conf,
      ]),
    );
    await ok(denoclone(["config", "update", "box:", "filename_encryption=off", "--config", conf]));
    assert.equal((await Deno.stat(conf)).mode! & 0o777, 0o600);

    const dump = JSON.parse(await ok(run("rclone", ["config", "dump", "--config", conf])));
    assert.equal(dump.files.remote, `${dir}/data`);
    assert.equal(dump.box.filename_encryption, "off");
    assert.notEqual(dump.box.password, "pw");
    assert.equal((await ok(run("rclone", ["reveal", "--", dump.box.password]))).trim(), "pw");
    const list = JSON.parse(await ok(run("rclone", ["lsjson", "files:", "--config", conf])));
    assert.deepEqual(list.map((e: { Name: string }) => e.Name), ["a.txt"]);

    await ok(denoclone(["config", "delete", "box", "--config", conf]));
    const after = JSON.parse(await ok(run("rclone", ["config", "dump", "--config", conf])));
    assert.deepEqual(Object.keys(after), ["files"]);
  });
});

Deno.test("config show redacts secrets unless --show-secrets; dump matches rclone's", async () => {
  await withTempDir("config_command_", async (dir) => {
    const conf = `${dir}/rclone.conf`;
    await ok(
      run("rclone", [
        "config",
        "create",
        "box",
        "crypt",
        "remote=/x",
        "password=pw",
        "--config",
        conf,
      ]),
    );
    const shown = await ok(denoclone(["config", "show", "--config", conf]));
    // Same text as rclone's own show (key order is rclone's map order), with the password
    // hidden the way rclone's `config create` prints it.
    const theirShow = await ok(run("rclone", ["config", "show", "--config", conf]));
    assert.equal(shown, theirShow.replace(/^password = .*$/m, "password = *** ENCRYPTED ***"));
    assert.match(shown, /^password = \*\*\* ENCRYPTED \*\*\*$/m);
    const secrets = await ok(
      denoclone(["config", "show", "box", "--show-secrets", "--config", conf]),
    );
    const stored = /password = (.*)\n/.exec(secrets)![1]!;
    assert.equal(reveal(stored), "pw");
    const ours = JSON.parse(await ok(denoclone(["config", "dump", "--config", conf])));
    const theirs = JSON.parse(await ok(run("rclone", ["config", "dump", "--config", conf])));
    assert.deepEqual(ours, theirs);
  });
});

Deno.test("config errors exit non-zero and name the problem", async () => {
  await withTempDir("config_command_", async (dir) => {
    const conf = `${dir}/rclone.conf`;
    const unknownKey = await denoclone([
      "config",
      "create",
      "a",
      "alias",
      "bogus=1",
      "--config",
      conf,
    ]);
    assert.notEqual(unknownKey.code, 0);
    assert.match(unknownKey.stderr, /unknown option "bogus"/);
    const unknownType = await denoclone(["config", "create", "a", "nosuch", "--config", conf]);
    assert.notEqual(unknownType.code, 0);
    assert.match(unknownType.stderr, /couldn't find backend for type "nosuch"/);
    const badName = await denoclone(["config", "create", "a$b", "alias", "--config", conf]);
    assert.notEqual(badName.code, 0);
    assert.match(badName.stderr, /config name contains invalid characters/);
    const ghost = await denoclone(["config", "delete", "ghost", "--config", conf]);
    assert.notEqual(ghost.code, 0);
    assert.match(ghost.stderr, /remote "ghost" not found/);
    const badReveal = await denoclone(["config", "reveal", "AA+A"]);
    assert.notEqual(badReveal.code, 0);
    assert.match(badReveal.stderr, /base64 decode failed when revealing password/);
    // Nothing was written by the failed commands.
    await assert.rejects(Deno.stat(conf));
  });
});

Deno.test("config obscure and reveal interoperate with rclone", async () => {
  const ours = (await ok(denoclone(["config", "obscure", "tomato soup"]))).trim();
  // Obscured values may start with "-": `--` keeps them from being read as flags.
  assert.equal((await ok(run("rclone", ["reveal", "--", ours]))).trim(), "tomato soup");
  const theirs = (await ok(run("rclone", ["obscure", "x y z"]))).trim();
  assert.equal(await ok(denoclone(["config", "reveal", "--", theirs])), "x y z\n");
  const piped = (await ok(denoclone(["config", "obscure", "-"], { stdin: "from stdin\n" }))).trim();
  assert.equal(reveal(piped), "from stdin");
});

Deno.test("config file follows RCLONE_CONFIG and config reads encrypted files", async () => {
  await withTempDir("config_command_", async (dir) => {
    const conf = `${dir}/enc.conf`;
    const file = await ok(denoclone(["config", "file"], { env: { RCLONE_CONFIG: conf } }));
    assert.equal(
      file,
      `Configuration file doesn't exist, but rclone will use this path:\n${conf}\n`,
    );

    await Deno.writeTextFile(
      conf,
      encryptConfig("[r]\ntype = alias\nremote = /a\n", "pass phrase"),
    );
    const env = { RCLONE_CONFIG: conf, RCLONE_CONFIG_PASS: "pass phrase" };
    const shown = await ok(denoclone(["config", "show", "r"], { env }));
    assert.equal(shown, "[r]\ntype = alias\nremote = /a\n");
    const noPass = await denoclone(["config", "show"], { env: { RCLONE_CONFIG: conf } });
    assert.notEqual(noPass.code, 0);
    assert.match(noPass.stderr, /RCLONE_CONFIG_PASS/);

    await ok(denoclone(["config", "update", "r", "remote=/b"], { env }));
    assert.equal(isEncryptedConfig(await Deno.readTextFile(conf)), true);
    const dump = JSON.parse(await ok(run("rclone", ["config", "dump", "--config", conf], { env })));
    assert.equal(dump.r.remote, "/b");
  });
});

Deno.test("--password-command and RCLONE_PASSWORD_COMMAND decrypt the config as rclone's do", async () => {
  await withTempDir("config_command_", async (dir) => {
    const conf = `${dir}/enc.conf`;
    await Deno.mkdir(`${dir}/data`);
    await Deno.writeTextFile(`${dir}/data/f`, "x");
    await Deno.writeTextFile(
      conf,
      encryptConfig(`[r]\ntype = alias\nremote = ${dir}/data\n`, "pass phrase"),
    );
    await Deno.writeTextFile(`${dir}/pw`, "pass phrase\n");
    const cmd = `cat ${dir}/pw`;
    const ours = await ok(
      denoclone(["config", "show", "--config", conf, "--password-command", cmd]),
    );
    const theirs = await ok(
      run("rclone", ["config", "show", "--config", conf, "--password-command", cmd]),
    );
    assert.equal(ours, theirs);
    assert.match(ours, /remote = /);
    const viaEnv = await ok(
      denoclone(["config", "dump"], { env: { RCLONE_CONFIG: conf, RCLONE_PASSWORD_COMMAND: cmd } }),
    );
    assert.equal(JSON.parse(viaEnv).r.type, "alias");

    // A failing command: a non-zero exit naming the command, and nothing of the file leaks.
    const bad = await denoclone([
      "config",
      "show",
      "--config",
      conf,
      "--password-command",
      `sh -c "exit 4"`,
    ]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /password command "sh" failed: exit code 4/);
    assert.doesNotMatch(bad.stdout + bad.stderr, /alias/);
  });
});

Deno.test("config password, paths and touch match rclone's", async () => {
  await withTempDir("config_command_", async (dir) => {
    const ours = `${dir}/ours.conf`;
    const theirs = `${dir}/theirs.conf`;
    for (const c of [ours, theirs]) {
      await ok(run("rclone", ["config", "create", "s", "sftp", "host=h", "--config", c]));
    }
    const args = (c: string) => ["config", "password", "s", "pass", "sec ret", "--config", c];
    const shownOurs = await ok(denoclone(args(ours)));
    const shownTheirs = await ok(run("rclone", args(theirs)));
    assert.equal(shownOurs, shownTheirs);
    const dump = JSON.parse(await ok(run("rclone", ["config", "dump", "--config", ours])));
    assert.equal(reveal(dump.s.pass), "sec ret");
    const missing = await denoclone(["config", "password", "nope", "pass", "x", "--config", ours]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /couldn't find type field in config/);

    const paths = (c: string) => ["config", "paths", "--config", c, "--cache-dir", `${dir}/cache`];
    assert.equal(await ok(denoclone(paths(ours))), await ok(run("rclone", paths(ours))));

    await ok(denoclone(["config", "touch", "--config", `${dir}/new.conf`]));
    assert.equal((await Deno.stat(`${dir}/new.conf`)).mode! & 0o777, 0o600);
    assert.equal(await Deno.readTextFile(ours).then((t) => t.includes("[s]")), true);
    await ok(denoclone(["config", "touch", "--config", ours]));
    assert.equal(
      JSON.parse(await ok(run("rclone", ["config", "dump", "--config", ours]))).s.host,
      "h",
    );
  });
});

Deno.test("config providers lists registered backends with their options", async () => {
  const providers = JSON.parse(await ok(denoclone(["config", "providers"])));
  const names = providers.map((p: { Name: string }) => p.Name);
  for (const t of ["alias", "crypt", "local", "memory"]) assert.ok(names.includes(t), t);
  const crypt = providers.find((p: { Name: string }) => p.Name === "crypt");
  assert.ok(
    crypt.Options.some((o: { Name: string; IsPassword: boolean }) =>
      o.Name === "password" && o.IsPassword
    ),
  );
});

import assert from "node:assert/strict";
import { rejectsError, throwsError } from "./_test_helpers.ts";
import { encryptConfig, isEncryptedConfig } from "./config_encryption.ts";
import { ConfigError } from "./config_error.ts";
import { RcloneConf } from "./rclone_conf.ts";
import { withTempDir } from "../../tests/helpers/temp_dir.ts";

async function run(cmd: string, args: string[]): Promise<void> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
}

Deno.test("RcloneConf.load() of a missing file is an empty config", async () => {
  await withTempDir("config_rclone_conf_", async (dir) => {
    const conf = await RcloneConf.load(`${dir}/nope.conf`, { env: {} });
    assert.deepEqual(conf.sectionNames(), []);
    assert.equal(conf.existed, false);
    assert.equal(conf.getSection("x"), undefined);
  });
});

Deno.test("RcloneConf.save() creates directories and a 0600 file that loads back", async () => {
  await withTempDir("config_rclone_conf_", async (dir) => {
    const path = `${dir}/sub/dir/rclone.conf`;
    const conf = await RcloneConf.load(path, { env: {} });
    conf.set("mysftp", "type", "sftp");
    conf.set("mysftp", "host", "example.com");
    await conf.save();
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.equal(await Deno.readTextFile(path), "[mysftp]\ntype = sftp\nhost = example.com\n\n");
    const again = await RcloneConf.load(path, { env: {} });
    assert.deepEqual(again.getSection("mysftp"), { type: "sftp", host: "example.com" });
    assert.equal(again.existed, true);
    assert.deepEqual([...Deno.readDirSync(`${dir}/sub/dir`)].map((e) => e.name), ["rclone.conf"]);
  });
});

Deno.test("RcloneConf.save() keeps the mode of an existing file and its unknown keys", async () => {
  await withTempDir("config_rclone_conf_", async (dir) => {
    const path = `${dir}/rclone.conf`;
    await Deno.writeTextFile(path, "# mine\n[a]\ntype = local\nfuture_key = 1\n", { mode: 0o640 });
    await Deno.chmod(path, 0o640);
    const conf = await RcloneConf.load(path, { env: {} });
    conf.set("a", "copy_links", "true");
    await conf.save();
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o640);
    assert.equal(
      await Deno.readTextFile(path),
      "# mine\n[a]\ntype = local\nfuture_key = 1\ncopy_links = true\n\n",
    );
  });
});

Deno.test("RcloneConf.save() keeps the group of an existing file", async () => {
  await withTempDir("config_rclone_conf_", async (dir) => {
    const path = `${dir}/rclone.conf`;
    await Deno.writeTextFile(path, "[a]\ntype = local\n");
    await Deno.chown(path, null, 4321);
    const modeBefore = (await Deno.stat(path)).mode! & 0o7777;
    const conf = await RcloneConf.load(path, { env: {} });
    conf.set("a", "x", "y");
    await conf.save();
    const st = await Deno.stat(path);
    assert.equal(st.gid, 4321);
    assert.equal(st.mode! & 0o7777, modeBefore);
  });
});

Deno.test("RcloneConf.save() replaces the file atomically (new inode)", async () => {
  await withTempDir("config_rclone_conf_", async (dir) => {
    const path = `${dir}/rclone.conf`;
    await Deno.writeTextFile(path, "[a]\ntype = local\n");
    const before = (await Deno.stat(path)).ino;
    const conf = await RcloneConf.load(path, { env: {} });
    conf.set("a", "x", "y");
    await conf.save();
    assert.notEqual((await Deno.stat(path)).ino, before);
  });
});

Deno.test("RcloneConf.save() through a symlink replaces the link's target", async () => {
  await withTempDir("config_rclone_conf_", async (dir) => {
    await Deno.mkdir(`${dir}/real`);
    await Deno.writeTextFile(`${dir}/real/rclone.conf`, "[a]\ntype = local\n");
    await Deno.symlink("real/rclone.conf", `${dir}/link.conf`);
    const conf = await RcloneConf.load(`${dir}/link.conf`, { env: {} });
    conf.set("a", "x", "y");
    await conf.save();
    assert.equal((await Deno.lstat(`${dir}/link.conf`)).isSymlink, true);
    assert.equal(
      await Deno.readTextFile(`${dir}/real/rclone.conf`),
      "[a]\ntype = local\nx = y\n\n",
    );
  });
});

Deno.test("RcloneConf.save() rewrites a bind-mounted single file in place", async () => {
  await withTempDir("config_rclone_conf_", async (dir) => {
    const source = `${dir}/host.conf`;
    const mounted = `${dir}/container.conf`;
    await Deno.writeTextFile(source, "[a]\ntype = local\n" + "pad = xxxxxxxxxxxxxxxx\n".repeat(20));
    await Deno.writeTextFile(mounted, "");
    await run("mount", ["--bind", source, mounted]);
    try {
      // Prove the premise: renaming over a bind-mounted file fails with EBUSY.
      await Deno.writeTextFile(`${dir}/probe`, "x");
      await assert.rejects(Deno.rename(`${dir}/probe`, mounted));
      await Deno.remove(`${dir}/probe`);

      const conf = await RcloneConf.load(mounted, { env: {} });
      for (const k of conf.keys("a")) if (k === "pad") conf.deleteKey("a", k);
      conf.set("a", "x", "y");
      await conf.save();
      // Shorter than before, so the truncate matters; the host file sees the change.
      assert.equal(await Deno.readTextFile(source), "[a]\ntype = local\nx = y\n\n");
      assert.equal(await Deno.readTextFile(mounted), "[a]\ntype = local\nx = y\n\n");
      const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
      assert.deepEqual(names, ["container.conf", "host.conf"]);
    } finally {
      await run("umount", [mounted]);
    }
  });
});

Deno.test("RcloneConf loads an encrypted config with RCLONE_CONFIG_PASS and saves it encrypted", async () => {
  await withTempDir("config_rclone_conf_", async (dir) => {
    const path = `${dir}/rclone.conf`;
    await Deno.writeTextFile(path, encryptConfig("[r]\ntype = alias\nremote = /tmp\n", "pw 1"));
    const conf = await RcloneConf.load(path, { env: { RCLONE_CONFIG_PASS: "pw 1" } });
    assert.equal(conf.encrypted, true);
    assert.equal(conf.get("r", "remote"), "/tmp");
    conf.set("r", "remote", "/srv");
    await conf.save();
    const text = await Deno.readTextFile(path);
    assert.equal(isEncryptedConfig(text), true);
    assert.equal(text.includes("/srv"), false);
    const again = await RcloneConf.load(path, { password: "pw 1", env: {} });
    assert.equal(again.get("r", "remote"), "/srv");
  });
});

Deno.test("RcloneConf.load() of an encrypted config without password names the file", async () => {
  await withTempDir("config_rclone_conf_", async (dir) => {
    const path = `${dir}/rclone.conf`;
    await Deno.writeTextFile(path, encryptConfig("[r]\ntype = alias\n", "pw"));
    const err = await rejectsError(() => RcloneConf.load(path, { env: {} }), ConfigError);
    assert.match(err.message, /rclone\.conf/);
    assert.match(err.message, /RCLONE_CONFIG_PASS/);
    const wrong = await rejectsError(
      () => RcloneConf.load(path, { env: { RCLONE_CONFIG_PASS: "nope" } }),
      ConfigError,
    );
    assert.match(wrong.message, /incorrect password/);
  });
});

Deno.test("RcloneConf.load() reports a bad line with the file name and line number", async () => {
  await withTempDir("config_rclone_conf_", async (dir) => {
    const path = `${dir}/bad.conf`;
    await Deno.writeTextFile(path, "[r]\ntype = local\nhunter2\n");
    const err = await rejectsError(() => RcloneConf.load(path, { env: {} }), ConfigError);
    assert.match(err.message, /bad\.conf.*line 3/);
    assert.equal(err.message.includes("hunter2"), false);
  });
});

Deno.test("RcloneConf.load() of a directory is a ConfigError", async () => {
  await withTempDir("config_rclone_conf_", async (dir) => {
    await rejectsError(() => RcloneConf.load(dir, { env: {} }), ConfigError);
  });
});

Deno.test("RcloneConf.deleteSection() and remoteNames() ignore DEFAULT", () => {
  const conf = RcloneConf.fromText("x = 1\n[a]\ntype = local\n[b]\ntype = memory\n", "/x", {
    env: {},
  });
  assert.deepEqual(conf.remoteNames(), ["a", "b"]);
  assert.equal(conf.deleteSection("a"), true);
  assert.equal(conf.deleteSection("a"), false);
  assert.deepEqual(conf.remoteNames(), ["b"]);
  throwsError(() => conf.set("b", "k", "line\nbreak"), ConfigError);
});

Deno.test("RcloneConf.save() calls are serialised and the last state wins", async () => {
  await withTempDir("config_rclone_conf_", async (dir) => {
    const path = `${dir}/rclone.conf`;
    const conf = await RcloneConf.load(path, { env: {} });
    const saves: Promise<void>[] = [];
    for (let i = 0; i < 10; i++) {
      conf.set("r", "n", String(i));
      saves.push(conf.save());
    }
    await Promise.all(saves);
    assert.equal(await Deno.readTextFile(path), "[r]\nn = 9\n\n");
  });
});

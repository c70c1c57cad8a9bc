// Its own test module (a fresh module graph): the cipher must not be loaded before the first test.
import assert from "node:assert/strict";
import { ConfigError } from "./config_error.ts";
import { RcloneConf } from "./rclone_conf.ts";

Deno.test("fromText refuses encrypted text while no encrypted config was loaded", () => {
  const text = "# Encrypted rclone configuration File\n\nRCLONE_ENCRYPT_V0:\nAAAA";
  assert.throws(
    () => RcloneConf.fromText(text, "/x/rclone.conf", { env: {}, password: "pw" }),
    (err) => err instanceof ConfigError && /read it with RcloneConf\.load/.test(err.message),
  );
});

Deno.test("load brings the cipher: encrypted files read, then fromText and save work too", async () => {
  const { encryptConfig } = await import("./config_encryption.ts");
  const dir = await Deno.makeTempDir();
  try {
    const text = encryptConfig("[a]\ntype = local\n", "pw");
    const path = `${dir}/rclone.conf`;
    await Deno.writeTextFile(path, text);
    const conf = await RcloneConf.load(path, { env: {}, password: "pw" });
    assert.equal(conf.encrypted, true);
    assert.equal(conf.get("a", "type"), "local");
    assert.equal(
      RcloneConf.fromText(text, path, { env: {}, password: "pw" }).get("a", "type"),
      "local",
    );
    conf.set("a", "k", "v");
    await conf.save();
    const again = await RcloneConf.load(path, { env: {}, password: "pw" });
    assert.equal(again.encrypted, true);
    assert.equal(again.get("a", "k"), "v");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

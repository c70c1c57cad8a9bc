import assert from "node:assert/strict";
import "../backends/all.ts";
import { throwsError } from "./_test_helpers.ts";
import { ConfigError } from "./config_error.ts";
import { obscure, reveal } from "./obscure.ts";
import { RcloneConf } from "./rclone_conf.ts";
import { createRemote, parseKeyValueArgs, updateRemote } from "./remote_edit.ts";
import { RemotePathError } from "./remote_path.ts";

function emptyConf(text = ""): RcloneConf {
  return RcloneConf.fromText(text, "/nonexistent/rclone.conf", { env: {} });
}

Deno.test("parseKeyValueArgs() accepts key=value and key value forms mixed", () => {
  assert.deepEqual(parseKeyValueArgs(["a=1", "b", "2", "c=x=y", "d", "e=f"]), [
    ["a", "1"],
    ["b", "2"],
    ["c", "x=y"],
    ["d", "e=f"],
  ]);
  const err = throwsError(() => parseKeyValueArgs(["a=1", "lonely"]), ConfigError);
  assert.match(err.message, /found key without value: "lonely"/);
});

Deno.test("createRemote() writes type first and normalised option names", () => {
  const conf = emptyConf();
  createRemote(conf, "c", "crypt", [["remote", "/data"], ["filename-encryption", "off"]]);
  assert.equal(conf.toString(), "[c]\ntype = crypt\nremote = /data\nfilename_encryption = off\n\n");
});

Deno.test("createRemote() obscures password options unless they already reveal", () => {
  const conf = emptyConf();
  const already = obscure("second");
  createRemote(conf, "c", "crypt", [["remote", "/d"], ["password", "first"], [
    "password2",
    already,
  ]]);
  const stored = conf.get("c", "password")!;
  assert.notEqual(stored, "first");
  assert.equal(reveal(stored), "first");
  assert.equal(conf.get("c", "password2"), already);
});

Deno.test("createRemote() honours --obscure and --no-obscure", () => {
  const conf = emptyConf();
  const already = obscure("x");
  createRemote(conf, "c", "crypt", [["remote", "/d"], ["password", already]], { obscure: true });
  assert.equal(reveal(conf.get("c", "password")!), already);
  createRemote(conf, "c", "crypt", [["remote", "/d"], ["password", "plain"]], { noObscure: true });
  assert.equal(conf.get("c", "password"), "plain");
  throwsError(
    () => createRemote(conf, "c", "crypt", [], { obscure: true, noObscure: true }),
    ConfigError,
  );
});

Deno.test("createRemote() replaces an existing remote of the same name", () => {
  const conf = emptyConf("[a]\ntype = local\ncopy_links = true\n\n[b]\ntype = memory\n");
  createRemote(conf, "a", "alias", [["remote", "/x"]]);
  assert.equal(conf.toString(), "[b]\ntype = memory\n\n[a]\ntype = alias\nremote = /x\n\n");
});

Deno.test("createRemote() rejects unknown types, unknown keys, bad values and bad names", () => {
  const conf = emptyConf();
  const t = throwsError(() => createRemote(conf, "a", "nosuchtype", []), ConfigError);
  assert.equal(t.message, 'couldn\'t find backend for type "nosuchtype"');
  const k = throwsError(() => createRemote(conf, "a", "alias", [["bogus", "1"]]), ConfigError);
  assert.match(k.message, /unknown option "bogus" for remote "a" of type "alias"/);
  const v = throwsError(
    () => createRemote(conf, "a", "crypt", [["filename_encryption", "rot13"]]),
    ConfigError,
  );
  assert.match(v.message, /filename_encryption/);
  throwsError(() => createRemote(conf, "-bad", "alias", []), RemotePathError);
  assert.deepEqual(conf.sectionNames(), []);
});

Deno.test("updateRemote() changes given keys and keeps the others", () => {
  const conf = emptyConf("[c]\ntype = crypt\nremote = /d\nunknown_future = 1\n");
  updateRemote(conf, "c", [["remote", "/e"], ["password", "pw"]]);
  assert.equal(conf.get("c", "remote"), "/e");
  assert.equal(conf.get("c", "unknown_future"), "1");
  assert.equal(reveal(conf.get("c", "password")!), "pw");
});

Deno.test("updateRemote() can change the type to a registered one", () => {
  const conf = emptyConf("[c]\ntype = local\n");
  updateRemote(conf, "c", [["type", "alias"], ["remote", "/x"]]);
  assert.equal(conf.toString(), "[c]\ntype = alias\nremote = /x\n\n");
});

Deno.test("updateRemote() of a missing remote names it", () => {
  const err = throwsError(() => updateRemote(emptyConf(), "ghost", [["a", "b"]]), ConfigError);
  assert.match(err.message, /couldn't find type field in config for remote "ghost"/);
});

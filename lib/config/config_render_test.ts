import assert from "node:assert/strict";
import "../backends/all.ts";
import { getBackendInfo } from "../backends/registry.ts";
import {
  ENCRYPTED_MARK,
  goJson,
  REDACTED_MARK,
  renderDump,
  renderProviders,
  renderShow,
  secretKind,
} from "./config_render.ts";
import { RcloneConf } from "./rclone_conf.ts";

const TEXT = "[c]\ntype = crypt\nremote = /d\npassword = OBSCUREDVALUE\n\n" +
  "[s3]\ntype = s3unknown\naccess_key_id = AKIA\nsecret_access_key = SECRET\nregion = eu\n\n" +
  "[e]\ntype = alias\nremote = \n";

function conf(): RcloneConf {
  return RcloneConf.fromText(TEXT, "/x/rclone.conf", { env: {} });
}

Deno.test("secretKind() uses the backend's declarations and a name heuristic otherwise", () => {
  assert.equal(secretKind("crypt", "password"), "obscured");
  assert.equal(secretKind("crypt", "remote"), "plain");
  assert.equal(secretKind("s3unknown", "secret_access_key"), "sensitive");
  assert.equal(secretKind("s3unknown", "region"), "plain");
  assert.equal(secretKind(undefined, "token"), "sensitive");
  assert.equal(secretKind(undefined, "type"), "plain");
});

Deno.test("renderShow() hides secrets in rclone's layout", () => {
  assert.equal(
    renderShow(conf(), ["c", "s3"]),
    `[c]\ntype = crypt\nremote = /d\npassword = ${ENCRYPTED_MARK}\n\n` +
      `[s3]\ntype = s3unknown\naccess_key_id = ${REDACTED_MARK}\n` +
      `secret_access_key = ${REDACTED_MARK}\nregion = eu\n\n`,
  );
});

Deno.test("renderShow() shows secrets when asked and marks an empty config", () => {
  const out = renderShow(conf(), ["c"], { showSecrets: true });
  assert.match(out, /password = OBSCUREDVALUE/);
  assert.equal(renderShow(conf(), []), "; empty config\n");
  assert.equal(renderShow(conf(), ["e"], { single: true }), "[e]\ntype = alias\nremote = \n");
  // Empty values are not secrets to hide.
  assert.equal(renderShow(conf(), ["e"]), "[e]\ntype = alias\nremote = \n\n");
});

Deno.test("renderDump() is Go-style JSON with sorted keys and raw values", () => {
  const parsed = JSON.parse(renderDump(conf()));
  assert.equal(parsed.c.password, "OBSCUREDVALUE");
  const text = renderDump(RcloneConf.fromText("[b]\nz = 1\na = <&>\n", "/x", { env: {} }));
  assert.equal(
    text,
    '{\n    "b": {\n        "a": "\\u003c\\u0026\\u003e",\n        "z": "1"\n    }\n}',
  );
});

Deno.test("goJson() sorts nested keys", () => {
  assert.equal(
    goJson({ b: [{ y: 1, x: 2 }], a: null }),
    '{\n    "a": null,\n    "b": [\n        {\n            "x": 2,\n            "y": 1\n        }\n    ]\n}',
  );
});

Deno.test("renderProviders() lists backends with their options", () => {
  const crypt = getBackendInfo("crypt")!;
  const parsed = JSON.parse(renderProviders([crypt]));
  assert.equal(parsed.length, 1);
  assert.equal(parsed[0].Name, "crypt");
  const pw = parsed[0].Options.find((o: { Name: string }) => o.Name === "password");
  assert.equal(pw.IsPassword, true);
  assert.equal(parsed[0].Options.length, crypt.options.options.length);
});

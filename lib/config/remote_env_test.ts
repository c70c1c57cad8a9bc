import assert from "node:assert/strict";
import { envRemoteName, envRemoteType, envRemoteValue } from "./remote_env.ts";

Deno.test("envRemoteName() upper-cases everything and maps - to _ in the key only", () => {
  assert.equal(envRemoteName("mys3", "type"), "RCLONE_CONFIG_MYS3_TYPE");
  assert.equal(envRemoteName("my-remote", "ignore-size"), "RCLONE_CONFIG_MY-REMOTE_IGNORE_SIZE");
  assert.equal(envRemoteName("a.b", "key_file"), "RCLONE_CONFIG_A.B_KEY_FILE");
});

Deno.test("envRemoteValue() reads set variables, including empty ones", () => {
  const env = { RCLONE_CONFIG_MYS3_TYPE: "s3", RCLONE_CONFIG_MYS3_REGION: "" };
  assert.equal(envRemoteValue(env, "mys3", "type"), "s3");
  assert.equal(envRemoteValue(env, "MyS3", "Type"), "s3");
  assert.equal(envRemoteValue(env, "mys3", "region"), "");
  assert.equal(envRemoteValue(env, "mys3", "endpoint"), undefined);
});

Deno.test("envRemoteType() is undefined for unset or empty types", () => {
  assert.equal(envRemoteType({ RCLONE_CONFIG_X_TYPE: "sftp" }, "x"), "sftp");
  assert.equal(envRemoteType({ RCLONE_CONFIG_X_TYPE: "" }, "x"), undefined);
  assert.equal(envRemoteType({}, "x"), undefined);
});

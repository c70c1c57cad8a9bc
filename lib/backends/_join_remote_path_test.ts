import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { joinRemotePath } from "./_join_remote_path.ts";

Deno.test("joinRemotePath() joins an alias target and a sub path like rclone", () => {
  assertEquals(joinRemotePath("other:", ""), "other:");
  assertEquals(joinRemotePath("other:", "a/b"), "other:a/b");
  assertEquals(joinRemotePath("other:dir", "a"), "other:dir/a");
  assertEquals(joinRemotePath("other:dir/", "a"), "other:dir/a");
  assertEquals(joinRemotePath("/data", "a"), "/data/a");
  assertEquals(joinRemotePath("/data", "/a"), "/data/a");
  assertEquals(joinRemotePath("/data", ""), "/data");
  assertEquals(joinRemotePath("other:", "/abs"), "other:/abs");
});

Deno.test("joinRemotePath() joins a crypt remote and its encrypted root like rclone's JoinRootPath", () => {
  assertEquals(joinRemotePath("disk:", "x/y"), "disk:x/y");
  assertEquals(joinRemotePath("disk:dir", "x"), "disk:dir/x");
  assertEquals(joinRemotePath("disk:dir/", "x"), "disk:dir/x");
  assertEquals(joinRemotePath("/tmp/enc", "x"), "/tmp/enc/x");
  assertEquals(joinRemotePath(":sftp,host=h:dir", ""), ":sftp,host=h:dir");
});

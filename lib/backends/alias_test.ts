import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { AliasBackend, joinRemotePath } from "./alias.ts";
import { MemoryBackend } from "./memory.ts";

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

Deno.test("AliasBackend keeps its own type and name and forwards to the wrapped backend", async () => {
  const inner = new MemoryBackend();
  const a = new AliasBackend(inner, "myalias:sub", "sub");
  assertEquals([a.type, a.name, a.root], ["alias", "myalias:sub", "sub"]);
  assertEquals(a.features, inner.features);
  assert(a.move && a.moveDir && a.setModTime && a.hash, "optional methods forwarded");
  assertEquals(a.about, undefined);
  assertEquals(a.watch, undefined);
  await a.write("x/f", new Blob(["hi"]).stream());
  assertEquals((await inner.stat("x/f")).size, 2);
  await a.move!("x/f", "y");
  assertEquals((await inner.list("")).map((e) => e.path).sort(), ["x", "y"]);
});

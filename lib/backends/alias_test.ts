import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { AliasBackend } from "./alias.ts";
import { MemoryBackend } from "./memory.ts";

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

import { deriveKeys } from "./keys.ts";
import { assertEquals } from "./_test_util.ts";

Deno.test("deriveKeys() splits 80 bytes into 32 + 32 + 16", async () => {
  const k = await deriveKeys("pw", "");
  assertEquals([k.dataKey.length, k.nameKey.length, k.nameTweak.length], [32, 32, 16]);
});

Deno.test("deriveKeys() gives all-zero keys for an empty password", async () => {
  const k = await deriveKeys("", "salt is ignored");
  assertEquals([...k.dataKey, ...k.nameKey, ...k.nameTweak].every((b) => b === 0), true);
});

Deno.test("deriveKeys() depends on password2, and '' means the built-in salt", async () => {
  const a = await deriveKeys("pw", "");
  const b = await deriveKeys("pw", "salt");
  const c = await deriveKeys("pw", "");
  assertEquals(a.dataKey, c.dataKey);
  assertEquals(JSON.stringify([...a.dataKey]) === JSON.stringify([...b.dataKey]), false);
});

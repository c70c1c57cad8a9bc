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

Deno.test("deriveKeys() gives rclone's keys (scrypt N=16384, r=8, p=1)", async () => {
  // rclone 1.60 with password "potato" and password2 "sausage" sealed "hello, crypt" into a file
  // that data_stream_test.ts opens with these keys; this pins the first bytes of each.
  const k = await deriveKeys("potato", "sausage");
  const hex = (b: Uint8Array) => [...b.subarray(0, 4)].map((x) => x.toString(16).padStart(2, "0"));
  assertEquals(
    [hex(k.dataKey), hex(k.nameKey), hex(k.nameTweak)].map((h) => h.join("")),
    ["8e9b6b99", "3ea95ef6", "f17fd714"],
  );
});

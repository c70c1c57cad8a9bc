import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { cstr } from "./c_string.ts";

Deno.test("cstr: UTF-8 bytes and one NUL, in a buffer of their own", () => {
  const c = cstr("a/é");
  assertEquals([...c], [0x61, 0x2f, 0xc3, 0xa9, 0]);
  assertEquals(c.byteOffset, 0);
  assertEquals(c.buffer.byteLength, c.length);
});

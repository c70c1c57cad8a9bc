/**
 * @module
 * Unit tests of `push_stream.ts`.
 */

import { assertEquals, assertRejects } from "../../tests/vfs_assert.ts";
import { PushStream } from "./push_stream.ts";

Deno.test("PushStream delivers pushed chunks in order and ends on close()", async () => {
  const s = new PushStream(4);
  const body = new Response(s.readable).text();
  await s.push(new TextEncoder().encode("ab"));
  const pending = s.push(new TextEncoder().encode("cdefg")); // over the high-water mark
  await pending;
  s.close();
  assertEquals(await body, "abcdefg");
});

Deno.test("PushStream.push() waits for the consumer past the high-water mark", async () => {
  const s = new PushStream(2);
  let done = false;
  const p = s.push(new Uint8Array(10)).then(() => (done = true));
  await new Promise((r) => setTimeout(r, 10));
  assertEquals(done, false);
  const reader = s.readable.getReader();
  await reader.read();
  await p;
  assertEquals(done, true);
});

Deno.test("PushStream.fail() rejects waiting pushes and errors the stream", async () => {
  const s = new PushStream(1);
  const p = s.push(new Uint8Array(5));
  s.fail(new Error("remote broke"));
  await assertRejects(() => p, Error, "remote broke");
  await assertRejects(() => s.readable.getReader().read(), Error, "remote broke");
});

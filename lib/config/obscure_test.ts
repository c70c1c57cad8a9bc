import assert from "node:assert/strict";
import { throwsError } from "./_test_helpers.ts";
import { obscure, ObscureError, obscureWithIv, reveal, tryReveal } from "./obscure.ts";

const IV_0_TO_15 = Uint8Array.from({ length: 16 }, (_, i) => i);

Deno.test("obscureWithIv() matches rclone's test vector for potato", () => {
  assert.equal(obscureWithIv("potato", IV_0_TO_15), "AAECAwQFBgcICQoLDA0OD3HwE0RzvQ");
});

Deno.test("obscureWithIv() of the empty string with a zero IV is the bare IV", () => {
  assert.equal(obscureWithIv("", new Uint8Array(16)), "AAAAAAAAAAAAAAAAAAAAAA");
});

Deno.test("reveal() decodes rclone's test vectors", () => {
  assert.equal(reveal("AAECAwQFBgcICQoLDA0OD3HwE0RzvQ"), "potato");
  assert.equal(reveal("AAAAAAAAAAAAAAAAAAAAAA"), "");
});

Deno.test("obscure() uses a fresh IV and round-trips unicode", () => {
  const plain = "pä$$wörd 🔑 with spaces";
  const a = obscure(plain);
  const b = obscure(plain);
  assert.notEqual(a, b);
  assert.equal(reveal(a), plain);
  assert.equal(reveal(b), plain);
  // ceil((16 + n) * 4 / 3) characters, no padding.
  const n = new TextEncoder().encode(plain).length;
  assert.equal(a.length, Math.ceil(((16 + n) * 4) / 3));
  assert.equal(/^[A-Za-z0-9_-]+$/.test(a), true);
});

Deno.test("reveal() rejects padding and the standard alphabet with rclone's message", () => {
  const e1 = throwsError(() => reveal("AAAA="), ObscureError);
  assert.equal(
    e1.message,
    "base64 decode failed when revealing password - is it obscured?: illegal base64 data at input byte 4",
  );
  const e2 = throwsError(() => reveal("AA+A"), ObscureError);
  assert.equal(
    e2.message,
    "base64 decode failed when revealing password - is it obscured?: illegal base64 data at input byte 2",
  );
  const e3 = throwsError(() => reveal("AAAAAAAAAAAAAAAAAAAAA"), ObscureError);
  assert.equal(e3.message.endsWith("illegal base64 data at input byte 20"), true);
});

Deno.test("reveal() rejects input shorter than the IV", () => {
  for (const v of ["", "abc"]) {
    const e = throwsError(() => reveal(v), ObscureError);
    assert.equal(e.message, "input too short when revealing password - is it obscured?");
  }
});

Deno.test("tryReveal() returns undefined for plain text and the value for obscured text", () => {
  assert.equal(tryReveal("hunter2"), undefined);
  assert.equal(tryReveal(obscure("hunter2")), "hunter2");
});

import { BASE32, BASE32768, BASE64, nameEncodingFor } from "./name_encoding.ts";
import { decodeBase32768, encodeBase32768 } from "./base32768.ts";
import { InvalidError } from "../../errors.ts";
import { assertEquals, assertRejects, patternBytes } from "./_test_util.ts";

Deno.test("BASE32 is RFC 4648 base32hex, lower case, unpadded", () => {
  // RFC 4648 §10 test vectors for base32hex, lower-cased and without "=".
  const vectors: [string, string][] = [
    ["", ""],
    ["f", "co"],
    ["fo", "cpng"],
    ["foo", "cpnmu"],
    ["foob", "cpnmuog"],
    ["fooba", "cpnmuoj1"],
    ["foobar", "cpnmuoj1e8"],
  ];
  for (const [plain, enc] of vectors) {
    assertEquals(BASE32.encode(new TextEncoder().encode(plain)), enc);
    assertEquals(new TextDecoder().decode(BASE32.decode(enc)), plain);
    assertEquals(new TextDecoder().decode(BASE32.decode(enc.toUpperCase())), plain);
  }
});

Deno.test("BASE64 is URL-safe base64 without padding", () => {
  for (let n = 0; n < 40; n++) {
    const bytes = patternBytes(n, n + 1);
    const std = btoa(String.fromCharCode(...bytes));
    const want = std.replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
    assertEquals(BASE64.encode(bytes), want, `n=${n}`);
    assertEquals(BASE64.decode(want), bytes, `n=${n}`);
  }
});

Deno.test("BASE32768 round-trips every length from 0 to 64 bytes", () => {
  for (let n = 0; n <= 64; n++) {
    const bytes = patternBytes(n, 100 + n);
    const enc = encodeBase32768(bytes);
    assertEquals(enc.length, Math.ceil((8 * n) / 15), `n=${n}`);
    assertEquals(decodeBase32768(enc), bytes, `n=${n}`);
    assertEquals(BASE32768.decode(BASE32768.encode(bytes)), bytes);
  }
});

Deno.test("BASE32768 uses the 7-bit blocks only for the last character", () => {
  // 1 byte = 8 bits: one 15-bit character would waste 7; rclone's encoder emits one 15-bit
  // character, and 2 bytes = 16 bits need a 15-bit and a 7-bit one.
  const two = encodeBase32768(new Uint8Array([0xff, 0xff]));
  assertEquals(two.length, 2);
  assertEquals(two.charCodeAt(1) < 0x0300, true);
});

Deno.test("name decoders reject characters outside their alphabet", async () => {
  await assertRejects(() => BASE32.decode("abc!"), InvalidError, "illegal character");
  await assertRejects(() => BASE32.decode("cpng=="), InvalidError);
  await assertRejects(() => BASE32.decode("c"), InvalidError, "impossible");
  await assertRejects(() => BASE64.decode("ab+c"), InvalidError, "illegal character");
  await assertRejects(() => BASE64.decode("abcde"), InvalidError, "impossible");
  await assertRejects(() => BASE32768.decode("abc"), InvalidError, "illegal base32768");
});

Deno.test("nameEncodingFor() knows the three encodings and rejects others", async () => {
  assertEquals(nameEncodingFor("BASE64").name, "base64");
  assertEquals(nameEncodingFor("base32768").name, "base32768");
  await assertRejects(() => nameEncodingFor("base16"), InvalidError, "base16");
});

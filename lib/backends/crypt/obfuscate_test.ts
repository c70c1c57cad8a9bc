import { deobfuscateSegment, obfuscateSegment } from "./obfuscate.ts";
import { assertEquals } from "./_test_util.ts";

const KEY = new Uint8Array(32).map((_, i) => i * 7);

Deno.test("obfuscateSegment() prefixes the code point sum mod 256", () => {
  const out = obfuscateSegment("ab", KEY);
  assertEquals(out.startsWith(`${(0x61 + 0x62) % 256}.`), true, out);
});

Deno.test("obfuscateSegment() keeps punctuation and rotates letters, digits and Latin-1", () => {
  const out = obfuscateSegment("a-b_c 1.ü", KEY);
  const body = out.slice(out.indexOf(".") + 1);
  assertEquals([body[1], body[3], body[5], body[7]], ["-", "_", " ", "."]);
  assertEquals(/[A-Za-z]/.test(body[0]!) && body[0] !== "a", true, body);
  assertEquals(/[0-9]/.test(body[6]!) && body[6] !== "1", true, body);
  const u = body.codePointAt(8)!;
  assertEquals(u >= 0xa0 && u <= 0xff && u !== 0xfc, true, body);
});

Deno.test("obfuscateSegment() doubles '!' and deobfuscateSegment() undoes it", () => {
  const out = obfuscateSegment("!x!", KEY);
  assertEquals(out.split("!").length - 1, 4, out);
  assertEquals(deobfuscateSegment(out, KEY), "!x!");
});

Deno.test("obfuscateSegment() passes a lone surrogate through behind '!.'", () => {
  const bad = "a\ud800b";
  assertEquals(obfuscateSegment(bad, KEY), "!." + bad);
  assertEquals(deobfuscateSegment("!." + bad, KEY), bad);
});

Deno.test("deobfuscateSegment() inverts obfuscateSegment() over many code points", () => {
  let s = "";
  for (let cp = 0x20; cp < 0x2200; cp += 7) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    s += String.fromCodePoint(cp);
  }
  s += "😀🚀" + String.fromCodePoint(0x10ffff);
  for (let k = 0; k < 5; k++) {
    const key = new Uint8Array(32).fill(k * 51);
    assertEquals(deobfuscateSegment(obfuscateSegment(s, key), key), s, `key ${k}`);
  }
});

import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { asciiString, isAscii, latin1String, writeAscii } from "./byte_strings.ts";

Deno.test("latin1String maps each byte to one character, across conversion slices", () => {
  const bytes = Uint8Array.from({ length: 10_000 }, (_, i) => i % 256);
  const want = Array.from(bytes, (b) => String.fromCharCode(b)).join("");
  assertEquals(latin1String(bytes), want);
  assertEquals(latin1String(bytes, 4090, 4200), want.slice(4090, 4200));
  assertEquals(latin1String(bytes, 5, 5), "");
});

Deno.test("asciiString decodes ASCII only, as TextDecoder would", () => {
  const text = '{"Name":"v1","Opts":{"k":"x y"}}';
  assertEquals(asciiString(new TextEncoder().encode(text)), text);
  assertEquals(asciiString(new TextEncoder().encode('{"Name":"é"}')), undefined);
  assertEquals(asciiString(new Uint8Array(0)), "");
});

Deno.test("isAscii tells ASCII text from the rest", () => {
  assertEquals(isAscii('{"Err":"x"}\n'), true);
  assertEquals(isAscii(""), true);
  assertEquals(isAscii("\u007f"), true);
  assertEquals(isAscii("\u0080"), false);
  assertEquals(isAscii('{"Err":"é"}'), false);
});

Deno.test("writeAscii writes ASCII text that fits, and declines the rest", () => {
  const out = new Uint8Array(8);
  assertEquals(writeAscii("HTTP/1.1", out), 8);
  assertEquals(new TextDecoder().decode(out), "HTTP/1.1");
  assertEquals(writeAscii("HTTP/1.1 ", out), -1);
  assertEquals(writeAscii("é", out), -1);
  assertEquals(writeAscii("", out), 0);
});

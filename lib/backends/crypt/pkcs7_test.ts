import { pkcs7Pad, pkcs7Unpad } from "./pkcs7.ts";
import { InvalidError } from "../../errors.ts";
import { assertEquals, assertRejects } from "./_test_util.ts";

Deno.test("pkcs7Pad() always adds 1 to 16 bytes holding the pad length", () => {
  for (let n = 0; n <= 33; n++) {
    const padded = pkcs7Pad(16, new Uint8Array(n).fill(0xaa));
    const pad = 16 - (n % 16);
    assertEquals(padded.length, n + pad, `n=${n}`);
    assertEquals([...padded.subarray(n)].every((b) => b === pad), true, `n=${n}`);
    assertEquals(pkcs7Unpad(16, padded).length, n, `n=${n}`);
  }
});

Deno.test("pkcs7Unpad() rejects malformed padding", async () => {
  await assertRejects(() => pkcs7Unpad(16, new Uint8Array(0)), InvalidError, "length 0");
  await assertRejects(() => pkcs7Unpad(16, new Uint8Array(15)), InvalidError, "multiple");
  await assertRejects(() => pkcs7Unpad(16, new Uint8Array(16)), InvalidError, "pad byte 0");
  await assertRejects(() => pkcs7Unpad(16, new Uint8Array(16).fill(17)), InvalidError);
  const bad = new Uint8Array(16).fill(3);
  bad[14] = 2;
  await assertRejects(() => pkcs7Unpad(16, bad), InvalidError, "differ");
});

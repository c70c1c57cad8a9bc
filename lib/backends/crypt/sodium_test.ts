import { DataCipher } from "./data_cipher.ts";
import { BLOCK_DATA_SIZE, BLOCK_HEADER_SIZE } from "./data_format.ts";
import { openSodium } from "./sodium.ts";
import { assertBytes, assertEquals, patternBytes } from "./_test_util.ts";

const LAYOUT = { data: BLOCK_DATA_SIZE, tag: BLOCK_HEADER_SIZE };
const KEY = patternBytes(32, 1);
const NONCE = patternBytes(24, 2);

Deno.test("Sodium seals and opens batches on its worker; a tampered block stays zero", async () => {
  const sodium = openSodium()!;
  try {
    const plain = patternBytes(3 * BLOCK_DATA_SIZE + 100, 3);
    const input = plain.slice();
    const sealed = await sodium.sealBlocks(LAYOUT, KEY, NONCE, input, new Uint8Array([7, 8]));
    assertEquals(sodium.usesWorker, true);
    // The input spanned its buffer, so it went to the worker.
    assertEquals(input.buffer.byteLength, 0);
    assertEquals([...sealed.subarray(0, 2)], [7, 8]);
    const js = new DataCipher(KEY, { sodium: null });
    assertBytes(sealed.subarray(2), await js.sealBlocks(NONCE, plain), "same bytes as pure JS");
    // A small batch is sealed on the JS thread: its input stays.
    const small = plain.slice(0, 100);
    const smallSealed = await sodium.sealBlocks(LAYOUT, KEY, NONCE, small, new Uint8Array(0));
    assertEquals(small.buffer.byteLength, 100);
    assertBytes(smallSealed, js.seal(NONCE, plain.subarray(0, 100)), "small batch");
    sealed[2 + 65552 + 40]! ^= 1;
    const whole = sealed.subarray(2);
    const opened = await sodium.openBlocks(LAYOUT, KEY, NONCE, whole);
    // A subarray is copied, not detached.
    assertEquals(whole.length, sealed.length - 2);
    assertEquals([...opened.ok], [1, 0, 1, 1]);
    const want = plain.slice();
    want.fill(0, BLOCK_DATA_SIZE, 2 * BLOCK_DATA_SIZE);
    assertBytes(opened.plain, want, "plaintext");
  } finally {
    await sodium.close();
  }
});

Deno.test("Sodium runs on the JS thread after its worker is closed", async () => {
  const sodium = openSodium()!;
  const plain = patternBytes(BLOCK_DATA_SIZE + 1, 4);
  const before = await sodium.sealBlocks(LAYOUT, KEY, NONCE, plain.slice(), new Uint8Array(0));
  await sodium.close();
  assertEquals(sodium.usesWorker, false);
  const after = await sodium.sealBlocks(LAYOUT, KEY, NONCE, plain.slice(), new Uint8Array(0));
  assertBytes(after, before, "sealed inline");
  const opened = await sodium.openBlocks(LAYOUT, KEY, NONCE, after);
  assertEquals([...opened.ok], [1, 1]);
  assertBytes(opened.plain, plain, "opened inline");
});

Deno.test("DENOCLONE_NO_SODIUM=1 makes DataCipher fall back to the pure-JS cipher", async () => {
  assertEquals(new DataCipher(new Uint8Array(32)).native, true);
  const url = new URL("./data_cipher.ts", import.meta.url).href;
  const code = `const { DataCipher } = await import(${JSON.stringify(url)});
console.log(new DataCipher(new Uint8Array(32)).native);`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    env: { DENOCLONE_NO_SODIUM: "1" },
    stdout: "piped",
    stderr: "inherit",
    signal: AbortSignal.timeout(60_000),
  }).output();
  assertEquals(out.code, 0);
  assertEquals(new TextDecoder().decode(out.stdout).trim(), "false");
});

import { DataCipher } from "./data_cipher.ts";
import { BLOCK_DATA_SIZE, BLOCK_HEADER_SIZE } from "./data_format.ts";
import { openSodium } from "./sodium.ts";
import { assertBytes, assertEquals, patternBytes } from "./_test_util.ts";

const LAYOUT = { data: BLOCK_DATA_SIZE, tag: BLOCK_HEADER_SIZE };
const KEY = patternBytes(32, 1);
const NONCE = patternBytes(24, 2);

Deno.test("Sodium seals batches like the pure-JS cipher; a tampered block stays zero", () => {
  const sodium = openSodium()!;
  const js = new DataCipher(KEY, { sodium: null });
  const plain = patternBytes(3 * BLOCK_DATA_SIZE + 100, 3);
  const sealed = sodium.sealBlocks(LAYOUT, KEY, NONCE, plain, new Uint8Array([7, 8]));
  assertEquals([...sealed.subarray(0, 2)], [7, 8]);
  assertBytes(sealed.subarray(2), js.sealBlocks(NONCE, plain), "same bytes as pure JS");
  const nonce = NONCE.slice();
  nonce.fill(0xff, 0, 23);
  const small = plain.subarray(0, 100);
  assertBytes(
    sodium.sealBlocks(LAYOUT, KEY, nonce, small, new Uint8Array(0)),
    js.seal(nonce, small),
    "short block, nonce with carries",
  );
  sealed[2 + BLOCK_DATA_SIZE + BLOCK_HEADER_SIZE + 40]! ^= 1;
  const opened = sodium.openBlocks(LAYOUT, KEY, NONCE, sealed.subarray(2));
  assertEquals([...opened.ok], [1, 0, 1, 1]);
  const want = plain.slice();
  want.fill(0, BLOCK_DATA_SIZE, 2 * BLOCK_DATA_SIZE);
  assertBytes(opened.plain, want, "plaintext");
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

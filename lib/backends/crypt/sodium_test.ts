import { DataCipher } from "./data_cipher.ts";
import { loadSodium, offHeap } from "./sodium.ts";
import { assertBytes, assertEquals, patternBytes } from "./_test_util.ts";

Deno.test("loadSodium() seals and opens a block; a tampered one does not open", async () => {
  const sodium = loadSodium();
  assertEquals(sodium !== undefined, true);
  const key = offHeap(32);
  key.set(patternBytes(32, 1));
  const nonce = offHeap(24);
  nonce.set(patternBytes(24, 2));
  const plain = offHeap(1000);
  plain.set(patternBytes(1000, 3));
  const sealed = offHeap(1016);
  await sodium!.seal(sealed, plain, nonce, key);
  const out = offHeap(1000);
  assertEquals(await sodium!.open(out, sealed, nonce, key), true);
  assertBytes(out, plain, "opened");
  sealed[20]! ^= 1;
  const untouched = offHeap(1000);
  assertEquals(await sodium!.open(untouched, sealed, nonce, key), false);
  assertEquals(untouched.every((b) => b === 0), true);
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

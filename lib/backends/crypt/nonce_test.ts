import { addToNonce, incrementNonce, NONCE_SIZE } from "./nonce.ts";
import { assertEquals } from "./_test_util.ts";

Deno.test("incrementNonce() adds one to byte 0", () => {
  const n = new Uint8Array(NONCE_SIZE);
  n[0] = 5;
  incrementNonce(n);
  assertEquals(n[0], 6);
  assertEquals([...n.subarray(1)].every((b) => b === 0), true);
});

Deno.test("incrementNonce() carries through 0xff bytes", () => {
  const n = new Uint8Array(NONCE_SIZE);
  n.fill(0xff, 0, 3);
  n[3] = 7;
  incrementNonce(n);
  assertEquals([...n.subarray(0, 5)], [0, 0, 0, 8, 0]);
});

Deno.test("incrementNonce() wraps an all-0xff nonce to zero", () => {
  const n = new Uint8Array(NONCE_SIZE).fill(0xff);
  incrementNonce(n);
  assertEquals(n.every((b) => b === 0), true);
});

Deno.test("addToNonce() equals repeated increments, including carries", () => {
  const start = new Uint8Array(NONCE_SIZE);
  start.set([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 3]);
  for (const k of [0, 1, 2, 255, 256, 65537, 300000]) {
    const slow = start.slice();
    for (let i = 0; i < k; i++) incrementNonce(slow);
    assertEquals(addToNonce(start, k), slow, `k=${k}`);
  }
  // the input is not modified
  assertEquals(start[0], 0xfe);
});

Deno.test("addToNonce() carries out of the low 8 bytes into byte 8", () => {
  const start = new Uint8Array(NONCE_SIZE).fill(0xff, 0, 8);
  const out = addToNonce(start, 2 ** 40);
  assertEquals([...out.subarray(0, 9)], [0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1]);
});

Deno.test("addToNonce() rejects a negative count", () => {
  let threw = false;
  try {
    addToNonce(new Uint8Array(NONCE_SIZE), -1);
  } catch (err) {
    threw = err instanceof RangeError;
  }
  assertEquals(threw, true);
});

import assert from "node:assert/strict";
import { bytesEqual } from "./bytes_equal.ts";

Deno.test("bytesEqual() compares length and every byte", () => {
  assert.equal(bytesEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3])), true);
  assert.equal(bytesEqual(new Uint8Array(0), new Uint8Array(0)), true);
  assert.equal(bytesEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 4])), false);
  assert.equal(bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 0])), false);
  assert.equal(bytesEqual(new Uint8Array([9, 2, 3]), new Uint8Array([1, 2, 3])), false);
});

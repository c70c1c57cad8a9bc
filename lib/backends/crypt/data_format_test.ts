import {
  BLOCK_DATA_SIZE,
  BLOCK_SIZE,
  decryptedSize,
  encryptedSize,
  FILE_HEADER_SIZE,
  underlyingRange,
} from "./data_format.ts";
import { assertEquals } from "./_test_util.ts";

const B = BLOCK_DATA_SIZE;

Deno.test("encryptedSize() adds the header and 16 bytes per started block", () => {
  assertEquals(encryptedSize(0), 32);
  assertEquals(encryptedSize(1), 32 + 16 + 1);
  assertEquals(encryptedSize(B - 1), 32 + 16 + B - 1);
  assertEquals(encryptedSize(B), 32 + BLOCK_SIZE);
  assertEquals(encryptedSize(B + 1), 32 + BLOCK_SIZE + 17);
  assertEquals(encryptedSize(3 * B + 7), 32 + 3 * BLOCK_SIZE + 23);
  assertEquals(encryptedSize(10 * 2 ** 30), 32 + 163840 * BLOCK_SIZE);
});

Deno.test("decryptedSize() inverts encryptedSize()", () => {
  for (const n of [0, 1, 15, 16, 17, B - 1, B, B + 1, 2 * B, 3 * B + 7, 1e9 + 3]) {
    assertEquals(decryptedSize(encryptedSize(n)), n, `n=${n}`);
  }
});

Deno.test("decryptedSize() rejects sizes no encrypted file can have", () => {
  assertEquals(decryptedSize(0), undefined);
  assertEquals(decryptedSize(31), undefined);
  assertEquals(decryptedSize(FILE_HEADER_SIZE + 1), undefined);
  assertEquals(decryptedSize(FILE_HEADER_SIZE + 16), undefined);
  assertEquals(decryptedSize(FILE_HEADER_SIZE + BLOCK_SIZE + 16), undefined);
});

Deno.test("underlyingRange() covers whole blocks at and around block boundaries", () => {
  assertEquals(underlyingRange(0, undefined), {
    firstBlock: 0,
    offset: 32,
    length: undefined,
    discard: 0,
  });
  assertEquals(underlyingRange(0, 1), {
    firstBlock: 0,
    offset: 32,
    length: BLOCK_SIZE,
    discard: 0,
  });
  assertEquals(underlyingRange(0, B), {
    firstBlock: 0,
    offset: 32,
    length: BLOCK_SIZE,
    discard: 0,
  });
  assertEquals(underlyingRange(0, B + 1).length, 2 * BLOCK_SIZE);
  assertEquals(underlyingRange(B - 1, 2), {
    firstBlock: 0,
    offset: 32,
    length: 2 * BLOCK_SIZE,
    discard: B - 1,
  });
  assertEquals(underlyingRange(B, 1), {
    firstBlock: 1,
    offset: 32 + BLOCK_SIZE,
    length: BLOCK_SIZE,
    discard: 0,
  });
  assertEquals(underlyingRange(3 * B + 5, undefined), {
    firstBlock: 3,
    offset: 32 + 3 * BLOCK_SIZE,
    length: undefined,
    discard: 5,
  });
});

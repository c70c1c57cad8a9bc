import { CryptDataError, DataCipher, makeHeader, parseHeader } from "./data_cipher.ts";
import { BLOCK_DATA_SIZE, BLOCK_SIZE, encryptedSize, underlyingRange } from "./data_format.ts";
import { decryptStream } from "./decrypt_stream.ts";
import { encryptStream } from "./encrypt_stream.ts";
import { deriveKeys } from "./keys.ts";
import { addToNonce } from "./nonce.ts";
import type { Sodium } from "./sodium.ts";
import {
  assertBytes,
  assertEquals,
  assertRejects,
  hex,
  patternBytes,
  streamOf,
} from "./_test_util.ts";
import { readAll } from "../../util/read_all.ts";

const B = BLOCK_DATA_SIZE;
const SIZES = [0, 1, B - 1, B, B + 1, 3 * B + 7];
const KEY = patternBytes(32, 77);
const NONCE = patternBytes(24, 5);
// Every test runs with libsodium and with the pure-JS fallback.
const SODIUMS: [string, Sodium | null | undefined][] = [
  ["libsodium", undefined],
  ["pure JS", null],
];
const CIPHERS: [string, DataCipher, Sodium | null | undefined][] = SODIUMS.map((
  [kind, sodium],
) => [kind, new DataCipher(KEY, { sodium }), sodium]);

Deno.test("DataCipher uses libsodium when it can be opened (libsodium23 is installed)", () => {
  assertEquals(CIPHERS.map(([, c]) => c.native), [true, false]);
});

for (const [kind, cipher, sodium] of CIPHERS) {
  const encrypt = async (plain: Uint8Array, chunk?: number): Promise<Uint8Array> => {
    return await readAll(encryptStream(streamOf(plain, chunk), cipher, NONCE));
  };

  const decryptRange = async (enc: Uint8Array, offset: number, length?: number) => {
    const r = underlyingRange(offset, length);
    const end = r.length === undefined ? enc.length : r.offset + r.length;
    return await readAll(decryptStream(streamOf(enc.subarray(r.offset, end), 5000), {
      cipher,
      headerNonce: parseHeader(enc.subarray(0, 32)),
      firstBlock: r.firstBlock,
      discard: r.discard,
      limit: length,
    }));
  };

  Deno.test(`decryptStream() opens a file written by rclone 1.60 (${kind})`, async () => {
    // `rclone copyto` of "hello, crypt" through crypt with password "potato", password2
    // "sausage": the 60 bytes it stored.
    const enc = hex(
      "52434c4f4e4500007ade42e5f69ad98be0fd251260b0e076e127d811cdca91035ff1e135f6b1c7f99a52b0e7a3e0726029f1265348a7730a3cb5d9f9",
    );
    const keys = await deriveKeys("potato", "sausage");
    const out = await readAll(decryptStream(streamOf(enc.subarray(32)), {
      cipher: new DataCipher(keys.dataKey, { sodium }),
      headerNonce: parseHeader(enc.subarray(0, 32)),
      firstBlock: 0,
      discard: 0,
    }));
    assertEquals(new TextDecoder().decode(out), "hello, crypt");
  });

  for (const size of SIZES) {
    Deno.test(`encryptStream() and decryptStream() round-trip ${size} bytes (${kind})`, async () => {
      const plain = patternBytes(size, size + 1);
      const enc = await encrypt(plain, 10007);
      assertEquals(enc.length, encryptedSize(size));
      assertBytes(enc.subarray(0, 32), makeHeader(NONCE), "header");
      assertBytes(await decryptRange(enc, 0), plain, "whole file");
    });
  }

  Deno.test(`encryptStream() output does not depend on the input chunking (${kind})`, async () => {
    const plain = patternBytes(2 * B + 100, 9);
    assertBytes(await encrypt(plain, 1), await encrypt(plain, 65536 * 3), "chunking");
  });

  Deno.test(`encryptStream() seals block i with the header nonce plus i (${kind})`, async () => {
    const plain = patternBytes(3 * B + 7, 4);
    const enc = await encrypt(plain);
    for (let i = 0; i < 4; i++) {
      const start = 32 + i * BLOCK_SIZE;
      const block = enc.subarray(start, Math.min(enc.length, start + BLOCK_SIZE));
      const opened = cipher.open(addToNonce(NONCE, i), block);
      assertBytes(opened!, plain.subarray(i * B, (i + 1) * B), `block ${i}`);
    }
  });

  Deno.test(`decryptStream() reads ranges at and across block boundaries (${kind})`, async () => {
    const size = 3 * B + 7;
    const plain = patternBytes(size, 3);
    const enc = await encrypt(plain);
    const cases: [number, number | undefined][] = [
      [0, 1],
      [B - 1, 1],
      [B - 1, 2],
      [B, B],
      [B, 1],
      [B + 1, undefined],
      [2 * B - 10, B + 20],
      [3 * B, 7],
      [3 * B + 6, 100],
      [size, 10],
      [size + 5, undefined],
      [17, 3 * B],
    ];
    for (const [offset, length] of cases) {
      const want = plain.subarray(
        Math.min(offset, size),
        length === undefined ? size : Math.min(size, offset + length),
      );
      assertBytes(await decryptRange(enc, offset, length), want, `range(${offset}, ${length})`);
    }
  });

  Deno.test(`decryptStream() fails on a tampered block unless pass_bad_blocks (${kind})`, async () => {
    const plain = patternBytes(2 * B + 3, 8);
    const enc = await encrypt(plain);
    enc[32 + BLOCK_SIZE + 100]! ^= 0x40;
    await assertRejects(() => decryptRange(enc, 0), CryptDataError, "failed to authenticate");
    const bad: number[] = [];
    const out = await readAll(decryptStream(streamOf(enc.subarray(32)), {
      cipher,
      headerNonce: NONCE,
      firstBlock: 0,
      discard: 0,
      passBadBlocks: true,
      onBadBlock: (b) => bad.push(b),
    }));
    assertEquals(bad, [1]);
    assertBytes(out.subarray(0, B), plain.subarray(0, B), "good block");
    assertEquals(out.subarray(B, 2 * B).every((x) => x === 0), true);
    assertBytes(out.subarray(2 * B), plain.subarray(2 * B), "last block");
  });

  Deno.test(`decryptStream() fails on a truncated block header (${kind})`, async () => {
    const enc = await encrypt(patternBytes(100, 1));
    await assertRejects(
      () => decryptRange(enc.subarray(0, 32 + 10), 0),
      CryptDataError,
      "truncated block header",
    );
  });

  Deno.test(`encryptStream() cancels its source when cancelled (${kind})`, async () => {
    let cancelled = false;
    const src = new ReadableStream<Uint8Array>({
      pull(c) {
        c.enqueue(new Uint8Array(B));
      },
      cancel() {
        cancelled = true;
      },
    });
    const reader = encryptStream(src, cipher, NONCE).getReader();
    await reader.read();
    await reader.read();
    await reader.cancel();
    assertEquals(cancelled, true);
  });

  Deno.test(`streams of many batches round-trip and read ranges (${kind})`, async () => {
    const size = 40 * B + 5;
    const plain = patternBytes(size, 12);
    const enc = await encrypt(plain, 100_003);
    assertEquals(enc.length, encryptedSize(size));
    assertBytes(await decryptRange(enc, 0), plain, "whole file");
    for (const [offset, length] of [[3 * B + 9, 20 * B], [17 * B, undefined], [39 * B, 2 * B]]) {
      const end = length === undefined ? size : Math.min(size, offset! + length);
      assertBytes(await decryptRange(enc, offset!, length), plain.subarray(offset, end), "range");
    }
  });

  Deno.test(`decryptStream() hands out the blocks before a bad one, then fails (${kind})`, async () => {
    const plain = patternBytes(20 * B, 13);
    const enc = await encrypt(plain);
    enc[32 + 6 * BLOCK_SIZE + 5]! ^= 1;
    const reader = decryptStream(streamOf(enc.subarray(32), 65536), {
      cipher,
      headerNonce: NONCE,
      firstBlock: 0,
      discard: 0,
    }).getReader();
    let got = 0;
    const err = await assertRejects(
      async () => {
        while (true) {
          const { value, done } = await reader.read();
          if (done) break;
          assertBytes(value, plain.subarray(got, got + value.length), `bytes at ${got}`);
          got += value.length;
        }
      },
      CryptDataError,
      "failed to authenticate",
    );
    assertEquals(err instanceof CryptDataError, true);
    assertEquals(got, 6 * B);
  });

  Deno.test(`decryptStream() passes several bad blocks of one batch as zeros (${kind})`, async () => {
    const plain = patternBytes(12 * B + 1, 14);
    const enc = await encrypt(plain);
    for (const i of [4, 5, 12]) enc[32 + i * BLOCK_SIZE]! ^= 0x80;
    const bad: number[] = [];
    const out = await readAll(decryptStream(streamOf(enc.subarray(32)), {
      cipher,
      headerNonce: NONCE,
      firstBlock: 0,
      discard: 0,
      passBadBlocks: true,
      onBadBlock: (b) => bad.push(b),
    }));
    assertEquals(bad, [4, 5, 12]);
    assertEquals(out.length, plain.length);
    const want = plain.slice();
    want.fill(0, 4 * B, 6 * B);
    want.fill(0, 12 * B);
    assertBytes(out, want, "plaintext with zeroed blocks");
  });
}

Deno.test("parseHeader() rejects short files and bad magic", async () => {
  await assertRejects(() => parseHeader(new Uint8Array(31)), CryptDataError, "too short");
  const h = makeHeader(NONCE);
  h[0] = 0x72;
  await assertRejects(() => parseHeader(h), CryptDataError, "bad magic");
});

Deno.test("libsodium and pure-JS ciphers write the same bytes and read each other's", async () => {
  const [native, js] = [CIPHERS[0]![1], CIPHERS[1]![1]];
  const plain = patternBytes(9 * B + 333, 15);
  const a = await readAll(encryptStream(streamOf(plain, 30_000), native, NONCE));
  const b = await readAll(encryptStream(streamOf(plain, 70_000), js, NONCE));
  assertBytes(a, b, "sealed bytes");
  const opened = js.openBlocks(NONCE, a.subarray(32));
  assertEquals(opened.bad, []);
  assertBytes(opened.plain, plain, "opened by JS");
  const sealedNative = native.sealBlocks(addToNonce(NONCE, 3), plain.subarray(0, 10));
  assertBytes(sealedNative, js.seal(addToNonce(NONCE, 3), plain.subarray(0, 10)), "short block");
});

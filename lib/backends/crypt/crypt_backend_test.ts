import type { Backend, Change, Entry, ReadOptions, WriteOptions } from "../backend.ts";
import { MemoryBackend } from "../memory.ts";
import { CryptBackend, type CryptBackendOptions } from "./crypt_backend.ts";
import { type CryptCipherSettings, newCryptCipher } from "./crypt_cipher.ts";
import { BLOCK_DATA_SIZE, BLOCK_SIZE, encryptedSize } from "./data_format.ts";
import { FsError, IsDirectoryError, NotFoundError } from "../../errors.ts";
import { assertBytes, assertEquals, assertRejects, patternBytes, streamOf } from "./_test_util.ts";
import { readAll } from "../../util/read_all.ts";

const B = BLOCK_DATA_SIZE;

/** A memory backend that records the ranges read from it. */
class RecordingBackend extends MemoryBackend {
  reads: { path: string; offset: number; length?: number }[] = [];
  override read(path: string, options: ReadOptions = {}): Promise<ReadableStream<Uint8Array>> {
    this.reads.push({ path, offset: options.offset ?? 0, length: options.length });
    return super.read(path, options);
  }
}

async function setup(
  settings: Partial<CryptCipherSettings> = {},
  extra: Partial<CryptBackendOptions> = {},
) {
  const wrapped = new RecordingBackend();
  const cipher = await newCryptCipher({ password: "unit", ...settings });
  const crypt = new CryptBackend({ wrapped, cipher, name: "secret:", root: "", ...extra });
  return { wrapped, crypt, cipher };
}

function write(b: Backend, path: string, data: Uint8Array, opts?: WriteOptions): Promise<Entry> {
  return b.write(path, streamOf(data), { size: data.length, ...opts });
}

Deno.test("CryptBackend stores encrypted names and data and reports plaintext sizes", async () => {
  const { wrapped, crypt, cipher } = await setup();
  const data = patternBytes(B + 9, 1);
  const e = await write(crypt, "dir/file.txt", data);
  assertEquals([e.path, e.size, e.isDir], ["dir/file.txt", B + 9, false]);
  const encPath = cipher.names.encryptFileName("dir/file.txt");
  const raw = await wrapped.stat(encPath);
  assertEquals(raw.size, encryptedSize(B + 9));
  assertEquals((await crypt.stat("dir/file.txt")).size, B + 9);
  assertEquals((await crypt.list("dir")).map((x) => [x.path, x.size]), [["dir/file.txt", B + 9]]);
  const stored = await readAll(await wrapped.read(encPath));
  assertEquals(new TextDecoder().decode(stored.subarray(0, 6)), "RCLONE");
  assertBytes(await readAll(await crypt.read("dir/file.txt")), data, "read back");
  assertEquals(crypt.features.hashes, []);
  assertEquals("hash" in crypt, false);
});

Deno.test("CryptBackend ranged reads fetch only the blocks they touch", async () => {
  const { wrapped, crypt, cipher } = await setup();
  const size = 3 * B + 7;
  const data = patternBytes(size, 2);
  await write(crypt, "f", data);
  const enc = cipher.names.encryptFileName("f");
  const cases: [number, number, { offset: number; length?: number }[]][] = [
    [0, 10, [{ offset: 0, length: 32 + BLOCK_SIZE }]],
    [B - 1, 2, [{ offset: 0, length: 32 + 2 * BLOCK_SIZE }]],
    [B, B, [{ offset: 0, length: 32 }, { offset: 32 + BLOCK_SIZE, length: BLOCK_SIZE }]],
    [2 * B + 5, 10, [{ offset: 0, length: 32 }, {
      offset: 32 + 2 * BLOCK_SIZE,
      length: BLOCK_SIZE,
    }]],
    [3 * B, 100, [{ offset: 0, length: 32 }, {
      offset: 32 + 3 * BLOCK_SIZE,
      length: BLOCK_SIZE,
    }]],
  ];
  for (const [offset, length, want] of cases) {
    wrapped.reads = [];
    const got = await readAll(await crypt.read("f", { offset, length }));
    assertBytes(got, data.subarray(offset, Math.min(size, offset + length)), `${offset}`);
    assertEquals(wrapped.reads, want.map((w) => ({ path: enc, ...w })), `reads for ${offset}`);
  }
});

Deno.test("CryptBackend skips undecryptable names, or fails with strict_names", async () => {
  const { wrapped, crypt } = await setup();
  await write(crypt, "good", patternBytes(3, 1));
  await write(wrapped, "not-encrypted.txt", patternBytes(3, 1));
  await wrapped.mkdir("plain dir");
  assertEquals((await crypt.list("")).map((e) => e.path), ["good"]);
  const strict = new CryptBackend({
    wrapped,
    cipher: await newCryptCipher({ password: "unit" }),
    name: "strict:",
    root: "",
    strictNames: true,
  });
  await assertRejects(() => strict.list(""), FsError, "undecryptable");
});

Deno.test("CryptBackend reports the decrypted size 0 for a corrupt encrypted size", async () => {
  const { wrapped, crypt, cipher } = await setup();
  await write(wrapped, cipher.names.encryptFileName("short"), patternBytes(40, 1));
  assertEquals((await crypt.stat("short")).size, 0);
  await assertRejects(async () => await readAll(await crypt.read("short")), FsError);
});

Deno.test("CryptBackend with no_data_encryption stores data in clear", async () => {
  const { wrapped, crypt, cipher } = await setup({}, { noDataEncryption: true });
  const data = patternBytes(1000, 5);
  await write(crypt, "clear", data);
  assertBytes(
    await readAll(await wrapped.read(cipher.names.encryptFileName("clear"))),
    data,
    "raw",
  );
  assertEquals((await crypt.stat("clear")).size, 1000);
  assertBytes(
    await readAll(await crypt.read("clear", { offset: 10, length: 5 })),
    data.subarray(10, 15),
    "range",
  );
});

Deno.test("CryptBackend maps wrapped errors to plaintext paths", async () => {
  const { crypt } = await setup({ filenameEncryption: "off" });
  await crypt.mkdir("d");
  const nf = await assertRejects(() => crypt.read("missing"), NotFoundError);
  assertEquals(nf.message.includes('"missing"'), true, nf.message);
  await assertRejects(() => crypt.read("d"), IsDirectoryError, '"d"');
  await assertRejects(() => crypt.remove("d"), IsDirectoryError, '"d"');
});

Deno.test("CryptBackend pass_bad_blocks reads a damaged block as zeros", async () => {
  const { wrapped, crypt, cipher } = await setup({}, { passBadBlocks: true });
  const data = patternBytes(2 * B, 6);
  await write(crypt, "f", data);
  const enc = cipher.names.encryptFileName("f");
  const raw = await readAll(await wrapped.read(enc));
  raw[32 + 50]! ^= 1;
  await wrapped.write(enc, streamOf(raw));
  const got = await readAll(await crypt.read("f"));
  assertEquals(got.subarray(0, B).every((x) => x === 0), true);
  assertBytes(got.subarray(B), data.subarray(B), "second block");
});

/** A recording backend that tracks how many of its read streams were cancelled. */
class CancelCountingBackend extends RecordingBackend {
  cancelled = 0;
  override async read(path: string, options: ReadOptions = {}) {
    const inner = await super.read(path, options);
    const reader = inner.getReader();
    return new ReadableStream<Uint8Array>({
      pull: async (c) => {
        const { value, done } = await reader.read();
        if (done) c.close();
        else c.enqueue(value);
      },
      cancel: (reason) => {
        this.cancelled++;
        return reader.cancel(reason);
      },
    });
  }
}

Deno.test("CryptBackend ranged reads past block 0 fail cleanly on a bad header or file", async () => {
  const wrapped = new CancelCountingBackend();
  const cipher = await newCryptCipher({ password: "unit" });
  const crypt = new CryptBackend({ wrapped, cipher, name: "secret:", root: "" });
  await write(crypt, "f", patternBytes(3 * B, 7));
  const enc = cipher.names.encryptFileName("f");
  const raw = await readAll(await wrapped.read(enc));
  raw[0] = 0x72;
  await wrapped.write(enc, streamOf(raw));
  wrapped.cancelled = 0;
  await assertRejects(() => crypt.read("f", { offset: 2 * B, length: 10 }), FsError, "bad magic");
  // The header and the blocks were asked for together; the blocks' stream was cancelled.
  assertEquals(wrapped.reads.slice(-2).map((r) => r.offset), [0, 32 + 2 * BLOCK_SIZE]);
  assertEquals(wrapped.cancelled, 1);
  await assertRejects(() => crypt.read("gone", { offset: 2 * B, length: 10 }), NotFoundError);
});

/** A memory backend with change notification driven by the test. */
class WatchableBackend extends MemoryBackend {
  override readonly features = { ...new MemoryBackend().features, changeNotify: true };
  notify: ((c: Change) => void) | undefined;
  watch(onChange: (c: Change) => void, _intervalMs: number): () => void {
    this.notify = onChange;
    return () => this.notify = undefined;
  }
}

Deno.test("CryptBackend.watch() reports decrypted paths and drops undecryptable ones", async () => {
  const wrapped = new WatchableBackend();
  const cipher = await newCryptCipher({ password: "unit" });
  const crypt = new CryptBackend({ wrapped, cipher, name: "secret:", root: "" });
  assertEquals(crypt.features.changeNotify, true);
  const seen: Change[] = [];
  const stop = crypt.watch!((c) => seen.push(c), 1000);
  wrapped.notify!({ path: cipher.names.encryptFileName("d/f.txt"), kind: "file" });
  wrapped.notify!({ path: cipher.names.encryptDirName("d/e"), kind: "dir" });
  wrapped.notify!({ path: cipher.names.encryptFileName("u"), kind: "unknown" });
  wrapped.notify!({ path: "not encrypted", kind: "file" });
  stop();
  assertEquals(wrapped.notify, undefined);
  assertEquals(seen, [
    { path: "d/f.txt", kind: "file" },
    { path: "d/e", kind: "dir" },
    { path: "u", kind: "unknown" },
  ]);
  const plain = (await setup()).crypt;
  assertEquals([plain.features.changeNotify, plain.watch], [false, undefined]);
});

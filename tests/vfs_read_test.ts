/**
 * @module
 * Streaming reads in cache mode `off`: one backend stream serves sequential reads, chunks grow
 * as rclone's chunked reader, far seeks re-open, small gaps are skipped, out-of-order reads
 * wait for `vfs_read_wait`, and `no_seek` refuses seeking.
 */

import { assertBytes, assertEquals, assertRejects } from "./vfs_assert.ts";
import { Errno, FsError } from "../lib/errors.ts";
import { O, Vfs } from "../lib/vfs/vfs.ts";
import { memoryBackend, patternBytes, putFile } from "./vfs_helpers.ts";

const KiB = 1024;
const MiB = 1024 * KiB;

async function setup(size: number, options: Record<string, number | boolean | string> = {}) {
  const b = memoryBackend();
  const data = patternBytes(size, 3);
  await putFile(b, "f", data);
  const vfs = new Vfs(b, options);
  const h = await vfs.open("f", O.RDONLY);
  b.reads.length = 0;
  b.counts.read = 0;
  return { b, data, vfs, h };
}

Deno.test("sequential reads reuse one backend stream", async () => {
  const { b, data, h } = await setup(2 * MiB);
  for (let off = 0; off < data.byteLength; off += 128 * KiB) {
    assertBytes(await h.read(off, 128 * KiB), data.subarray(off, off + 128 * KiB), `at ${off}`);
  }
  assertEquals((await h.read(2 * MiB, 128 * KiB)).byteLength, 0);
  assertEquals(b.counts.read, 1);
  assertEquals(b.reads[0], { path: "f", offset: 0, length: 2 * MiB });
  await h.release();
});

Deno.test("chunked reads double the chunk size up to the limit", async () => {
  const { b, data, h } = await setup(1 * MiB + 5, {
    vfs_read_chunk_size: 100 * KiB,
    vfs_read_chunk_size_limit: 300 * KiB,
  });
  let off = 0;
  while (off < data.byteLength) {
    const got = await h.read(off, 64 * KiB);
    assertBytes(got, data.subarray(off, off + 64 * KiB));
    off += got.byteLength;
  }
  const lengths = b.reads.map((r) => r.length);
  assertEquals(lengths, [100 * KiB, 200 * KiB, 300 * KiB, 300 * KiB, 1 * MiB + 5 - 900 * KiB]);
  assertEquals(b.reads.map((r) => r.offset), [0, 100 * KiB, 300 * KiB, 600 * KiB, 900 * KiB]);
  await h.release();
});

Deno.test("vfs_read_chunk_size 0 reads with one open-ended stream", async () => {
  const { b, data, h } = await setup(300 * KiB, { vfs_read_chunk_size: 0 });
  assertBytes(await h.read(0, 300 * KiB), data);
  assertEquals(b.reads, [{ path: "f", offset: 0, length: undefined }]);
  await h.release();
});

Deno.test("a far seek re-opens at the new offset, a small forward gap is skipped", async () => {
  const { b, data, h } = await setup(8 * MiB, { vfs_read_wait: 5 });
  assertBytes(await h.read(0, 64 * KiB), data.subarray(0, 64 * KiB));
  // Small forward gap: skipped on the same stream.
  assertBytes(await h.read(200 * KiB, 64 * KiB), data.subarray(200 * KiB, 264 * KiB));
  assertEquals(b.counts.read, 1);
  // Far forward: re-open.
  assertBytes(await h.read(6 * MiB, 64 * KiB), data.subarray(6 * MiB, 6 * MiB + 64 * KiB));
  assertEquals(b.counts.read, 2);
  assertEquals(b.reads[1]!.offset, 6 * MiB);
  // Backwards: re-open.
  assertBytes(await h.read(1000, 10), data.subarray(1000, 1010));
  assertEquals(b.counts.read, 3);
  await h.release();
});

Deno.test("out-of-order reads within vfs_read_wait are served in sequence", async () => {
  const { b, data, h } = await setup(1 * MiB, { vfs_read_wait: 2000 });
  const second = h.read(128 * KiB, 128 * KiB);
  const third = h.read(256 * KiB, 128 * KiB);
  await new Promise((r) => setTimeout(r, 20));
  const first = h.read(0, 128 * KiB);
  assertBytes(await first, data.subarray(0, 128 * KiB));
  assertBytes(await second, data.subarray(128 * KiB, 256 * KiB));
  assertBytes(await third, data.subarray(256 * KiB, 384 * KiB));
  assertEquals(b.counts.read, 1);
  await h.release();
});

Deno.test("no_seek refuses non-sequential reads with ESPIPE", async () => {
  const { data, h } = await setup(64 * KiB, { no_seek: true, vfs_read_wait: 5 });
  assertBytes(await h.read(0, 1000), data.subarray(0, 1000));
  const err = await assertRejects(() => h.read(5000, 10), FsError);
  assertEquals((err as FsError).errno, Errno.ESPIPE);
  await h.release();
});

Deno.test("release() cancels the remote stream and later reads fail with EBADF", async () => {
  const { h } = await setup(4 * MiB);
  await h.read(0, 10);
  await h.release();
  const err = await assertRejects(() => h.read(10, 10), FsError);
  assertEquals((err as FsError).errno, Errno.EBADF);
});

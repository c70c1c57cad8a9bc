/**
 * @module
 * `--vfs-read-chunk-streams` in the streaming read path (cache mode `off`), on the local backend:
 * the option reaches the read handle through the VFS options, N ranged reads of a fixed chunk
 * size serve a sequential read, a seek keeps what the window still needs, `no_seek` still
 * refuses seeking, a chunk's error reaches the read that needs it; 1 stream or an unknown size
 * keep the single growing stream; and a real `denoclone mount` child process serves the exact
 * bytes of a multi-chunk file with 4 streams of 1 MiB.
 */

import { LocalBackend } from "../lib/backends/local/local_backend.ts";
import { Errno, FsError, NotFoundError } from "../lib/errors.ts";
import { ReadHandle } from "../lib/vfs/read_handle.ts";
import { O, Vfs } from "../lib/vfs/vfs.ts";
import {
  type CliMount,
  IS_ROOT,
  isolatedFlags,
  shOk,
  startCliMount,
  testDirs,
} from "./helpers/mount.ts";
import { assert, assertBytes, assertEquals, assertRejects } from "./vfs_assert.ts";
import { CountingBackend, patternBytes } from "./vfs_helpers.ts";

const KiB = 1024;
const MiB = 1024 * KiB;

/** A local backend on a fresh temp dir holding `f` (`size` bytes), seen through a counter. */
async function localFile(size: number) {
  const dir = await Deno.makeTempDir({ prefix: "denoclone-streams-" });
  const data = patternBytes(size, 5);
  await Deno.writeFile(`${dir}/f`, data);
  const b = new CountingBackend(new LocalBackend({ root: dir }));
  return { dir, data, b, cleanup: () => Deno.remove(dir, { recursive: true }) };
}

/** Opens `f` read-only in cache mode off with `options`; `run` gets the handle. */
async function withHandle(
  size: number,
  options: Record<string, number | boolean | string>,
  run: (
    h: Awaited<ReturnType<Vfs["open"]>>,
    data: Uint8Array,
    b: CountingBackend,
    dir: string,
  ) => Promise<void>,
): Promise<void> {
  const { dir, data, b, cleanup } = await localFile(size);
  const vfs = new Vfs(b, { vfs_cache_mode: "off", ...options });
  try {
    const h = await vfs.open("f", O.RDONLY);
    b.reads.length = 0;
    try {
      await run(h, data, b, dir);
    } finally {
      await h.release();
    }
  } finally {
    await vfs.shutdown();
    await cleanup();
  }
}

Deno.test("vfs_read_chunk_streams 4: fixed-size ranged reads serve a sequential read", async () => {
  const size = 5 * MiB + 3;
  await withHandle(size, {
    vfs_read_chunk_size: MiB,
    vfs_read_chunk_size_limit: 4 * MiB,
    vfs_read_chunk_streams: 4,
  }, async (h, data, b) => {
    for (let off = 0; off < size; off += 128 * KiB) {
      assertBytes(await h.read(off, 128 * KiB), data.subarray(off, off + 128 * KiB), `at ${off}`);
    }
    assertEquals((await h.read(size, 128 * KiB)).byteLength, 0);
    // The size limit plays no part: every chunk is 1 MiB (the last one clipped).
    assertEquals(
      b.reads.map((r) => [r.offset, r.length]),
      [0, 1, 2, 3, 4, 5].map((i) => [i * MiB, i < 5 ? MiB : 3]),
    );
  });
});

Deno.test("vfs_read_chunk_streams: a seek within the window keeps its chunks, a seek back restarts", async () => {
  await withHandle(16 * MiB, {
    vfs_read_chunk_size: 2 * MiB,
    vfs_read_chunk_streams: 3,
    vfs_read_wait: 1,
  }, async (h, data, b) => {
    assertBytes(await h.read(0, 128 * KiB), data.subarray(0, 128 * KiB));
    assertEquals(b.reads.map((r) => r.offset), [0, 2 * MiB, 4 * MiB]);
    // Forward into the window (5 MiB < 6 MiB): served by the chunk at 4 MiB.
    assertBytes(await h.read(5 * MiB, 128 * KiB), data.subarray(5 * MiB, 5 * MiB + 128 * KiB));
    assert(!b.reads.some((r) => r.offset === 5 * MiB), "no range opened at the seek target");
    // Backwards: restart at the new offset.
    assertBytes(await h.read(1000, 10), data.subarray(1000, 1010));
    assertEquals(b.reads.at(-3)?.offset, 1000);
    // Far ahead: restart there.
    assertBytes(await h.read(14 * MiB, 10), data.subarray(14 * MiB, 14 * MiB + 10));
    assertEquals(b.reads.at(-1)?.offset, 14 * MiB);
  });
});

Deno.test("vfs_read_chunk_streams: no_seek still refuses a non-sequential read", async () => {
  await withHandle(4 * MiB, {
    vfs_read_chunk_size: MiB,
    vfs_read_chunk_streams: 4,
    no_seek: true,
    vfs_read_wait: 1,
  }, async (h, data) => {
    assertBytes(await h.read(0, 1000), data.subarray(0, 1000));
    const err = await assertRejects(() => h.read(3 * MiB, 10), FsError);
    assertEquals((err as FsError).errno, Errno.ESPIPE);
  });
});

Deno.test("vfs_read_chunk_streams: a chunk that fails reaches the read that needs it", async () => {
  await withHandle(8 * MiB, {
    vfs_read_chunk_size: MiB,
    vfs_read_chunk_streams: 2,
  }, async (h, data, _b, dir) => {
    let off = 0;
    for (; off < MiB + 100 * KiB; off += 100 * KiB) {
      assertBytes(await h.read(off, 100 * KiB), data.subarray(off, off + 100 * KiB));
    }
    // The chunks already open keep reading the unlinked file; the next ones can't open it.
    await Deno.remove(`${dir}/f`);
    const err = await assertRejects(async () => {
      for (;;) {
        const got = await h.read(off, 100 * KiB);
        assertBytes(got, data.subarray(off, off + got.byteLength), `at ${off}`);
        off += got.byteLength;
      }
    }, NotFoundError);
    assertEquals((err as FsError).errno, Errno.ENOENT);
    // The read that needs the first chunk started after the unlink fails (all of it).
    assert(off > 2 * MiB - 100 * KiB && off <= 3 * MiB, `failed at ${off}`);
    // The handle is still usable: the next read tries again (and fails the same way).
    await assertRejects(() => h.read(off, 10), NotFoundError);
  });
});

Deno.test("vfs_read_chunk_streams 1 keeps the single growing stream (as rclone)", async () => {
  await withHandle(4 * MiB, {
    vfs_read_chunk_size: MiB,
    vfs_read_chunk_streams: 1,
  }, async (h, data, b) => {
    assertBytes(await h.read(0, 4 * MiB), data);
    assertEquals(b.reads.map((r) => r.length), [MiB, 2 * MiB, MiB]);
  });
});

Deno.test("vfs_read_chunk_streams with an unknown size keeps the single growing stream", async () => {
  const { data, b, cleanup } = await localFile(4 * MiB);
  const h = new ReadHandle(b, "f", {
    chunkSize: MiB,
    chunkSizeLimit: -1,
    chunkStreams: 4,
    readWaitMs: 0,
    noSeek: false,
  });
  try {
    assertBytes(await h.read(0, 4 * MiB), data);
    assertEquals((await h.read(4 * MiB, 10)).byteLength, 0);
    assertEquals(b.reads.map((r) => r.length), [MiB, 2 * MiB, 4 * MiB]);
  } finally {
    await h.release();
    await cleanup();
  }
});

Deno.test({
  name: "mount (off, 4 streams of 1M): cat and dd of a multi-chunk file give its exact bytes",
  ignore: !IS_ROOT,
  fn: async () => {
    const { base, mnt, data } = await testDirs("chunk-streams");
    let m: CliMount | undefined;
    let code: number | undefined;
    try {
      const bytes = patternBytes(9 * MiB + 4321, 11);
      await Deno.writeFile(`${data}/big`, bytes);
      m = await startCliMount(data, mnt, [
        ...isolatedFlags(base),
        "--vfs-cache-mode",
        "off",
        "--vfs-read-chunk-size",
        "1M",
        "--vfs-read-chunk-streams",
        "4",
      ]);
      await shOk(`cmp ${data}/big ${mnt}/big`);
      // A read starting in the middle (one seek, then sequential).
      await Deno.writeFile(`${base}/tail`, bytes.subarray(37 * 64 * KiB));
      await shOk(`dd if=${mnt}/big bs=64K skip=37 status=none | cmp - ${base}/tail`);
    } finally {
      code = await m?.stop();
      await Deno.remove(base, { recursive: true }).catch(() => {});
    }
    assertEquals(code, 0, `mount exit code; stderr: ${m?.stderr()}`);
  },
});

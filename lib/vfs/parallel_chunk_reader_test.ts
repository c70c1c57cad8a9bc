/**
 * @module
 * Unit tests of `parallel_chunk_reader.ts` against the real local backend on a temp dir, seen
 * through {@link RangeRecorder}, a decorator that records every ranged read, counts the ones
 * open at once, and can fail or hold back chosen ranges.
 */

import assert from "node:assert/strict";
import type { Backend, ReadOptions } from "../backends/backend.ts";
import { LocalBackend } from "../backends/local/local_backend.ts";
import { Errno, FsError } from "../errors.ts";
import { CHUNK_UNIT, ParallelChunkReader, parallelChunkSize } from "./parallel_chunk_reader.ts";

const MiB = 1024 * 1024;

/** Records the ranged reads of a backend and how many of their streams are open at once. */
class RangeRecorder implements Pick<Backend, "read"> {
  readonly #inner: Backend;
  /** Every ranged read, in call order. */
  readonly ranges: { offset: number; length?: number }[] = [];
  /** Streams opened and not yet ended, errored or cancelled. */
  open = 0;
  /** Highest {@link open} seen. */
  maxOpen = 0;
  /** Streams cancelled by the reader. */
  cancelled = 0;
  /** Offsets whose read fails to open. */
  failOpenAt = new Set<number>();
  /** Offsets whose stream errors after its first piece. */
  failMidAt = new Set<number>();
  /** Offsets whose stream delivers its first piece and then waits until cancelled. */
  holdAt = new Set<number>();

  constructor(inner: Backend) {
    this.#inner = inner;
  }

  async read(path: string, options: ReadOptions = {}): Promise<ReadableStream<Uint8Array>> {
    const offset = options.offset ?? 0;
    this.ranges.push({ offset, length: options.length });
    this.open++;
    this.maxOpen = Math.max(this.maxOpen, this.open);
    let ended = false;
    const end = () => {
      if (!ended) this.open--;
      ended = true;
    };
    if (this.failOpenAt.has(offset)) {
      end();
      throw new FsError(`injected open failure at ${offset}`, Errno.EIO);
    }
    let inner: ReadableStreamDefaultReader<Uint8Array>;
    try {
      inner = (await this.#inner.read(path, options)).getReader();
    } catch (err) {
      end();
      throw err;
    }
    let pieces = 0;
    let releaseHold!: () => void;
    const held = new Promise<void>((r) => (releaseHold = r));
    return new ReadableStream<Uint8Array>({
      pull: async (c) => {
        if (pieces === 1 && this.failMidAt.has(offset)) {
          end();
          await inner.cancel();
          c.error(new FsError(`injected transfer failure at ${offset}`, Errno.EIO));
          return;
        }
        if (pieces === 1 && this.holdAt.has(offset)) await held;
        if (ended) return;
        try {
          const { value, done } = await inner.read();
          if (done) {
            end();
            c.close();
            return;
          }
          pieces++;
          c.enqueue(value);
        } catch (err) {
          end();
          c.error(err);
        }
      },
      cancel: async () => {
        if (!ended) this.cancelled++;
        end();
        releaseHold();
        await inner.cancel();
      },
    }, { highWaterMark: 0 });
  }
}

function pattern(n: number, seed = 7): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

async function withFile(
  size: number,
  fn: (b: LocalBackend, data: Uint8Array) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "denoclone-pcr-" });
  try {
    const data = pattern(size);
    await Deno.writeFile(`${dir}/f`, data);
    await fn(new LocalBackend({ root: dir }), data);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function readAll(r: ParallelChunkReader, step: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const got = await r.read(step);
    if (got.byteLength === 0) break;
    parts.push(got.slice());
    total += got.byteLength;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

Deno.test("parallelChunkSize rounds up to whole MiB, ≤ 0 means one MiB", () => {
  assert.equal(parallelChunkSize(0), CHUNK_UNIT);
  assert.equal(parallelChunkSize(-1), CHUNK_UNIT);
  assert.equal(parallelChunkSize(1), MiB);
  assert.equal(parallelChunkSize(MiB), MiB);
  assert.equal(parallelChunkSize(MiB + 1), 2 * MiB);
  assert.equal(parallelChunkSize(128 * MiB), 128 * MiB);
});

for (const size of [0, 1, MiB - 1, MiB, MiB + 1, 3 * MiB + 12345]) {
  Deno.test(`parallel reads deliver the exact bytes of a ${size}-byte file`, async () => {
    await withFile(size, async (local, data) => {
      for (const step of [128 * 1024, 100_003, 3 * MiB]) {
        const b = new RangeRecorder(local);
        const r = new ParallelChunkReader(b, "f", 0, { chunkSize: MiB, streams: 4, size });
        const got = await readAll(r, step);
        assert.equal(got.byteLength, size, `step ${step}`);
        assert.deepEqual(got, data, `step ${step}`);
        assert.equal((await r.read(10)).byteLength, 0);
        await r.close();
        assert.equal(b.open, 0);
        // Fixed-size chunks, each asked for once, in order, clipped to the file.
        const want = [];
        for (let o = 0; o < size; o += MiB) {
          want.push({ offset: o, length: Math.min(MiB, size - o) });
        }
        assert.deepEqual(b.ranges, want, `step ${step}`);
      }
    });
  });
}

Deno.test("up to N ranged reads run at once, never more, and a start offset is honoured", async () => {
  await withFile(10 * MiB + 5, async (local, data) => {
    const b = new RangeRecorder(local);
    const r = new ParallelChunkReader(b, "f", 300, {
      chunkSize: MiB,
      streams: 4,
      size: data.length,
    });
    assert.equal(b.ranges.length, 0, "nothing is fetched before the first read");
    assert.deepEqual(await r.read(1000), data.subarray(300, 1300));
    assert.equal(b.maxOpen, 4);
    assert.equal(r.inFlight, 4);
    assert.deepEqual(b.ranges.map((x) => x.offset), [300, 300 + MiB, 300 + 2 * MiB, 300 + 3 * MiB]);
    const rest = await readAll(r, 64 * 1024);
    assert.deepEqual(rest, data.subarray(1300));
    assert.ok(b.maxOpen <= 4);
    assert.equal(b.ranges.length, 10);
    await r.close();
    assert.equal(b.open, 0);
  });
});

Deno.test("seek: inside the window keeps the chunks, behind or past it restarts there", async () => {
  await withFile(12 * MiB, async (local, data) => {
    const b = new RangeRecorder(local);
    const r = new ParallelChunkReader(b, "f", 0, {
      chunkSize: 2 * MiB,
      streams: 3,
      size: data.length,
    });
    assert.deepEqual(await r.read(4096), data.subarray(0, 4096));
    assert.equal(b.ranges.length, 3);
    // Forward into the third chunk: the first two are dropped, no new range is asked for it.
    await r.seek(5 * MiB + 7);
    assert.equal(r.position, 5 * MiB + 7);
    assert.deepEqual(await r.read(MiB), data.subarray(5 * MiB + 7, 6 * MiB + 7));
    assert.ok(!b.ranges.some((x) => x.offset === 5 * MiB + 7));
    assert.deepEqual(b.ranges.map((x) => x.offset), [
      0,
      2 * MiB,
      4 * MiB,
      6 * MiB,
      8 * MiB,
      10 * MiB, // the read went past the end of the chunk at 4 MiB: the window moved on
    ]);
    // Backwards: everything is dropped and the chunks restart at the new offset.
    await r.seek(1000);
    assert.equal(b.open, 0);
    assert.deepEqual(await r.read(10), data.subarray(1000, 1010));
    assert.equal(b.ranges[6]!.offset, 1000);
    // Far ahead (past the window): restart there too.
    await r.seek(11 * MiB);
    assert.deepEqual(await readAll(r, 300_000), data.subarray(11 * MiB));
    assert.equal(b.ranges.at(-1)!.offset, 11 * MiB);
    await r.close();
    assert.equal(b.open, 0);
  });
});

Deno.test("an error opening one chunk reaches the read that needs it, after the bytes before it", async () => {
  await withFile(5 * MiB, async (local, data) => {
    const b = new RangeRecorder(local);
    b.failOpenAt.add(2 * MiB);
    const r = new ParallelChunkReader(b, "f", 0, { chunkSize: MiB, streams: 4, size: data.length });
    assert.deepEqual(await r.read(2 * MiB), data.subarray(0, 2 * MiB));
    await assert.rejects(() => r.read(10), (e: unknown) => {
      assert.ok(e instanceof FsError);
      assert.equal(e.errno, Errno.EIO);
      assert.match(e.message, /open failure at 2097152/);
      return true;
    });
    await r.close();
    assert.equal(b.open, 0);
  });
});

Deno.test("an error in the middle of a chunk reaches the reader once the bytes before it are read", async () => {
  await withFile(6 * MiB, async (local, data) => {
    const b = new RangeRecorder(local);
    b.failMidAt.add(2 * MiB);
    const r = new ParallelChunkReader(b, "f", 0, {
      chunkSize: 2 * MiB,
      streams: 2,
      size: data.length,
    });
    assert.deepEqual(await r.read(2 * MiB), data.subarray(0, 2 * MiB));
    let got = 0;
    await assert.rejects(async () => {
      for (;;) {
        const piece = await r.read(4096);
        assert.deepEqual(piece, data.subarray(2 * MiB + got, 2 * MiB + got + piece.byteLength));
        got += piece.byteLength;
      }
    }, /transfer failure at 2097152/);
    assert.ok(got > 0 && got < 2 * MiB, `the failing chunk delivered ${got} bytes first`);
    await r.close();
    assert.equal(b.open, 0);
  });
});

Deno.test("a failing chunk the reader never reaches is dropped silently", async () => {
  await withFile(4 * MiB, async (local, data) => {
    const b = new RangeRecorder(local);
    b.failOpenAt.add(3 * MiB);
    b.failMidAt.add(2 * MiB);
    const r = new ParallelChunkReader(b, "f", 0, { chunkSize: MiB, streams: 4, size: data.length });
    assert.deepEqual(await r.read(1000), data.subarray(0, 1000));
    await r.close();
    assert.equal((await r.read(10)).byteLength, 0, "closed: EOF");
    assert.equal(b.open, 0);
  });
});

Deno.test("close mid-stream cancels every ranged read still running", async () => {
  await withFile(8 * MiB, async (local, data) => {
    const b = new RangeRecorder(local);
    for (let o = 0; o < 8 * MiB; o += MiB) b.holdAt.add(o);
    const r = new ParallelChunkReader(b, "f", 0, { chunkSize: MiB, streams: 4, size: data.length });
    // Every chunk has delivered its first piece and then waits: the first read is served from
    // chunk 0's first piece while the four streams are open.
    const first = await r.read(1000);
    assert.deepEqual(first, data.subarray(0, 1000));
    assert.equal(b.open, 4);
    await r.close();
    assert.equal(b.open, 0);
    assert.equal(b.cancelled, 4);
  });
});

Deno.test("a file that shrank ends at the short chunk", async () => {
  await withFile(2 * MiB, async (local, data) => {
    const b = new RangeRecorder(local);
    // The reader believes the file is 4 MiB; the remote has 2 MiB.
    const r = new ParallelChunkReader(b, "f", 0, { chunkSize: 3 * MiB, streams: 2, size: 4 * MiB });
    assert.deepEqual(await readAll(r, 256 * 1024), data);
    await r.close();
    assert.equal(b.open, 0);
  });
});

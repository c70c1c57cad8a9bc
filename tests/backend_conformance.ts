/**
 * @module
 * The backend conformance suite. `runBackendSuite(label, make)` registers one `Deno.test` per
 * behaviour every {@link Backend} must share: nested directories, empty and large files,
 * awkward names, overwrite, ranged reads, modification times, typed errors, and the optional
 * parts (move, moveDir, setModTime, hashes, about) exactly when `features` offers them.
 *
 * `make()` must return a backend whose root exists and is empty, and a `cleanup` that removes
 * whatever the test left and closes the backend. A backend that cannot do something may skip
 * that test by name, with a reason that shows in the test name.
 */

import { deepStrictEqual as assertEquals, ok as assert, rejects } from "node:assert/strict";
import { createHash } from "node:crypto";
import type { Backend, Entry, HashType } from "../lib/backends/backend.ts";
import {
  ExistsError,
  IsDirectoryError,
  NotDirectoryError,
  NotEmptyError,
  NotFoundError,
} from "../lib/errors.ts";
import { readAll } from "../lib/util/read_all.ts";
import { bytesEqual } from "../lib/util/bytes_equal.ts";

/** What `make` returns: a fresh backend on an existing, empty root, and how to clean up. */
export interface BackendFixture {
  /** The backend under test. */
  backend: Backend;
  /** Removes the test's files and closes the backend. */
  cleanup(): Promise<void>;
}

/** Options of {@link runBackendSuite}. */
export interface BackendSuiteOptions {
  /** Tests to skip, by the short names in {@link SUITE_TESTS}, each with a reason. */
  skip?: { test: string; reason: string }[];
  /** Size of the large-file test (default 256 MiB); streamed, never held in memory. */
  bigFileBytes?: number;
  /** Per-test time limit in ms (default 60 s; the large-file test gets four times this). */
  timeoutMs?: number;
}

/** Chunk size of the streams the suite generates. */
export const SUITE_CHUNK_BYTES = 1024 * 1024;

/** Names exercising spaces, unicode, percent signs, leading dashes and other awkward bytes. */
export const AWKWARD_NAMES: readonly string[] = [
  "with space.txt",
  " leading and trailing space ",
  "ünïcödé-日本語-Ελληνικά.txt",
  "emoji-😀-🚀",
  "100% sure %20 %2F.txt",
  "-leading-dash",
  "--double-dash",
  'quote\'s "double" `back`',
  "semi;colon&amp=equals#hash?q",
  "tab\there",
  "back\\slash",
  "a".repeat(120),
];

// ---------------------------------------------------------------------------------------------
// Stream helpers (exported for the backend-specific tests)
// ---------------------------------------------------------------------------------------------

/** A stream of the given chunks. */
export function streamOf(...chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(c) {
      if (i < chunks.length) c.enqueue(chunks[i++]!);
      else c.close();
    },
  });
}

/** UTF-8 bytes of a string. */
export function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** Removes a directory tree of a backend, files first (memory has no recursive delete). */
export async function purgeDir(b: Backend, dir: string): Promise<void> {
  for (const e of await b.list(dir)) {
    if (e.isDir) await purgeDir(b, e.path);
    else await b.remove(e.path);
  }
  await b.rmdir(dir);
}

/** Reads a whole file of a backend (or a range) into memory. */
export async function readBytes(
  b: Backend,
  path: string,
  offset?: number,
  length?: number,
): Promise<Uint8Array> {
  return readAll(await b.read(path, { offset, length }));
}

/** Writes bytes or a string as a file. */
export function writeBytes(
  b: Backend,
  path: string,
  data: Uint8Array | string,
  mtimeMs?: number,
): Promise<Entry> {
  const bytes = typeof data === "string" ? utf8(data) : data;
  return b.write(path, streamOf(bytes), { mtimeMs, size: bytes.length });
}

/**
 * Deterministic pseudo-random bytes for `[start, start + n)` of a virtual file identified by
 * `seed`: byte i depends only on (seed, i), so any range can be regenerated for checking.
 */
export function patternBytes(seed: number, start: number, n: number): Uint8Array {
  if (n <= 0) return new Uint8Array(0);
  // 4-byte words; word w = mix(seed, w), laid out in the platform's byte order.
  const firstWord = Math.floor(start / 4);
  const words = new Uint32Array(Math.floor((start + n - 1) / 4) - firstWord + 1);
  for (let i = 0; i < words.length; i++) {
    const w = firstWord + i;
    let x = (Math.imul(w ^ seed, 0x9e3779b1) + seed) | 0;
    x ^= x >>> 16;
    x = Math.imul(x, 0x85ebca6b);
    x ^= x >>> 13;
    words[i] = x;
  }
  const skip = start - firstWord * 4;
  return new Uint8Array(words.buffer, skip, n);
}

/** A stream of `total` pattern bytes in 1 MiB chunks, generated on demand, hashed on the way. */
function patternStream(
  seed: number,
  total: number,
  hash: ReturnType<typeof createHash>,
): ReadableStream<Uint8Array> {
  let pos = 0;
  return new ReadableStream({
    pull(c) {
      if (pos >= total) {
        c.close();
        return;
      }
      const n = Math.min(SUITE_CHUNK_BYTES, total - pos);
      const chunk = patternBytes(seed, pos, n);
      hash.update(chunk);
      pos += n;
      c.enqueue(chunk);
    },
  }, { highWaterMark: 0 });
}

function sha256Hex(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

function names(entries: Entry[]): string[] {
  return entries.map((e) => e.path).sort();
}

function byPath(entries: Entry[], path: string): Entry {
  const e = entries.find((x) => x.path === path);
  assert(e, `listing has no ${JSON.stringify(path)}: ${JSON.stringify(names(entries))}`);
  return e;
}

function assertTime(b: Backend, got: number, want: number, what: string): void {
  const p = b.features.precisionMs;
  if (p === Infinity) return;
  assert(
    Math.abs(got - want) <= Math.max(p, 0),
    `${what}: mtime ${new Date(got).toISOString()} (${got}) differs from ${
      new Date(want).toISOString()
    } (${want}) by more than ${p} ms`,
  );
}

async function assertMissing(b: Backend, path: string): Promise<void> {
  await rejects(b.stat(path), NotFoundError, `${path} should not exist`);
}

function assertBytes(got: Uint8Array, want: Uint8Array, what: string): void {
  assert(
    bytesEqual(got, want),
    `${what}: got ${got.length} bytes (sha256 ${sha256Hex(got)}), want ${want.length} bytes ` +
      `(sha256 ${sha256Hex(want)})`,
  );
}

// ---------------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------------

interface SuiteTest {
  name: string;
  big?: boolean;
  fn(b: Backend, opts: Required<Pick<BackendSuiteOptions, "bigFileBytes">>): Promise<void>;
}

const MTIME_A = Date.UTC(2020, 0, 2, 3, 4, 5, 678);
const MTIME_B = Date.UTC(2021, 6, 8, 9, 10, 11, 123);

const TESTS: SuiteTest[] = [
  {
    name: "stats and lists an empty root",
    async fn(b) {
      const root = await b.stat("");
      assert(root.isDir, "root is a directory");
      assertEquals(root.path, "");
      assertEquals(await b.list(""), []);
    },
  },
  {
    name: "creates nested directories and lists them",
    async fn(b) {
      await b.mkdir("a/b/c");
      assertEquals(names(await b.list("")), ["a"]);
      assertEquals(names(await b.list("a")), ["a/b"]);
      const c = byPath(await b.list("a/b"), "a/b/c");
      assert(c.isDir, "a/b/c is a directory");
      assertEquals(c.size, 0);
      assert((await b.stat("a/b")).isDir, "stat a/b is a directory");
      assertEquals(await b.list("a/b/c"), []);
      await b.mkdir("a/b/c");
      await b.mkdir("a");
      await b.mkdir("a/d");
      assertEquals(names(await b.list("a")), ["a/b", "a/d"]);
    },
  },
  {
    name: "mkdir succeeds on a directory and fails on a file",
    async fn(b) {
      await b.mkdir("d");
      await b.mkdir("d");
      await writeBytes(b, "d/f", "x");
      await rejects(b.mkdir("d/f"), ExistsError);
      await rejects(b.mkdir("d/f/sub"), NotDirectoryError);
      assertEquals(await readBytes(b, "d/f"), utf8("x"));
    },
  },
  {
    name: "writes, stats, lists and reads empty files",
    async fn(b) {
      const e = await writeBytes(b, "empty", new Uint8Array(0));
      assertEquals([e.path, e.isDir, e.size], ["empty", false, 0]);
      const s = await b.stat("empty");
      assertEquals([s.isDir, s.size], [false, 0]);
      assertEquals(byPath(await b.list(""), "empty").size, 0);
      assertEquals((await readBytes(b, "empty")).length, 0);
      assertEquals((await readBytes(b, "empty", 0, 10)).length, 0);
      assertEquals((await readBytes(b, "empty", 5)).length, 0);
      const e2 = await b.write("dir/empty2", streamOf(), {});
      assertEquals(e2.size, 0);
      assertEquals(names(await b.list("dir")), ["dir/empty2"]);
    },
  },
  {
    name: "writes files in nested directories, creating parents",
    async fn(b) {
      const e = await writeBytes(b, "x/y/z/file.txt", "hello nested");
      assertEquals([e.path, e.size], ["x/y/z/file.txt", 12]);
      assert((await b.stat("x")).isDir, "x created");
      assert((await b.stat("x/y/z")).isDir, "x/y/z created");
      assertEquals(names(await b.list("x/y")), ["x/y/z"]);
      const listed = byPath(await b.list("x/y/z"), "x/y/z/file.txt");
      assertEquals([listed.isDir, listed.size], [false, 12]);
      assertEquals(new TextDecoder().decode(await readBytes(b, "x/y/z/file.txt")), "hello nested");
      await writeBytes(b, "x/sibling", "s");
      assertEquals(names(await b.list("x")), ["x/sibling", "x/y"]);
    },
  },
  {
    name: "handles names with spaces, unicode, percent signs and leading dashes",
    async fn(b) {
      for (const [i, name] of AWKWARD_NAMES.entries()) {
        await writeBytes(b, name, `content ${i}`);
        await writeBytes(b, `dir ${name}/${name}`, `nested ${i}`);
      }
      const top = await b.list("");
      assertEquals(
        names(top),
        [...AWKWARD_NAMES, ...AWKWARD_NAMES.map((n) => `dir ${n}`)].sort(),
      );
      for (const [i, name] of AWKWARD_NAMES.entries()) {
        const s = await b.stat(name);
        assertEquals([s.path, s.isDir, s.size], [name, false, utf8(`content ${i}`).length]);
        assertEquals(new TextDecoder().decode(await readBytes(b, name)), `content ${i}`);
        assertEquals(names(await b.list(`dir ${name}`)), [`dir ${name}/${name}`]);
        assertEquals(
          new TextDecoder().decode(await readBytes(b, `dir ${name}/${name}`)),
          `nested ${i}`,
        );
        await b.remove(name);
        await b.remove(`dir ${name}/${name}`);
        await b.rmdir(`dir ${name}`);
      }
      assertEquals(await b.list(""), []);
    },
  },
  {
    name: "lists a directory with many entries and handles concurrent writes",
    async fn(b) {
      const n = 250;
      const want: string[] = [];
      for (let start = 0; start < n; start += 25) {
        const batch: Promise<Entry>[] = [];
        for (let i = start; i < Math.min(n, start + 25); i++) {
          const p = `many/file-${String(i).padStart(4, "0")}`;
          want.push(p);
          batch.push(writeBytes(b, p, `#${i}`));
        }
        await Promise.all(batch);
      }
      const listed = await b.list("many");
      assertEquals(names(listed), want.sort());
      for (const e of listed) {
        assertEquals(e.size, utf8(`#${Number(e.path.slice(-4))}`).length, e.path);
      }
      assertEquals(new TextDecoder().decode(await readBytes(b, "many/file-0123")), "#123");
    },
  },
  {
    name: "overwrites a file with new content and size",
    async fn(b) {
      await writeBytes(b, "f", "first version, the long one");
      const e = await writeBytes(b, "f", "second");
      assertEquals(e.size, 6);
      assertEquals((await b.stat("f")).size, 6);
      assertEquals(new TextDecoder().decode(await readBytes(b, "f")), "second");
      const e3 = await writeBytes(b, "f", "third and longer than the second");
      assertEquals(e3.size, 32);
      assertEquals(
        new TextDecoder().decode(await readBytes(b, "f")),
        "third and longer than the second",
      );
      assertEquals(names(await b.list("")), ["f"]);
    },
  },
  {
    name: "refuses to write over a directory",
    async fn(b) {
      await b.mkdir("d/sub");
      await rejects(writeBytes(b, "d", "x"), IsDirectoryError);
      assert((await b.stat("d")).isDir, "d is still a directory");
      await writeBytes(b, "file", "x");
      await rejects(writeBytes(b, "file/child", "y"), NotDirectoryError);
      assertEquals(await readBytes(b, "file"), utf8("x"));
    },
  },
  {
    name: "a failed or aborted write leaves the old file or nothing",
    async fn(b) {
      const failing = () => {
        let n = 0;
        return new ReadableStream<Uint8Array>({
          pull(c) {
            if (n++ < 3) c.enqueue(patternBytes(7, 0, 1000));
            else c.error(new Error("source failed on purpose"));
          },
        });
      };
      await rejects(b.write("new", failing()), /source failed on purpose/);
      await assertMissing(b, "new");
      await writeBytes(b, "old", "old content");
      await rejects(b.write("old", failing()), /source failed on purpose/);
      assertEquals(new TextDecoder().decode(await readBytes(b, "old")), "old content");
      const ac = new AbortController();
      let sent = 0;
      const slow = new ReadableStream<Uint8Array>({
        pull(c) {
          if (sent++ === 2) ac.abort(new Error("aborted on purpose"));
          c.enqueue(patternBytes(8, 0, 1000));
        },
      });
      await rejects(b.write("old", slow, { signal: ac.signal }));
      assertEquals(new TextDecoder().decode(await readBytes(b, "old")), "old content");
      await rejects(b.write("short", streamOf(utf8("abc")), { size: 10 }));
      await assertMissing(b, "short");
      assertEquals(names(await b.list("")), ["old"]);
    },
  },
  {
    name: "reads ranges at offsets and lengths, including past the end",
    async fn(b) {
      const size = 3 * SUITE_CHUNK_BYTES + 17;
      const data = patternBytes(42, 0, size);
      const chunks: Uint8Array[] = [];
      for (let off = 0; off < size; off += 65_536) chunks.push(data.subarray(off, off + 65_536));
      const e = await b.write("r", streamOf(...chunks), { size });
      assertEquals(e.size, size);
      const cases: [number, number | undefined][] = [
        [0, undefined],
        [0, 1],
        [5, 10],
        [SUITE_CHUNK_BYTES - 3, 10],
        [SUITE_CHUNK_BYTES, SUITE_CHUNK_BYTES],
        [SUITE_CHUNK_BYTES + 1, 2 * SUITE_CHUNK_BYTES + 5],
        [size - 5, 100],
        [size - 1, undefined],
        [12_345, undefined],
        [size, 10],
        [size, undefined],
        [size + 1000, 5],
        [100, 0],
      ];
      for (const [offset, length] of cases) {
        const got = await readBytes(b, "r", offset, length);
        const end = length === undefined ? size : Math.min(size, offset + length);
        assertBytes(got, data.subarray(Math.min(offset, size), end), `read(${offset}, ${length})`);
      }
    },
  },
  {
    name: "a cancelled read releases the file",
    async fn(b) {
      await b.write("c", streamOf(patternBytes(3, 0, 3 * SUITE_CHUNK_BYTES)));
      const s = await b.read("c");
      const reader = s.getReader();
      const first = await reader.read();
      assert(!first.done && first.value.length > 0, "first chunk arrives");
      await reader.cancel();
      const ac = new AbortController();
      const s2 = await b.read("c", { offset: 10, signal: ac.signal });
      const r2 = s2.getReader();
      assertBytes((await r2.read()).value!.subarray(0, 5), patternBytes(3, 10, 5), "abort read");
      ac.abort(new Error("stop"));
      await rejects(async () => {
        for (;;) if ((await r2.read()).done) break;
      });
      await b.remove("c");
    },
  },
  {
    name: "keeps and sets modification times",
    async fn(b) {
      const e = await writeBytes(b, "m/f", "mtime", MTIME_A);
      assertTime(b, e.mtimeMs, MTIME_A, "write result");
      assertTime(b, (await b.stat("m/f")).mtimeMs, MTIME_A, "stat");
      assertTime(b, byPath(await b.list("m"), "m/f").mtimeMs, MTIME_A, "list");
      if (b.features.setModTime) {
        assert(b.setModTime, "features.setModTime implies setModTime()");
        await b.setModTime("m/f", MTIME_B);
        assertTime(b, (await b.stat("m/f")).mtimeMs, MTIME_B, "after setModTime");
        assertTime(b, byPath(await b.list("m"), "m/f").mtimeMs, MTIME_B, "list after setModTime");
        assertEquals(new TextDecoder().decode(await readBytes(b, "m/f")), "mtime");
        await rejects(b.setModTime("m/missing", MTIME_B), NotFoundError);
      } else {
        assertEquals(b.setModTime, undefined, "no setModTime() without features.setModTime");
      }
      const before = Date.now();
      await writeBytes(b, "m/now", "now");
      const t = (await b.stat("m/now")).mtimeMs;
      const slack = (b.features.precisionMs === Infinity ? 0 : b.features.precisionMs) + 10_000;
      if (b.features.precisionMs !== Infinity) {
        assert(
          t >= before - slack && t <= Date.now() + slack,
          `a write without mtime gets about now: ${new Date(t).toISOString()}`,
        );
      }
    },
  },
  {
    name: "throws typed errors",
    async fn(b) {
      await writeBytes(b, "file", "data");
      await b.mkdir("dir/sub");
      await rejects(b.stat("missing"), NotFoundError);
      await rejects(b.stat("dir/missing"), NotFoundError);
      await rejects(b.read("missing"), NotFoundError);
      await rejects(b.remove("missing"), NotFoundError);
      await rejects(b.list("missing"), NotFoundError);
      await rejects(b.list("dir/missing/deeper"), NotFoundError);
      await rejects(b.rmdir("missing"), NotFoundError);
      await rejects(b.rmdir("dir"), NotEmptyError);
      await rejects(b.read("dir"), IsDirectoryError);
      await rejects(b.remove("dir"), IsDirectoryError);
      await rejects(b.list("file"), NotDirectoryError);
      await rejects(b.rmdir("file"), NotDirectoryError);
      await rejects(b.stat("file/child"), (err: unknown) => {
        return err instanceof NotFoundError || err instanceof NotDirectoryError;
      });
      assertEquals(new TextDecoder().decode(await readBytes(b, "file")), "data");
      assert((await b.stat("dir/sub")).isDir, "dir/sub is untouched");
    },
  },
  {
    name: "removes files and empty directories",
    async fn(b) {
      await writeBytes(b, "d/f1", "1");
      await writeBytes(b, "d/f2", "2");
      await b.mkdir("d/e");
      await b.remove("d/f1");
      await assertMissing(b, "d/f1");
      assertEquals(names(await b.list("d")), ["d/e", "d/f2"]);
      await b.rmdir("d/e");
      await assertMissing(b, "d/e");
      await rejects(b.rmdir("d"), NotEmptyError);
      await b.remove("d/f2");
      assertEquals(await b.list("d"), []);
      await b.rmdir("d");
      assertEquals(await b.list(""), []);
    },
  },
  {
    name: "moves files",
    async fn(b) {
      if (!b.features.move) {
        assertEquals(b.move, undefined, "no move() without features.move");
        return;
      }
      assert(b.move, "features.move implies move()");
      await writeBytes(b, "src/a.txt", "move me", MTIME_A);
      const e = await b.move("src/a.txt", "dst/deep/b.txt");
      assertEquals([e.path, e.isDir, e.size], ["dst/deep/b.txt", false, 7]);
      await assertMissing(b, "src/a.txt");
      assertEquals(new TextDecoder().decode(await readBytes(b, "dst/deep/b.txt")), "move me");
      assertTime(b, (await b.stat("dst/deep/b.txt")).mtimeMs, MTIME_A, "moved file");
      await writeBytes(b, "other", "replaced");
      await b.move("dst/deep/b.txt", "other");
      assertEquals(new TextDecoder().decode(await readBytes(b, "other")), "move me");
      await assertMissing(b, "dst/deep/b.txt");
      await b.move("other", "-renamed %20 ünï");
      assertEquals(new TextDecoder().decode(await readBytes(b, "-renamed %20 ünï")), "move me");
      await rejects(b.move("missing", "x"), NotFoundError);
      await b.mkdir("adir");
      await rejects(b.move("-renamed %20 ünï", "adir"), IsDirectoryError);
      assertEquals(new TextDecoder().decode(await readBytes(b, "-renamed %20 ünï")), "move me");
    },
  },
  {
    name: "moves directories",
    async fn(b) {
      if (!b.features.moveDir) {
        assertEquals(b.moveDir, undefined, "no moveDir() without features.moveDir");
        return;
      }
      assert(b.moveDir, "features.moveDir implies moveDir()");
      await writeBytes(b, "d1/f", "f", MTIME_A);
      await writeBytes(b, "d1/sub/g", "g");
      await b.mkdir("d1/empty");
      await b.moveDir("d1", "p/q/d2");
      await assertMissing(b, "d1");
      assertEquals(names(await b.list("p/q/d2")), ["p/q/d2/empty", "p/q/d2/f", "p/q/d2/sub"]);
      assertEquals(new TextDecoder().decode(await readBytes(b, "p/q/d2/sub/g")), "g");
      assertTime(b, (await b.stat("p/q/d2/f")).mtimeMs, MTIME_A, "file in moved dir");
      await b.mkdir("existing");
      await rejects(b.moveDir("p/q/d2", "existing"), ExistsError);
      await rejects(b.moveDir("missing", "elsewhere"), NotFoundError);
      await writeBytes(b, "afile", "x");
      await rejects(b.moveDir("afile", "elsewhere"), NotDirectoryError);
      assert((await b.stat("p/q/d2/sub")).isDir, "source kept after failed moves");
    },
  },
  {
    name: "computes hashes",
    async fn(b) {
      const types: HashType[] = b.features.hashes;
      if (types.length === 0) {
        assertEquals(b.hash, undefined, "no hash() without features.hashes");
        return;
      }
      assert(b.hash, "features.hashes implies hash()");
      const data = patternBytes(9, 0, SUITE_CHUNK_BYTES + 333);
      await b.write("h", streamOf(data));
      await writeBytes(b, "h0", new Uint8Array(0));
      for (const t of types) {
        assertEquals(await b.hash("h", t), createHash(t).update(data).digest("hex"), t);
        assertEquals(await b.hash("h0", t), createHash(t).update(new Uint8Array(0)).digest("hex"));
        const known = (await b.stat("h")).hashes?.[t];
        if (known !== undefined) assertEquals(known, createHash(t).update(data).digest("hex"));
      }
      await writeBytes(b, "h", "changed");
      assertEquals(
        await b.hash("h", types[0]!),
        createHash(types[0]!).update("changed").digest("hex"),
      );
      await rejects(b.hash("missing", types[0]!), NotFoundError);
    },
  },
  {
    name: "reports usage",
    async fn(b) {
      if (!b.features.about) {
        assertEquals(b.about, undefined, "no about() without features.about");
        return;
      }
      assert(b.about, "features.about implies about()");
      const u = await b.about();
      for (const k of ["total", "used", "free"] as const) {
        const v = u[k];
        if (v !== undefined) assert(Number.isFinite(v) && v >= 0, `${k} = ${v}`);
      }
      assert(u.total !== undefined || u.used !== undefined || u.free !== undefined, "some figure");
      if (u.total !== undefined && u.free !== undefined) assert(u.free <= u.total, "free <= total");
    },
  },
  {
    name: "streams a large file in and out",
    big: true,
    async fn(b, { bigFileBytes }) {
      const seed = 1234;
      const inHash = createHash("sha256");
      const e = await b.write("big/file.bin", patternStream(seed, bigFileBytes, inHash), {
        size: bigFileBytes,
      });
      assertEquals(e.size, bigFileBytes);
      assertEquals((await b.stat("big/file.bin")).size, bigFileBytes);
      const want = inHash.digest("hex");
      const outHash = createHash("sha256");
      let got = 0;
      let maxChunk = 0;
      for await (const chunk of await b.read("big/file.bin")) {
        outHash.update(chunk);
        got += chunk.length;
        maxChunk = Math.max(maxChunk, chunk.length);
      }
      assertEquals(got, bigFileBytes);
      assertEquals(outHash.digest("hex"), want);
      assert(maxChunk <= 16 * SUITE_CHUNK_BYTES, `read chunks are bounded (max ${maxChunk})`);
      const mid = Math.floor(bigFileBytes / 2) - 7;
      const len = Math.min(SUITE_CHUNK_BYTES + 99, bigFileBytes - mid);
      assertBytes(
        await readBytes(b, "big/file.bin", mid, len),
        patternBytes(seed, mid, len),
        "middle range",
      );
      await b.remove("big/file.bin");
      await b.rmdir("big");
    },
  },
];

/** The short names of the suite's tests (for `skip`). */
export const SUITE_TESTS: readonly string[] = TESTS.map((t) => t.name);

async function withTimeout<T>(what: string, ms: number, p: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Registers the conformance tests for one backend. `make` is called once per test and must
 * return a backend on an existing, empty root.
 */
export function runBackendSuite(
  label: string,
  make: () => Promise<BackendFixture>,
  opts: BackendSuiteOptions = {},
): void {
  const bigFileBytes = opts.bigFileBytes ?? 256 * 1024 * 1024;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  for (const name of opts.skip?.map((s) => s.test) ?? []) {
    if (!SUITE_TESTS.includes(name)) {
      throw new Error(`runBackendSuite(${label}): no test named ${JSON.stringify(name)} to skip`);
    }
  }
  for (const t of TESTS) {
    const skip = opts.skip?.find((s) => s.test === t.name);
    if (skip) {
      Deno.test({
        name: `${label}: ${t.name} (skipped: ${skip.reason})`,
        ignore: true,
        fn() {},
      });
      continue;
    }
    const limit = t.big ? timeoutMs * 4 : timeoutMs;
    Deno.test(`${label}: ${t.name}`, async () => {
      const fx = await withTimeout(`${label} make()`, timeoutMs, make());
      try {
        await withTimeout(`${label}: ${t.name}`, limit, t.fn(fx.backend, { bigFileBytes }));
      } finally {
        await withTimeout(`${label} cleanup()`, timeoutMs, fx.cleanup());
      }
    });
  }
}

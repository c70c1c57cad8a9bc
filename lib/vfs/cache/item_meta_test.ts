import { deepStrictEqual as assertEquals, rejects, throws } from "node:assert/strict";
import {
  fingerprintOf,
  type ItemMeta,
  parseMeta,
  readMeta,
  sameFingerprint,
  writeMeta,
} from "./item_meta.ts";
import { InvalidError } from "../../errors.ts";

const META: ItemMeta = {
  version: 1,
  path: "a/b.txt",
  size: 10,
  mtimeMs: 1000,
  atimeMs: 2000,
  dirty: true,
  fingerprint: { size: 5, mtimeMs: 900, hash: "md5:abc" },
  sourceSize: 5,
  ranges: [[0, 10]],
};

Deno.test("writeMeta() then readMeta() round-trips and leaves no temporary file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/meta/a/b.txt`;
    await writeMeta(file, `${dir}/tmp`, META);
    assertEquals(await readMeta(file), META);
    assertEquals([...Deno.readDirSync(`${dir}/tmp`)].length, 0);
    await writeMeta(file, `${dir}/tmp`, { ...META, dirty: false });
    assertEquals((await readMeta(file)).dirty, false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeMeta() disposable overwrites in place, shorter content included, without a temporary file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/meta/a/b.txt`;
    const long = { ...META, ranges: [[0, 1], [2, 3], [4, 5], [6, 10]] as [number, number][] };
    await writeMeta(file, `${dir}/tmp`, long);
    const ino = Deno.statSync(file).ino;
    const clean = { ...META, dirty: false };
    await writeMeta(file, `${dir}/tmp`, clean, { durable: false, disposable: true });
    assertEquals(await readMeta(file), clean);
    assertEquals(Deno.statSync(file).ino, ino);
    assertEquals([...Deno.readDirSync(`${dir}/tmp`)].length, 0);
    // Missing directories are created.
    await writeMeta(`${dir}/meta/new/c.txt`, `${dir}/tmp`, clean, { disposable: true });
    assertEquals(await readMeta(`${dir}/meta/new/c.txt`), clean);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseMeta() rejects truncated and malformed metadata", () => {
  throws(() => parseMeta('{"version":1,"pa', "f"), InvalidError);
  throws(() => parseMeta(JSON.stringify({ ...META, ranges: [[5, 1]] }), "f"), InvalidError);
  throws(() => parseMeta(JSON.stringify({ ...META, version: 2 }), "f"), InvalidError);
});

Deno.test("readMeta() of a missing file throws NotFound", async () => {
  await rejects(readMeta("/nonexistent/meta"), Deno.errors.NotFound);
});

Deno.test("sameFingerprint() compares size, time within precision and hash", () => {
  const e = { path: "x", isDir: false, size: 3, mtimeMs: 1000, hashes: { md5: "aa" } };
  const fp = fingerprintOf(e);
  assertEquals(fp, { size: 3, mtimeMs: 1000, hash: "md5:aa" });
  assertEquals(sameFingerprint(fp, { size: 3, mtimeMs: 1000.5 }, 1), true);
  assertEquals(sameFingerprint(fp, { size: 3, mtimeMs: 3000 }, 1), false);
  assertEquals(sameFingerprint(fp, { size: 3, mtimeMs: 3000 }, Infinity), true);
  assertEquals(sameFingerprint(fp, { size: 4, mtimeMs: 1000 }, 1), false);
  assertEquals(sameFingerprint(fp, { size: 3, mtimeMs: 1000, hash: "md5:bb" }, 1), false);
});

/**
 * @module
 * Cross-checks the `local` and `alias` backends and remote resolution against the real rclone
 * binary: both must see the same tree (names, sizes, modification times, `.rclonelink` files),
 * the same hashes and the same env-defined remotes, and files written by one are read
 * correctly by the other.
 */

import { deepStrictEqual as assertEquals, ok as assert, rejects } from "node:assert/strict";
import type { Backend, Entry } from "../lib/backends/backend.ts";
import { newBackend } from "../lib/backends/new_backend.ts";
import { RcloneConf } from "../lib/config/rclone_conf.ts";
import { AWKWARD_NAMES, patternBytes, readBytes, streamOf, utf8 } from "./backend_conformance.ts";

const RCLONE_TIMEOUT_MS = 30_000;

/**
 * rclone shows control characters in names as Unicode control pictures (TAB as U+2409, its
 * "standard" name encoding), while denoclone passes on-disk names through unchanged, so names
 * with control characters are left out of the listing comparison.
 */
// deno-lint-ignore no-control-regex
const PLAIN_NAMES = AWKWARD_NAMES.filter((n) => !/[\x00-\x1f\x7f]/.test(n));

interface Item {
  path: string;
  isDir: boolean;
  size: number;
  mtimeMs: number;
}

/** Runs rclone with an empty config and only the given extra env; returns stdout. */
async function rclone(
  args: string[],
  confPath: string,
  extraEnv: Record<string, string> = {},
  stdin?: Uint8Array,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const cmd = new Deno.Command("rclone", {
    args: ["--config", confPath, ...args],
    env: { RCLONE_CONFIG_PASS: "", ...extraEnv },
    clearEnv: false,
    stdin: stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(RCLONE_TIMEOUT_MS),
  });
  const child = cmd.spawn();
  if (stdin) {
    const w = child.stdin.getWriter();
    await w.write(stdin);
    await w.close();
  }
  const out = await child.output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

/** Parses an RFC 3339 time with up to nanoseconds to whole milliseconds (truncating). */
function parseTimeMs(s: string): number {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(s);
  assert(m, `unexpected time ${s}`);
  const frac = (m[2] ?? "").padEnd(3, "0").slice(0, 3);
  return Date.parse(m[1]! + m[3]!) + Number(frac);
}

async function rcloneTree(target: string, confPath: string, env = {}): Promise<Item[]> {
  const r = await rclone(["lsjson", "-R", "--links", target], confPath, env);
  assertEquals(r.code, 0, r.stderr);
  const items = JSON.parse(r.stdout) as {
    Path: string;
    IsDir: boolean;
    Size: number;
    ModTime: string;
  }[];
  return items.map((i) => ({
    path: i.Path,
    isDir: i.IsDir,
    size: i.IsDir ? 0 : i.Size,
    mtimeMs: parseTimeMs(i.ModTime),
  })).sort((a, b) => a.path < b.path ? -1 : 1);
}

async function ourTree(b: Backend, dir = ""): Promise<Item[]> {
  const out: Item[] = [];
  const walk = async (d: string) => {
    for (const e of await b.list(d)) {
      out.push(item(e));
      if (e.isDir) await walk(e.path);
    }
  };
  await walk(dir);
  return out.sort((a, b) => a.path < b.path ? -1 : 1);
}

function item(e: Entry): Item {
  return { path: e.path, isDir: e.isDir, size: e.size, mtimeMs: e.mtimeMs };
}

async function withSetup(
  fn: (dir: string, conf: RcloneConf, confPath: string) => Promise<void>,
): Promise<void> {
  const base = await Deno.makeTempDir({ prefix: "denoclone-interop-" });
  try {
    const confPath = `${base}/rclone.conf`;
    await Deno.writeTextFile(confPath, "");
    await Deno.mkdir(`${base}/data`);
    const conf = await RcloneConf.load(confPath, { env: {} });
    await fn(`${base}/data`, conf, confPath);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
}

Deno.test("local backend and rclone list the same tree with the same sizes and times", async () => {
  await withSetup(async (dir, conf, confPath) => {
    const b = await newBackend(`:local,links:${dir}`, { conf, env: {} });
    let t = Date.UTC(2019, 4, 6, 7, 8, 9, 10);
    for (const name of PLAIN_NAMES) {
      await b.write(name, streamOf(utf8(`file ${name}`)), { mtimeMs: t += 1001 });
      await b.write(`nested/${name}/inner`, streamOf(utf8(name)), { mtimeMs: t += 1001 });
    }
    await b.write("empty", streamOf(), { mtimeMs: t += 1001 });
    await b.mkdir("empty dir/deeper");
    await b.write("big.bin", streamOf(patternBytes(5, 0, 3 * 1024 * 1024 + 1)), {
      mtimeMs: t += 1001,
    });
    await b.write("link.rclonelink", streamOf(utf8("big.bin")));
    const ours = await ourTree(b);
    const theirs = await rcloneTree(dir, confPath);
    // rclone reports directory times as the OS does; compare files fully, dirs by name.
    assertEquals(
      ours.map((i) => i.isDir ? { ...i, mtimeMs: 0 } : i),
      theirs.map((i) => i.isDir ? { ...i, mtimeMs: 0 } : i),
    );
    assert(ours.some((i) => i.path === "link.rclonelink" && i.size === 7), "link listed");
  });
});

Deno.test("local backend hashes match rclone hashsum", async () => {
  await withSetup(async (dir, conf, confPath) => {
    const b = await newBackend(dir, { conf, env: {} });
    await b.write("a/one", streamOf(patternBytes(1, 0, 1_500_000)));
    await b.write("-two %", streamOf(utf8("two")));
    await b.write("empty", streamOf());
    for (const type of ["md5", "sha1", "sha256"] as const) {
      const r = await rclone(["hashsum", type, dir], confPath);
      assertEquals(r.code, 0, r.stderr);
      const lines = r.stdout.trim().split("\n").sort();
      const ours: string[] = [];
      for (const p of ["a/one", "-two %", "empty"]) ours.push(`${await b.hash!(p, type)}  ${p}`);
      assertEquals(lines, ours.sort(), type);
    }
  });
});

Deno.test("files rclone writes read back with their content and time", async () => {
  await withSetup(async (dir, conf, confPath) => {
    const data = patternBytes(77, 0, 2 * 1024 * 1024 + 5);
    const r = await rclone(["rcat", `${dir}/sub dir/from rclone`], confPath, {}, data);
    assertEquals(r.code, 0, r.stderr);
    const touch = await rclone(
      ["touch", "--timestamp", "2020-02-03T04:05:06", `${dir}/touched`],
      confPath,
      { TZ: "UTC" },
    );
    assertEquals(touch.code, 0, touch.stderr);
    const b = await newBackend(dir, { conf, env: {} });
    assertEquals(await readBytes(b, "sub dir/from rclone"), data);
    assertEquals((await b.stat("sub dir/from rclone")).size, data.length);
    assertEquals((await b.stat("touched")).mtimeMs, Date.UTC(2020, 1, 3, 4, 5, 6));
  });
});

Deno.test("env-defined alias remotes resolve like rclone's, and missing ones fail alike", async () => {
  await withSetup(async (dir, conf, confPath) => {
    const env = { RCLONE_CONFIG_MYALIAS_TYPE: "alias", RCLONE_CONFIG_MYALIAS_REMOTE: dir };
    const b = await newBackend("myalias:sub", { conf, env });
    await b.write("x/y.txt", streamOf(utf8("via alias")), { mtimeMs: Date.UTC(2022, 0, 1) });
    await b.write("z", streamOf(utf8("zz")), { mtimeMs: Date.UTC(2022, 0, 2) });
    const theirs = await rcloneTree("myalias:sub", confPath, env);
    const ours = await ourTree(b);
    assertEquals(
      ours.map((i) => i.isDir ? { ...i, mtimeMs: 0 } : i),
      theirs.map((i) => i.isDir ? { ...i, mtimeMs: 0 } : i),
    );
    const missing = await rclone(["lsjson", "nosuch:"], confPath);
    assert(missing.code !== 0 && missing.stderr.includes("didn't find section in config file"));
    await rejects(newBackend("nosuch:", { conf, env: {} }), /didn't find section in config file/);
  });
});

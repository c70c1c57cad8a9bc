/**
 * @module
 * Interoperability of our `crypt` with the real rclone (Debian's rclone 1.60, which CI
 * installs). For every file name mode and encoding, with directory names encrypted or not:
 * - a tree written by `rclone copy` through rclone's crypt over a local directory reads back
 *   byte-identical (names, sizes, contents, ranges, empty directories) through our crypt over
 *   our local backend;
 * - a tree written by our crypt passes `rclone check --download` (rclone decrypts and compares
 *   every byte) and `rclone cryptcheck` (rclone re-encrypts the source with each file's nonce
 *   and compares the ciphertext hashes, so the format is exact).
 * The rclone.conf is written by hand with passwords from `rclone obscure`.
 */

import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import type { Backend } from "../lib/backends/backend.ts";
import { newBackend } from "../lib/backends/new_backend.ts";
import { RcloneConf } from "../lib/config/rclone_conf.ts";
import { readAll } from "../lib/util/read_all.ts";
import { bytesEqual } from "../lib/util/bytes_equal.ts";

const B = 64 * 1024;
const RCLONE_TIMEOUT_MS = 60_000;

/** Files of the test tree: path → size. Names are long, unicode, awkward. */
const FILES: Record<string, number> = {
  "empty.txt": 0,
  "one byte": 1,
  "block-1.bin": B - 1,
  "block.bin": B,
  "block+1.bin": B + 1,
  "three blocks and 7.bin": 3 * B + 7,
  "dir/sub dir/ünïcödé-日本語-Ελληνικά ☃.txt": 1000,
  "dir/sub dir/emoji-😀-🚀": 5000,
  "dir/empty in dir": 0,
  [`dir/${"L".repeat(140)}`]: 2 * B + 3,
  "dir/!bang!! 100% -dash.txt": 77,
  "report-v2020-01-31-120000-000.txt": 12,
};
/** Directories that exist without files in them. */
const EMPTY_DIRS = ["empty dir", "dir/sub dir/nested empty"];

interface Mode {
  label: string;
  options: Record<string, string>;
  /** cryptcheck needs encrypted data to compare hashes of. */
  cryptcheck: boolean;
}

const MODES: Mode[] = [];
for (const enc of ["base32", "base64", "base32768"]) {
  for (const dirs of ["true", "false"]) {
    MODES.push({
      label: `standard, ${enc}, directory_name_encryption=${dirs}`,
      options: {
        filename_encryption: "standard",
        filename_encoding: enc,
        directory_name_encryption: dirs,
      },
      cryptcheck: true,
    });
  }
}
for (const dirs of ["true", "false"]) {
  MODES.push({
    label: `obfuscate, directory_name_encryption=${dirs}`,
    options: { filename_encryption: "obfuscate", directory_name_encryption: dirs },
    cryptcheck: true,
  });
}
MODES.push({ label: "off", options: { filename_encryption: "off" }, cryptcheck: true });
MODES.push({
  label: "standard, no_data_encryption",
  options: { no_data_encryption: "true" },
  cryptcheck: false,
});

/** Deterministic content of a test file. */
function content(path: string, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = 2166136261;
  for (const ch of path) x = Math.imul(x ^ ch.codePointAt(0)!, 16777619);
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Runs rclone with the given config; returns stdout, throws with stderr on failure. */
async function rclone(conf: string, home: string, ...args: string[]): Promise<string> {
  const cmd = new Deno.Command("rclone", {
    args: ["--config", conf, ...args],
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HOME: home },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(RCLONE_TIMEOUT_MS),
  });
  let out: Deno.CommandOutput;
  try {
    out = await cmd.output();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new Error("rclone is not installed: these tests need it (apt-get install rclone)");
    }
    throw err;
  }
  const stdout = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(
      `rclone ${args.join(" ")} failed (${out.code}): ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return stdout;
}

/** Lists a backend tree recursively: files path → size, and all directory paths. */
async function walk(b: Backend, dir = "", files = new Map<string, number>(), dirs: string[] = []) {
  for (const e of await b.list(dir)) {
    if (e.isDir) {
      dirs.push(e.path);
      await walk(b, e.path, files, dirs);
    } else files.set(e.path, e.size);
  }
  return { files, dirs };
}

function expectedDirs(): string[] {
  const set = new Set<string>(EMPTY_DIRS);
  for (const p of [...Object.keys(FILES), ...EMPTY_DIRS]) {
    const segs = p.split("/");
    for (let i = 1; i < segs.length; i++) set.add(segs.slice(0, i).join("/"));
  }
  return [...set].sort();
}

interface Fixture {
  dir: string;
  conf: string;
  src: string;
}

/** A temp dir with the plaintext source tree and an rclone.conf for one mode. */
async function fixture(mode: Mode): Promise<Fixture> {
  const dir = await Deno.makeTempDir({ prefix: "denoclone-crypt-interop-" });
  const src = `${dir}/src`;
  for (const [path, size] of Object.entries(FILES)) {
    const full = `${src}/${path}`;
    await Deno.mkdir(full.slice(0, full.lastIndexOf("/")), { recursive: true });
    await Deno.writeFile(full, content(path, size));
  }
  for (const d of EMPTY_DIRS) await Deno.mkdir(`${src}/${d}`, { recursive: true });
  const conf = `${dir}/rclone.conf`;
  await Deno.writeTextFile(conf, "");
  const pw = (await rclone(conf, dir, "obscure", "interop pässword")).trim();
  const pw2 = (await rclone(conf, dir, "obscure", "interop salt")).trim();
  const lines = ["[disk]", "type = local", ""];
  for (const name of ["bycrypt", "ourcrypt"]) {
    lines.push(`[${name}]`, "type = crypt", `remote = disk:${dir}/${name}-enc`);
    lines.push(`password = ${pw}`, `password2 = ${pw2}`);
    for (const [k, v] of Object.entries(mode.options)) lines.push(`${k} = ${v}`);
    lines.push("");
  }
  await Deno.writeTextFile(conf, lines.join("\n"));
  return { dir, conf, src };
}

async function ours(f: Fixture, remote: string): Promise<Backend> {
  const conf = await RcloneConf.load(f.conf, { env: {} });
  return await newBackend(remote, { conf, env: {} });
}

for (const mode of MODES) {
  Deno.test(`crypt interop (${mode.label}): a tree rclone wrote reads back identical`, async () => {
    const f = await fixture(mode);
    let backend: Backend | undefined;
    try {
      await rclone(f.conf, f.dir, "copy", "--create-empty-src-dirs", f.src, "bycrypt:");
      // The stored names really are encrypted (or suffixed), not the plain ones.
      const raw = [...Deno.readDirSync(`${f.dir}/bycrypt-enc`)].map((e) => e.name);
      assert(!raw.includes("three blocks and 7.bin"), `stored names: ${raw}`);

      backend = await ours(f, "bycrypt:");
      const { files, dirs } = await walk(backend);
      assertEquals([...files.keys()].sort(), Object.keys(FILES).sort());
      assertEquals(dirs.sort(), expectedDirs());
      for (const [path, size] of Object.entries(FILES)) {
        assertEquals(files.get(path), size, `listed size of ${path}`);
        const st = await backend.stat(path);
        assertEquals(st.size, size, `stat size of ${path}`);
        const srcMtime = (await Deno.stat(`${f.src}/${path}`)).mtime!.getTime();
        assert(Math.abs(st.mtimeMs - srcMtime) <= 1, `mtime of ${path} kept by rclone and us`);
        const got = await readAll(await backend.read(path));
        assert(bytesEqual(got, content(path, size)), `content of ${path}`);
      }
      // Ranged reads at block boundaries of a file rclone wrote.
      const big = "three blocks and 7.bin";
      const want = content(big, 3 * B + 7);
      const ranges: [number, number][] = [[B - 1, 2], [B, B], [2 * B + 5, B + 2], [3 * B, 100]];
      for (const [off, len] of ranges) {
        const got = await readAll(await backend.read(big, { offset: off, length: len }));
        assert(bytesEqual(got, want.subarray(off, off + len)), `range ${off}+${len}`);
      }
      // A subdirectory as the crypt root (`bycrypt:dir/sub dir`).
      const sub = await ours(f, "bycrypt:dir/sub dir");
      const subNames = (await sub.list("")).map((e) => e.path).sort();
      assertEquals(subNames, ["emoji-😀-🚀", "nested empty", "ünïcödé-日本語-Ελληνικά ☃.txt"]);
      await sub.close?.();
    } finally {
      await backend?.close?.();
      await Deno.remove(f.dir, { recursive: true });
    }
  });

  Deno.test(`crypt interop (${mode.label}): a tree we wrote passes rclone's checks`, async () => {
    const f = await fixture(mode);
    let backend: Backend | undefined;
    try {
      backend = await ours(f, "ourcrypt:");
      for (const [path, size] of Object.entries(FILES)) {
        const data = content(path, size);
        // Odd chunk sizes, so block cutting does not follow the writer's chunks.
        let off = 0;
        const stream = new ReadableStream<Uint8Array>({
          pull(c) {
            if (off >= data.length) return c.close();
            c.enqueue(data.slice(off, off + 10_007));
            off += 10_007;
          },
        });
        await backend.write(path, stream, { size });
      }
      for (const d of EMPTY_DIRS) await backend.mkdir(d);

      await rclone(f.conf, f.dir, "check", "--download", f.src, "ourcrypt:");
      if (mode.cryptcheck) await rclone(f.conf, f.dir, "cryptcheck", f.src, "ourcrypt:");
      const catted = await rclone(f.conf, f.dir, "cat", "ourcrypt:dir/!bang!! 100% -dash.txt");
      assertEquals(catted.length > 0, true);
      const dirList = (await rclone(f.conf, f.dir, "lsf", "-R", "--dirs-only", "ourcrypt:"))
        .split("\n").filter((l) => l !== "").map((l) => l.replace(/\/$/, "")).sort();
      assertEquals(dirList, expectedDirs());
      const sizes = (await rclone(
        f.conf,
        f.dir,
        "lsf",
        "-R",
        "--files-only",
        "--format",
        "sp",
        "--separator",
        "\t",
        "ourcrypt:",
      )).split("\n").filter((l) => l !== "")
        .map((l) => l.split("\t")).map(([s, p]) => [p, Number(s)] as [string, number]).sort();
      assertEquals(sizes, Object.entries(FILES).sort());
    } finally {
      await backend?.close?.();
      await Deno.remove(f.dir, { recursive: true });
    }
  });
}

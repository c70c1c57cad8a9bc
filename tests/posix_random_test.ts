/**
 * A seeded randomized test: the same random sequence of file operations is applied to a real
 * mount and to a plain local directory (the model); every outcome (success or errno) and every
 * read must agree, and so must the final trees. The seed is printed on failure; set POSIX_SEED
 * to replay a run. It runs in the cache modes that allow read+write opens (`minimal`, `writes`,
 * `full`) on the memory and local backends; random-offset writes and truncates go through
 * O_RDWR descriptors, which all of them support.
 */

import { IS_ROOT, isolatedFlags, startCliMount, testDirs } from "./helpers/mount.ts";

/** Backend and cache mode combinations the model test runs on. */
const RUNS: { kind: "memory" | "local"; mode: string }[] = [
  { kind: "memory", mode: "minimal" },
  { kind: "memory", mode: "writes" },
  { kind: "local", mode: "writes" },
  { kind: "memory", mode: "full" },
  { kind: "local", mode: "full" },
];

const OPS = 300;

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

async function outcome<T>(
  p: Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; code: string }> {
  try {
    return { ok: true, value: await p };
  } catch (err) {
    return { ok: false, code: (err as { code?: string }).code ?? (err as Error).name };
  }
}

async function tree(root: string, rel = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(`${root}/${rel}`)) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory) out.push(`${p}/`, ...(await tree(root, p)));
    else {
      const data = await Deno.readFile(`${root}/${p}`);
      const sum = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
      out.push(`${p} ${data.length} ${[...sum.slice(0, 6)].map((b) => b.toString(16)).join("")}`);
    }
  }
  return out.sort();
}

for (const { kind, mode } of RUNS) {
  Deno.test({
    name:
      `random operations on a ${kind} mount with vfs_cache_mode=${mode} agree with a local directory (seeded)`,
    ignore: !IS_ROOT,
    fn: async () => {
      const seed = Number(Deno.env.get("POSIX_SEED") ?? Math.floor(Math.random() * 2 ** 31));
      const { base, mnt, data } = await testDirs(`posix-random-${kind}-${mode}`);
      const model = `${base}/model`;
      await Deno.mkdir(model);
      const m = await startCliMount(kind === "local" ? data : ":memory:random", mnt, [
        ...isolatedFlags(base),
        "--vfs-cache-mode",
        mode,
        "--dir-cache-time",
        "0s",
      ]);
      const log: string[] = [];
      try {
        const r = rng(seed);
        const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
        const dirs = ["", "a", "b", "a/c"];
        const files = ["f0", "f1", "f2", "f3"];
        const path = (d: string, f: string) => (d ? `${d}/${f}` : f);
        for (let i = 0; i < OPS; i++) {
          const kind = pick([
            "mkdir",
            "write",
            "write",
            "read",
            "append",
            "rename",
            "unlink",
            "rmdir",
            "renamedir",
            "truncate",
            "pwrite",
            "pwrite",
            "stat",
          ]);
          const d = pick(dirs);
          const f = path(d, pick(files));
          let apply: (root: string) => Promise<unknown>;
          let desc = `${kind} ${f}`;
          switch (kind) {
            case "mkdir":
              desc = `mkdir ${d || "."}`;
              apply = (root) => Deno.mkdir(`${root}/${d}`);
              break;
            case "write": {
              const bytes = new Uint8Array(Math.floor(r() * 70_000));
              for (let j = 0; j < bytes.length; j += 997) bytes[j] = Math.floor(r() * 256);
              desc += ` ${bytes.length}B`;
              apply = (root) => Deno.writeFile(`${root}/${f}`, bytes);
              break;
            }
            case "append": {
              const bytes = new TextEncoder().encode(`line ${i}\n`);
              apply = (root) =>
                Deno.writeFile(`${root}/${f}`, bytes, { append: true, create: false });
              break;
            }
            case "read":
              apply = async (root) => {
                const b = await Deno.readFile(`${root}/${f}`);
                const sum = new Uint8Array(await crypto.subtle.digest("SHA-256", b));
                return `${b.length}:${[...sum.slice(0, 8)].join(",")}`;
              };
              break;
            case "stat":
              apply = async (root) => {
                const st = await Deno.stat(`${root}/${f}`);
                return `${st.isDirectory ? "dir" : "file"}:${st.isDirectory ? 0 : st.size}`;
              };
              break;
            case "rename": {
              const to = path(pick(dirs), pick(files));
              desc += ` -> ${to}`;
              // renaming onto a directory is out of scope (the model and rclone may differ)
              if ((await outcome(Deno.stat(`${model}/${to}`))).ok) {
                const st = await Deno.stat(`${model}/${to}`);
                if (st.isDirectory) continue;
              }
              apply = (root) => Deno.rename(`${root}/${f}`, `${root}/${to}`);
              break;
            }
            case "unlink":
              apply = (root) => Deno.remove(`${root}/${f}`);
              break;
            case "rmdir":
              if (d === "") continue;
              desc = `rmdir ${d}`;
              apply = (root) => Deno.remove(`${root}/${d}`);
              break;
            case "renamedir": {
              if (d === "") continue;
              const to = pick(["a", "b", "a/c", "b/c"]);
              if (to === d || to.startsWith(`${d}/`)) continue;
              if ((await outcome(Deno.stat(`${model}/${to}`))).ok) continue;
              desc = `renamedir ${d} -> ${to}`;
              apply = (root) => Deno.rename(`${root}/${d}`, `${root}/${to}`);
              break;
            }
            case "pwrite": {
              // read+write descriptor: a write at a random offset (maybe past the end), read back
              const off = Math.floor(r() * 80_000);
              const bytes = new Uint8Array(1 + Math.floor(r() * 9000)).fill(1 + (i % 255));
              const cut = r() < 0.3 ? Math.floor(r() * 90_000) : -1;
              desc = `pwrite ${f} ${off}+${bytes.length}${
                cut >= 0 ? ` then ftruncate ${cut}` : ""
              }`;
              apply = async (root) => {
                const fh = await Deno.open(`${root}/${f}`, { read: true, write: true });
                try {
                  await fh.seek(off, Deno.SeekMode.Start);
                  for (let w = 0; w < bytes.length;) w += await fh.write(bytes.subarray(w));
                  if (cut >= 0) await fh.truncate(cut);
                  const st = await fh.stat();
                  await fh.seek(Math.max(0, off - 10), Deno.SeekMode.Start);
                  const back = new Uint8Array(64);
                  const n = (await fh.read(back)) ?? 0;
                  return `${st.size}:${back.subarray(0, n).join(",")}`;
                } finally {
                  fh.close();
                }
              };
              break;
            }
            default: {
              const size = Math.floor(r() * 80_000);
              desc = `truncate ${f} ${size}`;
              apply = async (root) => {
                const fh = await Deno.open(`${root}/${f}`, { read: true, write: true });
                try {
                  await fh.truncate(size);
                } finally {
                  fh.close();
                }
              };
            }
          }
          const want = await outcome(apply(model));
          const got = await outcome(apply(mnt));
          log.push(`${i}: ${desc} => ${JSON.stringify(want)}`);
          if (JSON.stringify(got) !== JSON.stringify(want)) {
            throw new Error(
              `op ${i} ${desc}: mount gave ${JSON.stringify(got)}, model ${JSON.stringify(want)}`,
            );
          }
        }
        const [a, b] = [await tree(mnt), await tree(model)];
        if (JSON.stringify(a) !== JSON.stringify(b)) {
          throw new Error(`final trees differ:\nmount ${a.join("\n")}\nmodel ${b.join("\n")}`);
        }
      } catch (err) {
        throw new Error(
          `POSIX_SEED=${seed}: ${(err as Error).message}\nlast ops:\n${log.slice(-8).join("\n")}`,
        );
      } finally {
        await m.stop();
        await Deno.remove(base, { recursive: true });
      }
    },
  });
}

/**
 * @module
 * The seeded randomized VFS check: random file operations run against the Vfs and against a
 * plain in-memory model of the expected tree; results, errors and the visible tree must agree,
 * and after `sync()` the backend must hold the model's content. {@link modelTest} registers it
 * for one backend kind with fixed seeds; `VFS_SEED=<n>` replays a run (the seed is printed on
 * failure), `VFS_SEED=random` explores random seeds, and `VFS_STEPS` changes the length.
 */

import { assertBytes, assertEquals } from "./vfs_assert.ts";
import { Errno, errnoOf } from "../lib/errors.ts";
import { O, Vfs } from "../lib/vfs/vfs.ts";
import type { Backend } from "../lib/backends/backend.ts";
import { getFile } from "./vfs_helpers.ts";

type Node = Uint8Array | "dir";

/** A small seeded xorshift generator. */
export class Rng {
  #x: number;
  constructor(seed: number) {
    this.#x = seed >>> 0 || 1;
  }
  next(): number {
    let x = this.#x;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#x = x >>> 0;
    return this.#x / 2 ** 32;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: T[]): T {
    return xs[this.int(xs.length)]!;
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
}

const NAMES = ["a", "b", "c", "d"];
const parent = (p: string) => (p.includes("/") ? p.slice(0, p.lastIndexOf("/")) : "");

class Model {
  nodes = new Map<string, Node>([["", "dir"]]);
  children(dir: string): string[] {
    return [...this.nodes.keys()].filter((p) => p !== "" && parent(p) === dir).sort();
  }
  files(): string[] {
    return [...this.nodes.entries()].filter(([, n]) => n !== "dir").map(([p]) => p);
  }
  dirs(): string[] {
    return [...this.nodes.entries()].filter(([, n]) => n === "dir").map(([p]) => p);
  }
}

/** Runs `fn`, returning "ok" or the errno it failed with. */
async function outcome(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
    return "ok";
  } catch (err) {
    const n = errnoOf(err);
    const name = Object.entries(Errno).find(([, v]) => v === n)?.[0] ?? String(n);
    if (name === "EIO") throw err;
    return name;
  }
}

async function writeWhole(vfs: Vfs, path: string, data: Uint8Array, rng: Rng): Promise<void> {
  const { handle } = await vfs.create(path, O.WRONLY | O.CREAT | O.TRUNC, 0o644);
  try {
    let off = 0;
    while (off < data.byteLength) {
      const n = 1 + rng.int(Math.min(70_000, data.byteLength - off));
      await handle.write(off, data.subarray(off, off + n));
      off += n;
    }
    await handle.flush();
  } finally {
    await handle.release();
  }
}

async function checkTree(vfs: Vfs, m: Model, dir: string): Promise<void> {
  const got = (await vfs.readdir(dir)).map((a) => `${a.name}:${a.isDir ? "d" : a.size}`);
  const want = m.children(dir).map((p) => {
    const n = m.nodes.get(p)!;
    return `${p.split("/").pop()}:${n === "dir" ? "d" : n.byteLength}`;
  });
  assertEquals(got, want, `listing of ${JSON.stringify(dir)}`);
  for (const p of m.children(dir)) if (m.nodes.get(p) === "dir") await checkTree(vfs, m, p);
}

/** Makes a fresh backend for one run (`rng` may pick optional features) and its cleanup. */
export type BackendMaker = (rng: Rng) => Promise<{ backend: Backend; cleanup(): Promise<void> }>;

/** Runs one seeded sequence of `steps` operations in a cache mode. */
export async function runModel(
  make: BackendMaker,
  mode: string,
  seed: number,
  steps: number,
): Promise<void> {
  const rng = new Rng(seed);
  const { backend: b, cleanup } = await make(rng);
  try {
    await runSteps(b, rng, mode, steps);
  } finally {
    await cleanup();
  }
}

async function runSteps(b: Backend, rng: Rng, mode: string, steps: number): Promise<void> {
  const trace = Deno.env.get("VFS_TRACE") !== undefined;
  const vfs = new Vfs(b, { vfs_cache_mode: mode, vfs_write_back: 0, vfs_write_wait: 10 });
  const m = new Model();
  const cached = mode === "writes" || mode === "full";
  const rw = mode !== "off";
  const randomPath = () => {
    const d = rng.pick(m.dirs());
    return d === "" ? rng.pick(NAMES) : `${d}/${rng.pick(NAMES)}`;
  };
  for (let step = 0; step < steps; step++) {
    const op = rng.int(9);
    const p = randomPath();
    const node = m.nodes.get(p);
    const ctx = `step ${step} op ${op} path ${p}`;
    if (trace) {
      console.log(ctx, node === undefined ? "absent" : node === "dir" ? "dir" : node.byteLength);
    }
    switch (op) {
      case 0: { // mkdir
        const want = node ? "EEXIST" : "ok";
        assertEquals(await outcome(() => vfs.mkdir(p)), want, ctx);
        if (want === "ok") m.nodes.set(p, "dir");
        break;
      }
      case 1:
      case 2: { // write a whole file
        const data = rng.bytes(rng.int(200_000));
        const want = node === "dir" ? "EISDIR" : "ok";
        assertEquals(await outcome(() => writeWhole(vfs, p, data, rng)), want, ctx);
        if (want === "ok") m.nodes.set(p, data);
        break;
      }
      case 3: { // patch in place
        if (!(node instanceof Uint8Array)) break;
        const off = rng.int(node.byteLength + 10);
        const patch = rng.bytes(1 + rng.int(5000));
        const run = async () => {
          const h = await vfs.open(p, O.RDWR);
          try {
            await h.write(off, patch);
            await h.flush();
          } finally {
            await h.release();
          }
        };
        // Without a disk buffer: writes must start at 0, and only on an empty file (no O_TRUNC).
        const want = rw ? "ok" : off !== 0 ? "ESPIPE" : node.byteLength === 0 ? "ok" : "EPERM";
        assertEquals(await outcome(run), want, ctx);
        if (want === "ok") {
          const out = new Uint8Array(Math.max(node.byteLength, off + patch.byteLength));
          out.set(node);
          out.set(patch, off);
          m.nodes.set(p, out);
        }
        break;
      }
      case 4: { // read a range
        if (!(node instanceof Uint8Array)) break;
        const off = rng.int(node.byteLength + 1);
        const len = rng.int(100_000);
        const h = await vfs.open(p, O.RDONLY);
        try {
          assertBytes(await h.read(off, len), node.subarray(off, off + len), ctx);
        } finally {
          await h.release();
        }
        break;
      }
      case 5: { // unlink or rmdir
        if (node === undefined) {
          assertEquals(await outcome(() => vfs.unlink(p)), "ENOENT", ctx);
        } else if (node === "dir") {
          const want = m.children(p).length > 0 ? "ENOTEMPTY" : "ok";
          assertEquals(await outcome(() => vfs.rmdir(p)), want, ctx);
          if (want === "ok") m.nodes.delete(p);
        } else {
          assertEquals(await outcome(() => vfs.unlink(p)), "ok", ctx);
          m.nodes.delete(p);
        }
        break;
      }
      case 6: { // rename
        if (node === undefined) break;
        const to = randomPath();
        const dst = m.nodes.get(to);
        let want = "ok";
        if (to === p) want = "ok";
        else if (node === "dir" && (to + "/").startsWith(p + "/")) want = "EINVAL";
        else if (dst === "dir" && node !== "dir") want = "EISDIR";
        else if (dst !== undefined && dst !== "dir" && node === "dir") want = "ENOTDIR";
        else if (dst === "dir" && m.children(to).length > 0) want = "ENOTEMPTY";
        assertEquals(await outcome(() => vfs.rename(p, to)), want, `${ctx} -> ${to}`);
        if (want === "ok" && to !== p) {
          const moved = [...m.nodes.entries()].filter(([k]) => k === p || k.startsWith(p + "/"));
          for (const [k] of moved) m.nodes.delete(k);
          if (dst === "dir") m.nodes.delete(to);
          for (const [k, v] of moved) m.nodes.set(to + k.slice(p.length), v);
        }
        break;
      }
      case 7: { // truncate
        if (!(node instanceof Uint8Array)) break;
        const size = rng.next() < 0.3 ? 0 : rng.int(node.byteLength + 1000);
        let want = size === node.byteLength || size === 0 || cached ? "ok" : "EPERM";
        const got = await outcome(() => vfs.setattr(p, { size }));
        // minimal mode truncates through the cache while the cache holds the file (timing).
        if (mode === "minimal" && want === "EPERM" && got === "ok") want = "ok";
        assertEquals(got, want, ctx);
        if (want === "ok") {
          const out = new Uint8Array(size);
          out.set(node.subarray(0, size));
          m.nodes.set(p, out);
        }
        break;
      }
      case 8: { // stat
        const a = await outcome(() => vfs.stat(p));
        assertEquals(a, node === undefined ? "ENOENT" : "ok", ctx);
        if (node !== undefined) {
          const st = await vfs.stat(p);
          assertEquals(st.isDir ? "dir" : st.size, node === "dir" ? "dir" : node.byteLength, ctx);
        }
        break;
      }
    }
    if (step % 25 === 0) await checkTree(vfs, m, "");
  }
  await checkTree(vfs, m, "");
  await vfs.sync();
  for (const f of m.files()) {
    assertBytes(await getFile(b, f), m.nodes.get(f) as Uint8Array, `backend copy of ${f}`);
  }
  vfs.forgetDirCache();
  await checkTree(vfs, m, "");
  await vfs.shutdown();
}

/** The seeds runs use unless `VFS_SEED` says otherwise. */
export const FIXED_SEEDS: readonly number[] = [20261121, 1605, 424242];

/** Registers the randomized test for each cache mode. */
export function modelTest(
  label: string,
  make: BackendMaker,
  runs = 2,
  modes: readonly string[] = ["off", "minimal", "writes", "full"],
): void {
  for (const mode of modes) {
    Deno.test(`randomized VFS vs model over ${label} in cache mode ${mode}`, async () => {
      const fixed = Deno.env.get("VFS_SEED");
      // Fixed seeds by default (CI stays reproducible); VFS_SEED=random explores new ones.
      const seeds = fixed === "random"
        ? Array.from({ length: runs }, () => Math.floor(Math.random() * 2 ** 31))
        : fixed
        ? [Number(fixed)]
        : FIXED_SEEDS.slice(0, runs);
      for (const seed of seeds) {
        try {
          await runModel(make, mode, seed, Number(Deno.env.get("VFS_STEPS") ?? 120));
        } catch (err) {
          console.error(
            `randomized VFS test failed (${label}, ${mode}): replay with VFS_SEED=${seed}`,
          );
          throw err;
        }
      }
    });
  }
}

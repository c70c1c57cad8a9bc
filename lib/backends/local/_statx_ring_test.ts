import {
  deepStrictEqual as assertEquals,
  ok as assert,
  throws as assertThrows,
} from "node:assert/strict";
import { StatxRing, statxRing } from "./_statx_ring.ts";
import { DirStat, fileStats } from "./_dir_stat.ts";
import { withTempDir } from "../../../tests/helpers/temp_dir.ts";

const O_DIRECTORY = 0o200000;
/** STATX_TYPE | STATX_MODE | STATX_SIZE. */
const MASK = 0x1 | 0x2 | 0x200;
const ENOENT = 2;
const EINVAL = 22;

/** Opens `dir` with libc for the ring and runs `fn` with its descriptor. */
async function withDirFd(dir: string, fn: (fd: number) => Promise<void> | void): Promise<void> {
  const c = Deno.dlopen("libc.so.6", {
    open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
    close: { parameters: ["i32"], result: "i32" },
  });
  const fd = c.symbols.open(new TextEncoder().encode(`${dir}\0`), O_DIRECTORY, 0);
  try {
    assert(fd >= 0);
    await fn(fd);
  } finally {
    c.symbols.close(fd);
    c.close();
  }
}

Deno.test("StatxRing.statAll reports every index once with statx's answer", async () => {
  await withTempDir("denoclone-ring-", async (dir) => {
    const names = ["a", "b", "c", "gone", "d", "e", "f", "g", "h", "i", "j", "k"];
    for (const [i, n] of names.entries()) {
      if (n !== "gone") await Deno.writeFile(`${dir}/${n}`, new Uint8Array(i * 10));
    }
    const ring = StatxRing.create(4);
    assert(ring, "io_uring is available here");
    await withDirFd(dir, (fd) => {
      const seen = new Map<number, number>();
      const indices = [11, 0, 3, 5, 1, 2, 4, 6, 7, 8, 9, 10];
      const done = ring.statAll(fd, names, indices, MASK, (i, res, view, off) => {
        assert(!seen.has(i), `index ${i} reported twice`);
        seen.set(i, res === 0 ? view.getUint32(off + 40, true) : res);
      });
      assert(done);
      assertEquals(
        [...seen.entries()].sort((a, b) => a[0] - b[0]),
        names.map((n, i) => [i, n === "gone" ? -ENOENT : i * 10]),
      );
      // nothing at all to do
      let calls = 0;
      assert(ring.statAll(fd, names, [], MASK, () => calls++));
      assertEquals(calls, 0);
    });
  });
});

Deno.test("a ring whose statx is refused retires and DirStat.files stats one by one", async () => {
  await withTempDir("denoclone-ring-", async (dir) => {
    const names = Array.from({ length: 10 }, (_, i) => `f${i}`);
    for (const [i, n] of names.entries()) await Deno.writeFile(`${dir}/${n}`, new Uint8Array(i));
    const ring = StatxRing.create(4)!;
    await withDirFd(dir, (fd) => {
      // a reserved mask bit: the kernel answers EINVAL, as for an unsupported opcode
      const res: number[] = [];
      ring.statAll(fd, names, [0, 1], 0x8000_0000, (_, r) => res.push(r));
      assertEquals(res, [-EINVAL, -EINVAL]);
    });
    assertEquals(ring.usable, false);
    const ds = DirStat.open(dir)!;
    try {
      const out = fileStats(names.length);
      ds.files(names, names.map((_, i) => i), out, ring);
      assertEquals([...out.ok], names.map(() => 1));
      assertEquals([...out.sizes], names.map((_, i) => i));
    } finally {
      ds.close();
    }
  });
});

Deno.test("statxRing is one ring for the process", () => {
  const a = statxRing();
  assert(a, "io_uring is available here");
  assert(a === statxRing());
});

Deno.test("a batch completes when signals cut its waits short (a profiler's SIGPROF)", async () => {
  await withTempDir("denoclone-ring-", async (dir) => {
    for (let i = 0; i < 3000; i++) await Deno.writeFile(`${dir}/f${i}`, new Uint8Array(i % 5));
    // --cpu-prof makes V8 signal the thread ~1,000 times a second, so io_uring_enter returns
    // early (EINTR, or fewer completions than asked for) many times per batch
    const child = `${dir}/child.ts`;
    await Deno.writeTextFile(
      child,
      `import { StatxRing } from ${
        JSON.stringify(new URL("./_statx_ring.ts", import.meta.url).href)
      };
const dir = Deno.args[0];
const c = Deno.dlopen("libc.so.6", { open: { parameters: ["buffer", "i32", "u32"], result: "i32" } });
const fd = c.symbols.open(new TextEncoder().encode(dir + "\\0"), ${O_DIRECTORY}, 0);
const names = [...Deno.readDirSync(dir)].map((d) => d.name).filter((n) => n.startsWith("f"));
const ring = StatxRing.create(16);
for (let round = 0; round < 30; round++) {
  let sum = 0, n = 0;
  const ok = ring.statAll(fd, names, names.map((_, i) => i), ${MASK}, (i, res, view, off) => {
    if (res !== 0) throw new Error("statx of " + names[i] + ": " + res);
    sum += view.getUint32(off + 40, true);
    n++;
  });
  if (!ok || n !== 3000 || sum !== 6000) throw new Error("round " + round + ": " + ok + " " + n + " " + sum);
}
`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", "--cpu-prof", `--cpu-prof-dir=${dir}/prof`, child, dir],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals([out.code, new TextDecoder().decode(out.stderr)], [0, ""]);
  });
});

Deno.test("a batch given up half way doesn't leak results into the next one", async () => {
  await withTempDir("denoclone-ring-", async (dir) => {
    const names = Array.from({ length: 50 }, (_, i) => `f${i}`);
    for (const [i, n] of names.entries()) await Deno.writeFile(`${dir}/${n}`, new Uint8Array(i));
    const ring = StatxRing.create(8)!;
    await withDirFd(dir, (fd) => {
      const all = names.map((_, i) => i);
      assertThrows(() =>
        ring.statAll(fd, names, all, MASK, () => {
          throw new Error("caller gives up");
        })
      );
      const sizes = new Map<number, number>();
      assert(ring.statAll(fd, names, all.slice(10), MASK, (i, res, view, off) => {
        assert(!sizes.has(i) && res === 0, `index ${i}`);
        sizes.set(i, view.getUint32(off + 40, true));
      }));
      assertEquals(
        [...sizes.entries()].sort((a, b) => a[0] - b[0]),
        all.slice(10).map((i) => [i, i]),
      );
    });
  });
});

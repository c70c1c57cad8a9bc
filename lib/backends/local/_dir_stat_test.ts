import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { DirStat, DT_DIR, DT_LNK, DT_REG, fileStats } from "./_dir_stat.ts";
import { StatxRing, statxRing } from "./_statx_ring.ts";
import { withTempDir } from "../../../tests/helpers/temp_dir.ts";

Deno.test("DirStat reads size and mtime of regular files as Deno.lstatSync does", async () => {
  await withTempDir("denoclone-dirstat-", async (dir) => {
    await Deno.writeTextFile(`${dir}/small`, "hello");
    await Deno.utime(`${dir}/small`, 1_700_000_000.123, 1_600_000_000.987654);
    // sparse, larger than 4 GiB: the size's high word matters
    const f = await Deno.open(`${dir}/big é`, { write: true, create: true });
    await f.truncate(5 * 2 ** 32 + 12345);
    f.close();
    await Deno.mkdir(`${dir}/sub`);
    await Deno.symlink("small", `${dir}/link`);
    const ds = DirStat.open(dir);
    assert(ds, "glibc with statx is available here");
    try {
      for (const name of ["small", "big é"]) {
        assert(ds.file(name), name);
        const info = Deno.lstatSync(`${dir}/${name}`);
        assertEquals([ds.size, ds.mtimeMs], [info.size, info.mtime!.getTime()], name);
      }
      assertEquals(ds.mtimeMs, Deno.lstatSync(`${dir}/big é`).mtime!.getTime());
      assert(ds.file("small"));
      assertEquals(ds.mtimeMs, 1_600_000_000_987, "truncated to whole ms");
      // everything but a plain regular file is left to the caller
      assertEquals(ds.file("sub"), false, "directory");
      assertEquals(ds.file("link"), false, "symlink, not followed");
      assertEquals(ds.file("missing"), false, "missing");
      assertEquals(ds.file("x".repeat(2000)), false, "name longer than the buffer");
    } finally {
      ds.close();
    }
    assertEquals(ds.file("small"), false, "closed");
  });
});

Deno.test("DirStat leaves files dated before 1970 to the caller", async () => {
  await withTempDir("denoclone-dirstat-", async (dir) => {
    await Deno.writeTextFile(`${dir}/old`, "x");
    await Deno.utime(`${dir}/old`, -86_400, -86_400);
    const ds = DirStat.open(dir)!;
    try {
      assertEquals(ds.file("old"), false);
    } finally {
      ds.close();
    }
  });
});

Deno.test("DirStat.open of a missing directory or a file is undefined", async () => {
  await withTempDir("denoclone-dirstat-", async (dir) => {
    await Deno.writeTextFile(`${dir}/f`, "x");
    assertEquals(DirStat.open(`${dir}/missing`), undefined);
    assertEquals(DirStat.open(`${dir}/f`), undefined);
  });
});

/** What {@link DirStat.file} answers for each name, as `[ok, size, mtimeMs]`. */
function oneByOne(ds: DirStat, names: readonly string[]): [boolean, number, number][] {
  return names.map((n) => ds.file(n) ? [true, ds.size, ds.mtimeMs] : [false, 0, 0]);
}

/** What {@link DirStat.files} answers for the same names through `ring`. */
function batched(
  ds: DirStat,
  names: readonly string[],
  ring: StatxRing | null | undefined,
): [boolean, number, number][] {
  const out = fileStats(names.length);
  ds.files(names, names.map((_, i) => i), out, ring);
  return names.map((_, i) => out.ok[i] ? [true, out.sizes[i]!, out.mtimesMs[i]!] : [false, 0, 0]);
}

Deno.test("DirStat.files through an io_uring answers as DirStat.file does", async () => {
  await withTempDir("denoclone-dirstat-", async (dir) => {
    const names: string[] = [];
    // more files than the ring's slots, of different sizes and times
    for (let i = 0; i < 40; i++) {
      const name = `f${i} é`;
      await Deno.writeTextFile(`${dir}/${name}`, "x".repeat(i));
      await Deno.utime(`${dir}/${name}`, 1_700_000_000 + i, 1_600_000_000.5 + i);
      names.push(name);
    }
    const big = await Deno.open(`${dir}/big`, { write: true, create: true });
    await big.truncate(5 * 2 ** 32 + 7);
    big.close();
    await Deno.mkdir(`${dir}/sub`);
    await Deno.symlink("f1 é", `${dir}/link`);
    await Deno.writeTextFile(`${dir}/old`, "x");
    await Deno.utime(`${dir}/old`, -86_400, -86_400);
    // "gone" was listed but removed before its statx; the long name doesn't fit a slot
    names.push("big", "sub", "link", "old", "gone", "y".repeat(300));
    const ring = StatxRing.create(8);
    assert(ring, "io_uring is available here");
    const ds = DirStat.open(dir)!;
    try {
      const want = oneByOne(ds, names);
      assertEquals(want.filter(([ok]) => ok).length, 41, "the 40 files and big");
      assertEquals(batched(ds, names, ring), want);
      assert(ring.usable);
      // again on the same ring (slots reused), in another order and with a subset
      const some = [...names].reverse().filter((_, i) => i % 3 !== 0);
      assertEquals(batched(ds, some, ring), oneByOne(ds, some));
      assertEquals(batched(ds, names, null), want, "one by one");
      assertEquals(batched(ds, names, undefined), want, "the default (probe) path");
    } finally {
      ds.close();
    }
  });
});

Deno.test("DirStat.files of a large directory through the shared ring matches one by one", async () => {
  await withTempDir("denoclone-dirstat-", async (dir) => {
    const names: string[] = [];
    for (let i = 0; i < 3000; i++) {
      names.push(`n${i}`);
      await Deno.writeFile(`${dir}/n${i}`, new Uint8Array(i % 7 === 0 ? i : 0));
    }
    for (let i = 0; i < 20; i++) await Deno.mkdir(`${dir}/d${i}`);
    names.push(...Array.from({ length: 20 }, (_, i) => `d${i}`));
    const ds = DirStat.open(dir)!;
    try {
      const ring = statxRing();
      assert(ring, "io_uring is available here");
      assertEquals(batched(ds, names, ring), oneByOne(ds, names));
    } finally {
      ds.close();
    }
  });
});

Deno.test("DirStat.files with a ring on a closed DirStat leaves everything alone", async () => {
  await withTempDir("denoclone-dirstat-", async (dir) => {
    await Deno.writeTextFile(`${dir}/f`, "x");
    const ds = DirStat.open(dir)!;
    ds.close();
    assertEquals(batched(ds, ["f"], StatxRing.create(4)), [[false, 0, 0]]);
  });
});

/** `DirStat.list(ring)` of `dir`, as sorted `[name, type, ok, size, mtimeMs]` rows. */
function listed(dir: string, ring: StatxRing | null | undefined) {
  const ds = DirStat.open(dir)!;
  try {
    const l = ds.list(ring);
    assert(l, "getdents64 is available here");
    return l.names.map((
      n,
      i,
    ) => [n, l.types[i], l.stats.ok[i], l.stats.sizes[i], l.stats.mtimesMs[i]])
      .sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
  } finally {
    ds.close();
  }
}

/** The same rows from `Deno.readDirSync` and `DirStat.file`. */
function expected(dir: string) {
  const ds = DirStat.open(dir)!;
  try {
    return [...Deno.readDirSync(dir)].map((d) => {
      const type = d.isFile ? DT_REG : d.isDirectory ? DT_DIR : d.isSymlink ? DT_LNK : 1;
      const ok = d.isFile && ds.file(d.name);
      return [d.name, type, ok ? 1 : 0, ok ? ds.size : 0, ok ? ds.mtimeMs : 0];
    }).sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
  } finally {
    ds.close();
  }
}

Deno.test("DirStat.list reads names, types and file figures as readDirSync and file do", async () => {
  await withTempDir("denoclone-dirstat-", async (dir) => {
    // more entries than one getdents64 buffer and than the ring's slots
    for (let i = 0; i < 2500; i++) {
      await Deno.writeFile(`${dir}/file-${i}-${"n".repeat(i % 50)}`, new Uint8Array(i % 13));
    }
    await Deno.utime(`${dir}/file-7-${"n".repeat(7)}`, 1, 1_500_000_000.25);
    await Deno.writeTextFile(`${dir}/old`, "x");
    await Deno.utime(`${dir}/old`, -86_400, -86_400);
    await Deno.mkdir(`${dir}/sub`);
    await Deno.symlink("old", `${dir}/link`);
    await Deno.symlink("missing", `${dir}/dangling`);
    await new Deno.Command("mkfifo", { args: [`${dir}/fifo`] }).output();
    await Deno.writeTextFile(`${dir}/\ufeffbom é`, "bom");
    // not UTF-8: replaced, as Deno.readDirSync does
    const bad = new Uint8Array([...new TextEncoder().encode(`${dir}/bad`), 0xff, 0xfe, 0x41]);
    const c = Deno.dlopen("libc.so.6", { creat: { parameters: ["buffer", "u32"], result: "i32" } });
    assert(c.symbols.creat(new Uint8Array([...bad, 0]), 0o644) >= 0);
    c.close();
    const want = expected(dir);
    assertEquals(want.length, 2500 + 7);
    assert(want.some(([n]) => n === "bad\ufffd\ufffdA"));
    assertEquals(listed(dir, null), want, "one by one");
    const ring = StatxRing.create(16);
    assert(ring);
    assertEquals(listed(dir, ring), want, "through a ring");
    assert(ring.usable);
    assertEquals(listed(dir, undefined), want, "probe (warm: one by one)");
  });
});

Deno.test("DirStat.list of an empty directory and of a closed DirStat", async () => {
  await withTempDir("denoclone-dirstat-", async (dir) => {
    assertEquals(listed(dir, StatxRing.create(4)), []);
    await Deno.mkdir(`${dir}/only`);
    assertEquals(listed(dir, StatxRing.create(4)), [["only", DT_DIR, 0, 0, 0]]);
    const ds = DirStat.open(dir)!;
    ds.close();
    assertEquals(ds.list(), undefined);
  });
});

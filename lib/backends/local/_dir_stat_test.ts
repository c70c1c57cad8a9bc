import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { DirStat } from "./_dir_stat.ts";
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

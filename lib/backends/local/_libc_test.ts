import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { statfs } from "node:fs/promises";
import { ENOENT, fsType, lstatMode } from "./_libc.ts";
import { withTempDir } from "../../../tests/helpers/temp_dir.ts";

Deno.test("fsType() gives statfs's f_type, and undefined for a missing path", async () => {
  await withTempDir("denoclone-libc-", async (dir) => {
    assertEquals(await fsType(dir), (await statfs(dir)).type >>> 0);
    assertEquals(await fsType("/dev/shm"), 0x01021994, "tmpfs");
    assertEquals(await fsType(`${dir}/missing`), undefined);
  });
});

Deno.test("lstatMode() gives st_mode without following links, or a negated errno", async () => {
  await withTempDir("denoclone-libc-", async (dir) => {
    await Deno.writeTextFile(`${dir}/f`, "x");
    await Deno.chmod(`${dir}/f`, 0o640);
    await Deno.mkdir(`${dir}/d`);
    await Deno.symlink("f", `${dir}/l`);
    assertEquals(lstatMode(`${dir}/f`), 0o100640);
    assertEquals(lstatMode(`${dir}/d`)! & 0o170000, 0o040000);
    assertEquals(lstatMode(`${dir}/l`)! & 0o170000, 0o120000, "the link itself");
    assertEquals(lstatMode(`${dir}/missing`), -ENOENT);
    assertEquals(lstatMode(`${dir}/f/under`), -20, "ENOTDIR");
    assertEquals(lstatMode(`${dir}/${"x".repeat(9000)}`), undefined, "too long to encode here");
  });
});

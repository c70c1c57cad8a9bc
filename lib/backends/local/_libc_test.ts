import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { statfs } from "node:fs/promises";
import { fsType } from "./_libc.ts";
import { withTempDir } from "../../../tests/helpers/temp_dir.ts";

Deno.test("fsType() gives statfs's f_type, and undefined for a missing path", async () => {
  await withTempDir("denoclone-libc-", async (dir) => {
    assertEquals(await fsType(dir), (await statfs(dir)).type >>> 0);
    assertEquals(await fsType("/dev/shm"), 0x01021994, "tmpfs");
    assertEquals(await fsType(`${dir}/missing`), undefined);
  });
});

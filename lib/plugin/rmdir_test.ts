import { deepStrictEqual as assertEquals, rejects } from "node:assert/strict";
import { rmdir } from "./rmdir.ts";

Deno.test("rmdir() removes an empty directory and fails on a full, missing or non-directory path", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/empty`);
    assertEquals(await rmdir(`${dir}/empty`), true);
    await rejects(Deno.lstat(`${dir}/empty`), Deno.errors.NotFound);
    assertEquals(await rmdir(`${dir}/empty`), false);
    await Deno.mkdir(`${dir}/full`);
    await Deno.writeTextFile(`${dir}/full/x`, "x");
    assertEquals(await rmdir(`${dir}/full`), false);
    assertEquals(await Deno.readTextFile(`${dir}/full/x`), "x");
    await Deno.writeTextFile(`${dir}/file`, "x");
    assertEquals(await rmdir(`${dir}/file`), false);
    assertEquals(await Deno.readTextFile(`${dir}/file`), "x");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { dirFlags, FS_TOPDIR_FL, markTopDir } from "./top_dirs.ts";

/** Whether `dir` is on ext2/3/4 (`stat -f`), where the flag must work. */
async function onExt4(dir: string): Promise<boolean> {
  const out = await new Deno.Command("stat", { args: ["-f", "-c", "%T", dir] }).output();
  return new TextDecoder().decode(out.stdout).trim().startsWith("ext2");
}

Deno.test("markTopDir() sets chattr +T, as lsattr shows, and keeps the other flags", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const before = await dirFlags(dir);
    const ok = await markTopDir(dir);
    if (await onExt4(dir)) assertEquals(ok, true);
    const after = await dirFlags(dir);
    if (ok) {
      assertEquals(after, before! | FS_TOPDIR_FL);
      const ls = await new Deno.Command("lsattr", { args: ["-d", dir] }).output();
      assertEquals(new TextDecoder().decode(ls.stdout).split(" ")[0]!.includes("T"), true);
      assertEquals(await markTopDir(dir), true); // already set: nothing changes
      assertEquals(await dirFlags(dir), after);
    } else {
      assertEquals(after === undefined || (after & FS_TOPDIR_FL) === 0, true);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("markTopDir() reports false for a missing directory or a file system without the flag", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assertEquals(await markTopDir(`${dir}/missing`), false);
    assertEquals(await dirFlags(`${dir}/missing`), undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  // tmpfs keeps no TOPDIR flag: refused, not thrown.
  const shm = await Deno.makeTempDir({ dir: "/dev/shm" }).catch(() => undefined);
  if (!shm) return;
  try {
    assertEquals(await markTopDir(shm), false);
  } finally {
    await Deno.remove(shm, { recursive: true });
  }
});

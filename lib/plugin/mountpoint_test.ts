import { deepStrictEqual as assertEquals, rejects } from "node:assert/strict";
import {
  escapeMountinfo,
  mountAt,
  parseMountinfo,
  prepareMountpoint,
  removeMountpoint,
} from "./mountpoint.ts";

Deno.test("prepareMountpoint() creates a missing directory and its parents with mode 0700", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const mp = `${dir}/base/sub/vol`;
    assertEquals(await prepareMountpoint(mp), true);
    assertEquals((await Deno.stat(mp)).mode! & 0o777, 0o700);
    assertEquals((await Deno.stat(`${dir}/base`)).mode! & 0o777, 0o700);
    // Existing and empty: accepted, not created now.
    assertEquals(await prepareMountpoint(mp), false);
    await removeMountpoint(mp);
    await rejects(Deno.stat(mp), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("prepareMountpoint() refuses a non-empty directory and a file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/full`);
    await Deno.writeTextFile(`${dir}/full/x`, "x");
    await rejects(prepareMountpoint(`${dir}/full`), /non-empty mountpoint already exists/);
    await Deno.writeTextFile(`${dir}/file`, "x");
    await rejects(prepareMountpoint(`${dir}/file`), /mountpoint is not a directory/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("escapeMountinfo() escapes like the kernel; mountAt() finds real mounts and only those", async () => {
  assertEquals(escapeMountinfo("/a b\tc\\d\ne"), "/a\\040b\\011c\\134d\\012e");
  const line = `1 0 0:1 / ${escapeMountinfo("/a b\\c")} rw - tmpfs none rw\n`;
  assertEquals(parseMountinfo(line), [{ mountpoint: "/a b\\c", fstype: "tmpfs" }]);
  assertEquals((await mountAt("/proc"))?.fstype, "proc");
  const dir = await Deno.makeTempDir();
  try {
    assertEquals(await mountAt(dir), undefined);
    // A prefix of a mountpoint is not that mountpoint.
    assertEquals(await mountAt("/pro"), undefined);
  } finally {
    await Deno.remove(dir);
  }
});

Deno.test("removeMountpoint() leaves a non-empty directory, accepts a missing one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/full`);
    await Deno.writeTextFile(`${dir}/full/x`, "x");
    await removeMountpoint(`${dir}/full`);
    assertEquals(await Deno.readTextFile(`${dir}/full/x`), "x");
    await removeMountpoint(`${dir}/missing`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "removeMountpoint() leaves a mounted directory and its mount alone",
  ignore: Deno.uid() !== 0,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const mp = `${dir}/vol`;
    await Deno.mkdir(mp);
    const mounted = await new Deno.Command("mount", { args: ["-t", "tmpfs", "none", mp] })
      .output();
    try {
      assertEquals(mounted.success, true);
      await removeMountpoint(mp);
      assertEquals((await mountAt(mp))?.fstype, "tmpfs");
    } finally {
      if (mounted.success) await new Deno.Command("umount", { args: [mp] }).output();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

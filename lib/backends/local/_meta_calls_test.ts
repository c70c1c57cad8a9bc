import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { statfs } from "node:fs/promises";
import { ASYNC_CALLS, DIR_TTL_MS, isLocalFsType, MetaCallGate, SYNC_CALLS } from "./_meta_calls.ts";
import { withTempDir } from "../../../tests/helpers/temp_dir.ts";
import { IS_ROOT, isolatedFlags, startCliMount, testDirs } from "../../../tests/helpers/mount.ts";

Deno.test("isLocalFsType knows local disks and refuses FUSE, NFS, SMB and unknown types", () => {
  assert(isLocalFsType(0xef53)); // ext4
  assert(isLocalFsType(0x01021994)); // tmpfs
  assert(isLocalFsType(0x58465342)); // xfs
  assert(!isLocalFsType(0x65735546)); // fuse
  assert(!isLocalFsType(0x6969)); // nfs
  assert(!isLocalFsType(0xfe534d42)); // smb2
  assert(!isLocalFsType(0x12345678));
});

Deno.test("MetaCallGate: a local directory's verdict follows its fs type and is kept for the TTL", async () => {
  await withTempDir("denoclone-metagate-", async (dir) => {
    let now = 1_000_000;
    const gate = new MetaCallGate({ now: () => now });
    const expected = isLocalFsType((await statfs(dir)).type) ? SYNC_CALLS : ASYNC_CALLS;
    assertEquals(await gate.forDir(dir), expected);
    await Deno.mkdir(`${dir}/sub`);
    assertEquals(await gate.forDir(`${dir}/sub`), expected);
    // the verdict is remembered: the directory going away is not seen within the TTL…
    await Deno.remove(`${dir}/sub`);
    now += DIR_TTL_MS - 1;
    assertEquals(await gate.forDir(`${dir}/sub`), expected);
    // …and is after it: a missing directory gets the asynchronous calls
    now += 2;
    assertEquals(await gate.forDir(`${dir}/sub`), ASYNC_CALLS);
    // forgetTree drops a verdict at once
    await Deno.mkdir(`${dir}/sub`);
    assertEquals(await gate.forDir(`${dir}/sub`), expected);
    await Deno.remove(`${dir}/sub`);
    gate.forgetTree(dir);
    assertEquals(await gate.forDir(`${dir}/sub`), ASYNC_CALLS);
    assertEquals(await gate.forDir(`${dir}/missing`), ASYNC_CALLS);
    assertEquals(await new MetaCallGate({ forceAsync: true }).forDir(dir), ASYNC_CALLS);
  });
});

Deno.test("MetaCallGate: tmpfs gets synchronous calls", async () => {
  const dir = await Deno.makeTempDir({ dir: "/dev/shm", prefix: "denoclone-metagate-" });
  try {
    assertEquals(await new MetaCallGate().forDir(dir), SYNC_CALLS);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "MetaCallGate: a directory on a FUSE mount gets asynchronous calls",
  ignore: !IS_ROOT,
  async fn() {
    const d = await testDirs("metagate");
    const m = await startCliMount(":memory:metagate", d.mnt, isolatedFlags(d.base));
    try {
      await Deno.mkdir(`${d.mnt}/dir`);
      const gate = new MetaCallGate();
      assertEquals(await gate.forDir(d.mnt), ASYNC_CALLS);
      assertEquals(await gate.forDir(`${d.mnt}/dir`), ASYNC_CALLS);
    } finally {
      await m.stop();
      await Deno.remove(d.base, { recursive: true });
    }
  },
});

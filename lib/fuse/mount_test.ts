/**
 * Unit tests of the mount table lookups of `mount.ts` against this machine's real
 * /proc/self/mountinfo (and, as root, a tmpfs mounted at a path that needs escaping).
 */
import assert from "node:assert/strict";
import { findMount, isFuseMounted, readMountInfo } from "./mount.ts";

Deno.test("findMount agrees with the full parse for every mountpoint of the table", () => {
  const all = readMountInfo();
  assert.ok(all.length > 0);
  const last = (table: typeof all, mp: string) => table.filter((x) => x.mountpoint === mp).at(-1);
  // the table may change meanwhile (other processes mount and unmount): a mismatch is checked
  // again against a fresh parse before it counts
  for (const m of all) {
    const got = findMount(m.mountpoint);
    if (JSON.stringify(got) === JSON.stringify(last(all, m.mountpoint))) continue;
    const fresh = readMountInfo();
    assert.deepEqual(findMount(m.mountpoint), last(fresh, m.mountpoint), m.mountpoint);
  }
  assert.equal(findMount("/proc")?.fstype, "proc");
  assert.equal(findMount("/no/such/mountpoint"), undefined);
  // a prefix of a mountpoint is not that mountpoint
  assert.equal(findMount("/pro"), undefined);
});

Deno.test({
  name: "findMount finds a mount whose path has a space and a backslash; not FUSE",
  ignore: Deno.uid() !== 0,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "denoclone-mount-test-" });
    const mp = `${dir}/a b\\c`;
    await Deno.mkdir(mp);
    const sh = (cmd: string[]) => new Deno.Command(cmd[0]!, { args: cmd.slice(1) }).output();
    try {
      assert.equal(findMount(mp), undefined);
      assert.ok((await sh(["mount", "-t", "tmpfs", "-o", "size=1m", "denoclonetest", mp])).success);
      const m = findMount(mp);
      assert.equal(m?.fstype, "tmpfs");
      assert.equal(m?.source, "denoclonetest");
      assert.equal(m?.mountpoint, mp);
      assert.equal(isFuseMounted(mp), false);
      assert.equal(findMount(`${dir}/a b`), undefined);
    } finally {
      await sh(["umount", mp]);
      await Deno.remove(dir, { recursive: true });
    }
  },
});

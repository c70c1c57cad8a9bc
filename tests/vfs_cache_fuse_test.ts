/**
 * The VFS cache under a real FUSE mount (served in this process, all I/O from subprocesses):
 * random writes with `dd`, truncate, append, rename and remove in `writes` mode land on the
 * remote exactly as on a plain directory; in `full` mode `dd` reads of a sparse 1 GiB remote
 * file fetch only what they touch and `cat` streams the whole file correctly.
 */

import { deepStrictEqual as assertEquals } from "node:assert/strict";
import type { Backend } from "../lib/backends/backend.ts";
import { LocalBackend } from "../lib/backends/local.ts";
import { mountVfs } from "../lib/fuse/mount_vfs.ts";
import { Vfs } from "../lib/vfs/vfs.ts";
import { FaultyBackend } from "./helpers/faulty_backend.ts";

const CAN_MOUNT = Deno.uid() === 0 && (() => {
  try {
    Deno.statSync("/dev/fuse");
    return true;
  } catch {
    return false;
  }
})();

async function sh(script: string, timeoutSec = 60): Promise<string> {
  const out = await new Deno.Command("timeout", {
    args: ["-k", "5", String(timeoutSec), "sh", "-c", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(`sh failed (${out.code}): ${script}\n${new TextDecoder().decode(out.stderr)}`);
  }
  return text;
}

/** Mounts `backend` with the given VFS options; runs `fn`; always unmounts and cleans up. */
async function withMount(
  backend: Backend,
  vfsOptions: Record<string, string | number>,
  fn: (mnt: string, vfs: Vfs) => Promise<void>,
): Promise<void> {
  const base = await Deno.makeTempDir({ prefix: "vfs_cache_fuse_" });
  const mnt = `${base}/mnt`;
  await Deno.mkdir(mnt);
  const vfs = new Vfs(backend, vfsOptions, { cacheDir: `${base}/cache` });
  const mount = await mountVfs(vfs, mnt, {});
  try {
    await fn(mnt, vfs);
  } finally {
    await mount.unmount({ deadlineMs: 5000 }).catch(() => {});
    await vfs.shutdown().catch(() => {});
    await Deno.remove(base, { recursive: true }).catch(() => {});
  }
}

/** The same edits, applied by the shell to a directory. */
function edits(dir: string): string {
  return [
    `cd ${dir}`,
    "head -c 300000 /dev/zero | tr '\\0' 'a' > rnd.bin",
    "printf 'XXXXXXXX' | dd of=rnd.bin bs=1 seek=150000 conv=notrunc status=none",
    "printf 'YYYY' | dd of=rnd.bin bs=1 seek=299998 conv=notrunc status=none",
    "printf 'ZZ' | dd of=rnd.bin bs=1 seek=400000 conv=notrunc status=none",
    "printf 'hello\\n' > log.txt && printf 'world\\n' >> log.txt",
    "head -c 5000 /dev/zero | tr '\\0' 'b' > t.bin && truncate -s 1000 t.bin && truncate -s 3000 t.bin",
    "printf 'move me' > a.txt && mv a.txt b.txt",
    "printf 'drop me' > gone.txt && rm gone.txt",
    "mkdir -p sub/deeper && printf 'nested' > sub/deeper/n.txt && mv sub moved",
  ].join(" && ");
}

Deno.test({
  name: "VfsCache writes mode over FUSE: shell edits land on the remote exactly",
  ignore: !CAN_MOUNT,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const root = await Deno.makeTempDir({ prefix: "vfs_cache_fuse_remote_" });
    const ref = await Deno.makeTempDir({ prefix: "vfs_cache_fuse_ref_" });
    try {
      const remote = new FaultyBackend(new LocalBackend({ root }));
      await withMount(
        remote,
        { vfs_cache_mode: "writes", vfs_write_back: 200 },
        async (mnt, vfs) => {
          await sh(edits(mnt));
          await sh(edits(ref));
          const list = "find . -type f | sort | xargs sha256sum";
          assertEquals(await sh(`cd ${mnt} && ${list}`), await sh(`cd ${ref} && ${list}`));
          await vfs.sync();
          assertEquals(vfs.status().dirtyFiles, 0);
        },
      );
      const list = "find . -type f | sort | xargs sha256sum";
      assertEquals(await sh(`cd ${root} && ${list}`), await sh(`cd ${ref} && ${list}`));
    } finally {
      await Deno.remove(root, { recursive: true });
      await Deno.remove(ref, { recursive: true });
    }
  },
});

Deno.test({
  name: "VfsCache full mode over FUSE: dd reads of a sparse 1 GiB file fetch only what they touch",
  ignore: !CAN_MOUNT,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const root = await Deno.makeTempDir({ prefix: "vfs_cache_fuse_remote_" });
    try {
      await sh(
        `cd ${root} && truncate -s 1G big.bin && ` +
          `head -c 65536 /dev/urandom | dd of=big.bin bs=65536 seek=8192 conv=notrunc status=none && ` +
          `head -c 8000000 /dev/urandom > medium.bin`,
      );
      const remote = new FaultyBackend(new LocalBackend({ root }));
      await withMount(remote, { vfs_cache_mode: "full" }, async (mnt) => {
        // 4 KiB reads at scattered offsets (the kernel may read ahead a little around each).
        const offsets = [8192 * 16, 100_000, 250_000, 262_000];
        for (const blk of offsets) {
          const got = await sh(
            `dd if=${mnt}/big.bin bs=4096 skip=${blk} count=1 status=none | sha256sum`,
          );
          const want = await sh(
            `dd if=${root}/big.bin bs=4096 skip=${blk} count=1 status=none | sha256sum`,
          );
          assertEquals(got, want);
        }
        assertEquals(remote.bytesRead < 8 * 1024 * 1024, true, `fetched ${remote.bytesRead}`);
        // A sequential read of a whole file streams correctly.
        assertEquals(
          await sh(`cat ${mnt}/medium.bin | sha256sum`),
          await sh(`cat ${root}/medium.bin | sha256sum`),
        );
      });
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

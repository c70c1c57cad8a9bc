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

function isMounted(mnt: string): boolean {
  return Deno.readTextFileSync("/proc/mounts").split("\n").some((l) => l.split(" ")[1] === mnt);
}

/** Starts `main.ts mount` in a child process and waits for the mount. */
async function cliMount(base: string, writeBack: string): Promise<Deno.ChildProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../main.ts", import.meta.url).pathname,
      "mount",
      `${base}/data`,
      `${base}/mnt`,
      "--config",
      `${base}/rclone.conf`,
      "--cache-dir",
      `${base}/cache`,
      "--vfs-cache-mode",
      "writes",
      "--vfs-write-back",
      writeBack,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const t0 = Date.now();
  while (!isMounted(`${base}/mnt`)) {
    if (Date.now() - t0 > 60_000) {
      child.kill("SIGKILL");
      await child.status;
      throw new Error("mount did not appear within 60 s");
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return child;
}

Deno.test({
  name: "VfsCache after kill -9 of `mount`: files closed before the crash land on the next mount",
  ignore: !CAN_MOUNT,
  fn: async () => {
    const base = await Deno.makeTempDir({ prefix: "vfs_cache_cli_" });
    await Deno.mkdir(`${base}/mnt`);
    await Deno.mkdir(`${base}/data`);
    await Deno.writeTextFile(`${base}/rclone.conf`, "");
    let child: Deno.ChildProcess | undefined;
    try {
      child = await cliMount(base, "1h");
      await sh(
        `head -c 3000000 /dev/urandom > ${base}/big.ref && cp ${base}/big.ref ${base}/mnt/big.bin` +
          ` && printf 'closed before the crash' > ${base}/mnt/a.txt`,
      );
      // Nothing uploaded yet (write-back 1 h); the files are only in the cache.
      assertEquals([...Deno.readDirSync(`${base}/data`)].length, 0);
      child.kill("SIGKILL");
      await child.status;
      child = undefined;
      await sh(`umount -l ${base}/mnt`);
      child = await cliMount(base, "0s");
      const t0 = Date.now();
      while (
        [...Deno.readDirSync(`${base}/data`)].filter((e) => !e.name.startsWith(".")).length < 2
      ) {
        if (Date.now() - t0 > 30_000) throw new Error("files did not land within 30 s");
        await new Promise((r) => setTimeout(r, 100));
      }
      await sh(`cmp ${base}/data/big.bin ${base}/big.ref`);
      assertEquals(await Deno.readTextFile(`${base}/data/a.txt`), "closed before the crash");
    } finally {
      if (child) {
        child.kill("SIGTERM");
        const t = setTimeout(() => child?.kill("SIGKILL"), 15_000);
        await child.status;
        clearTimeout(t);
      }
      if (isMounted(`${base}/mnt`)) await sh(`umount -l ${base}/mnt`);
      await Deno.remove(base, { recursive: true });
    }
  },
});

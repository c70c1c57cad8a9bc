/**
 * Real-mount tests of `mountVfs`, the mount helper and the `mount` command: mountpoint checks,
 * several mounts in one process, unmount while busy (lazy detach), clean exit on SIGTERM and
 * on an external umount, `--daemon`, and a non-root mount through fusermount3 with
 * `auto_unmount` leaving no stale mount after `kill -9`.
 */

import "../lib/backends/all.ts";
import { newBackend } from "../lib/backends/new_backend.ts";
import { RcloneConf } from "../lib/config/rclone_conf.ts";
import { findMount } from "../lib/fuse/mount.ts";
import { mountVfs } from "../lib/fuse/mount_vfs.ts";
import { Vfs } from "../lib/vfs/vfs.ts";
import {
  IS_ROOT,
  isMounted,
  isolatedFlags,
  MAIN_TS,
  mountInProcess,
  sh,
  shOk,
  startCliMount,
  testDirs,
  type TestMount,
  waitFor,
} from "./helpers/mount.ts";

const NO_ENV = {};

/** The pid of a `mount` process whose command line names `mnt`. */
async function findMountProcess(mnt: string): Promise<number | undefined> {
  for await (const e of Deno.readDir("/proc")) {
    if (!/^[0-9]+$/.test(e.name) || Number(e.name) === Deno.pid) continue;
    const cmd = await Deno.readTextFile(`/proc/${e.name}/cmdline`).catch(() => "");
    const args = cmd.split("\0");
    if (args.includes("mount") && args.includes(mnt)) return Number(e.name);
  }
  return undefined;
}

async function rejects(p: Promise<unknown>, pattern: RegExp, what: string): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (!pattern.test((err as Error).message)) {
      throw new Error(`${what}: wrong error ${(err as Error).message}`);
    }
    return;
  }
  throw new Error(`${what}: did not fail`);
}

Deno.test({
  name: "mountVfs() rejects a missing or non-empty mountpoint and honours allow_non_empty",
  ignore: !IS_ROOT,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const { base, mnt } = await testDirs("fuse-checks");
    const conf = await RcloneConf.load(`${base}/rclone.conf`);
    const backend = await newBackend(":memory:checks", { conf, env: NO_ENV });
    const vfs = new Vfs(backend, {}, { cacheDir: `${base}/cache` });
    try {
      await rejects(mountVfs(vfs, `${base}/nope`, {}), /Not found.*nope/, "missing mountpoint");
      await Deno.writeTextFile(`${base}/file`, "x");
      await rejects(mountVfs(vfs, `${base}/file`, {}), /Not a directory.*file/, "a file");
      await rejects(
        mountVfs(vfs, `${base}/file`, { allow_non_empty: true }),
        /Not a directory.*file/,
        "a file with allow_non_empty",
      );
      await Deno.writeTextFile(`${mnt}/already`, "x");
      await rejects(mountVfs(vfs, mnt, {}), /not empty.*--allow-non-empty/, "non-empty");
      const m = await mountVfs(vfs, mnt, { allow_non_empty: true });
      try {
        eq(isMounted(mnt), true, "mounted over a non-empty dir");
        eq((await shOk(`ls -A ${mnt}`)).trim(), "", "the mount hides the files below");
      } finally {
        await m.unmount();
      }
      eq(await Deno.readTextFile(`${mnt}/already`), "x", "files below are back");
    } finally {
      await vfs.shutdown();
      await Deno.remove(base, { recursive: true });
    }
  },
});

function eq(actual: unknown, expected: unknown, what: string): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    throw new Error(`${what}: got ${JSON.stringify(actual)}, want ${JSON.stringify(expected)}`);
  }
}

/** The bdi readahead (KiB) of the mount at `mnt`, or undefined when not mounted. */
function readAheadKb(mnt: string): number | undefined {
  const m = findMount(mnt);
  if (!m) return undefined;
  return Number(Deno.readTextFileSync(`/sys/class/bdi/${m.dev}/read_ahead_kb`).trim());
}

Deno.test({
  name: "mountVfs() raises the bdi readahead just after mounting; unmount leaves nothing mounted",
  ignore: !IS_ROOT,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    for (const [opt, kb] of [[undefined, 1024], [256 * 1024, 256]] as const) {
      const m = await mountInProcess(opt ? { mount: { max_read_ahead: opt } } : {});
      try {
        await waitFor(() => readAheadKb(m.mnt) === kb, 5000, `read_ahead_kb ${kb}`);
        await shOk(`echo hi > ${m.mnt}/f && cat ${m.mnt}/f`);
        await m.mount.unmount({ deadlineMs: 3000 });
        eq(isMounted(m.mnt), false, "unmounted when unmount() resolves");
        await m.mount.closed;
      } finally {
        await m.cleanup();
      }
    }
  },
});

/**
 * Run in a child process (bounded: a wrong choice of check would hang it, not the test run):
 * a second mountVfs() at a directory inside a mount the same process serves. Its mountpoint
 * check sends OPENDIR to the outer mount, which only the busy-free JS thread can answer.
 */
const NESTED_CHILD = `
import { mountInProcess, shOk } from "${new URL("./helpers/mount.ts", import.meta.url)}";
import { mountVfs } from "${new URL("../lib/fuse/mount_vfs.ts", import.meta.url)}";
import { Vfs } from "${new URL("../lib/vfs/vfs.ts", import.meta.url)}";
const outer = await mountInProcess();
console.log("outer " + outer.mnt);
await shOk("mkdir " + outer.mnt + "/inner");
const vfs = new Vfs(outer.vfs.backend, {}, { cacheDir: outer.mnt + "-cache" });
const inner = await mountVfs(vfs, outer.mnt + "/inner", {});
await shOk("echo nested > " + outer.mnt + "/inner/f");
console.log("read " + (await shOk("cat " + outer.mnt + "/inner/f")).trim());
await inner.unmount();
await vfs.shutdown();
await outer.cleanup();
console.log("done");
`;

Deno.test({
  name: "mountVfs() at a directory inside a mount the same process serves",
  ignore: !IS_ROOT,
  fn: async () => {
    const { base } = await testDirs("fuse-nested");
    const script = `${base}/nested.ts`;
    await Deno.writeTextFile(script, NESTED_CHILD);
    let out = "";
    try {
      const config = new URL("../deno.json", import.meta.url).pathname;
      const r = await sh(
        `timeout -k 5 60 '${Deno.execPath()}' run -A --quiet --config '${config}' '${script}'`,
      );
      out = r.out;
      eq(out.split("\n").slice(1), ["read nested", "done", ""], `child output (${r.err})`);
    } finally {
      const outer = /^outer (.*)$/m.exec(out)?.[1];
      if (outer && isMounted(`${outer}/inner`)) await sh(`umount -l '${outer}/inner'`);
      if (outer && isMounted(outer)) await sh(`umount -l '${outer}'`);
      await Deno.remove(base, { recursive: true });
    }
  },
});

Deno.test({
  name: "several mounts in one process; unmount while busy detaches lazily",
  ignore: !IS_ROOT,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const mounts: TestMount[] = [];
    let holder: Deno.ChildProcess | undefined;
    try {
      for (let i = 0; i < 3; i++) mounts.push(await mountInProcess());
      // only subprocesses touch these mounts: this thread serves them
      for (const [i, m] of mounts.entries()) await shOk(`echo ${i} > ${m.mnt}/id`);
      for (const [i, m] of mounts.entries()) {
        eq((await shOk(`cat ${m.mnt}/id`)).trim(), `${i}`, "id");
      }
      const busy = mounts[0]!;
      holder = new Deno.Command("sh", {
        args: ["-c", `exec 3< ${busy.mnt}/id; cd ${busy.mnt}; sleep 30`],
        stdin: "null",
      }).spawn();
      await new Promise((r) => setTimeout(r, 300));
      const start = Date.now();
      await busy.mount.unmount({ deadlineMs: 500 });
      if (Date.now() - start > 5000) throw new Error("busy unmount took too long");
      eq(isMounted(busy.mnt), false, "detached from the namespace");
      await busy.mount.closed;
      eq((await shOk(`cat ${mounts[1]!.mnt}/id`)).trim(), "1", "other mounts keep working");
    } finally {
      if (holder) {
        try {
          holder.kill("SIGKILL");
        } catch { /* gone */ }
        await holder.status;
      }
      for (const m of mounts) await m.cleanup();
    }
  },
});

Deno.test({
  name: "denoclone mount exits 0 after SIGTERM and after an external umount",
  ignore: !IS_ROOT,
  fn: async () => {
    const { base, mnt } = await testDirs("fuse-cli");
    try {
      const m1 = await startCliMount(":memory:cli", mnt, isolatedFlags(base));
      await Deno.writeTextFile(`${mnt}/f`, "data");
      eq(await m1.stop(), 0, "exit code after SIGTERM");
      eq(isMounted(mnt), false, "unmounted after SIGTERM");
      const m2 = await startCliMount(":memory:cli", mnt, isolatedFlags(base));
      try {
        await shOk(`umount ${mnt}`);
        const st = await Promise.race([
          m2.child.status,
          new Promise<null>((r) => setTimeout(() => r(null), 15_000)),
        ]);
        if (!st) throw new Error("mount did not exit after an external umount");
        eq(st.code, 0, "exit code after external umount");
      } finally {
        await m2.stop();
      }
    } finally {
      await Deno.remove(base, { recursive: true });
    }
  },
});

Deno.test({
  name: "denoclone mount --daemon returns once the mount is ready",
  ignore: !IS_ROOT,
  fn: async () => {
    const { base, mnt } = await testDirs("fuse-daemon");
    try {
      const r = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", MAIN_TS, "mount", ":memory:d", mnt, "--daemon", ...isolatedFlags(base)],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      if (r.code !== 0) {
        throw new Error(`--daemon exited ${r.code}: ${new TextDecoder().decode(r.stderr)}`);
      }
      const daemonPid = await findMountProcess(mnt);
      try {
        eq(isMounted(mnt), true, "mounted when the parent returned");
        if (daemonPid === undefined) throw new Error("no daemon process serves the mount");
        await Deno.writeTextFile(`${mnt}/x`, "daemon");
        eq(await Deno.readTextFile(`${mnt}/x`), "daemon", "usable");
      } finally {
        await sh(`umount ${mnt} || umount -l ${mnt}`);
      }
      // the daemon notices the unmount and exits by itself
      await waitFor(
        async () => !(await Deno.stat(`/proc/${daemonPid}`).then(() => true, () => false)),
        15_000,
        "the daemon to exit",
      );
    } finally {
      await Deno.remove(base, { recursive: true });
    }
  },
});

const CHILD_SCRIPT = `
import { mountFuse } from "${new URL("../lib/fuse/mount.ts", import.meta.url)}";
import { FuseSession } from "${new URL("../lib/fuse/session.ts", import.meta.url)}";
const mnt = Deno.args[0];
const km = await mountFuse(mnt, {
  fsname: "killtest", autoUnmount: true, useFusermount: true, allowOther: true,
});
const s = new FuseSession(km.fd, {
  getattr: () => Promise.resolve({ attrTimeoutMs: 0, attr: { ino: 1, size: 0, mode: 0o40755,
    uid: Deno.uid() ?? 0, gid: Deno.gid() ?? 0, atimeMs: 0, mtimeMs: 0, ctimeMs: 0 } }),
});
s.start();
await s.initialized;
console.log("ready");
await new Promise(() => {});
`;

Deno.test({
  name: "kill -9 of a non-root fusermount3 mount with auto_unmount leaves no stale mount",
  ignore: !IS_ROOT,
  fn: async () => {
    const { base, mnt } = await testDirs("fuse-nonroot");
    const fuseMode = (await Deno.stat("/dev/fuse")).mode! & 0o777;
    const fuseConf = await Deno.readTextFile("/etc/fuse.conf").catch(() => undefined);
    let child: Deno.ChildProcess | undefined;
    try {
      await Deno.chmod(base, 0o755);
      await Deno.chown(mnt, 65534, 65534);
      await Deno.mkdir(`${base}/denodir`);
      await Deno.chown(`${base}/denodir`, 65534, 65534);
      await Deno.writeTextFile(`${base}/child.ts`, CHILD_SCRIPT);
      await Deno.chmod(`${base}/child.ts`, 0o644);
      await Deno.chmod("/dev/fuse", 0o666); // restored in finally
      // fusermount3 only auto-unmounts when it can see the dead connection (ENOTCONN); without
      // allow_other the setuid helper gets EACCES instead and leaves the mount: so allow it
      await Deno.writeTextFile("/etc/fuse.conf", `${fuseConf ?? ""}\nuser_allow_other\n`);
      child = new Deno.Command("setpriv", {
        args: [
          "--reuid=65534",
          "--regid=65534",
          "--clear-groups",
          Deno.execPath(),
          "run",
          "-A",
          "--no-config",
          `${base}/child.ts`,
          mnt,
        ],
        cwd: base,
        env: { DENO_DIR: `${base}/denodir`, HOME: `${base}/denodir`, NO_COLOR: "1" },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const reader = child.stdout.getReader();
      const first = await Promise.race([
        reader.read(),
        new Promise<null>((r) => setTimeout(() => r(null), 30_000)),
      ]);
      reader.releaseLock();
      if (!first || first.done || !new TextDecoder().decode(first.value).includes("ready")) {
        const err = await new Response(child.stderr).text().catch(() => "");
        throw new Error(`non-root mount did not start: ${err}`);
      }
      const info = await Deno.readTextFile("/proc/self/mountinfo");
      const line = info.split("\n").find((l) => l.includes(` ${mnt} `)) ?? "";
      if (!line.includes("fuse.rclone killtest") || !line.includes("user_id=65534,")) {
        throw new Error(`unexpected mount entry: ${line}`);
      }
      child.kill("SIGKILL");
      await child.status;
      await waitFor(() => !isMounted(mnt), 10_000, "auto_unmount to remove the mount");
    } finally {
      await Deno.chmod("/dev/fuse", fuseMode);
      if (fuseConf === undefined) await Deno.remove("/etc/fuse.conf").catch(() => {});
      else await Deno.writeTextFile("/etc/fuse.conf", fuseConf);
      if (child) {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
        await child.status;
        await child.stdout.cancel().catch(() => {});
        await child.stderr.cancel().catch(() => {});
      }
      if (isMounted(mnt)) await sh(`umount -l ${mnt}`);
      await Deno.remove(base, { recursive: true });
    }
  },
});

Deno.test({
  name: "allow_other lets other users in; without it they get EACCES",
  ignore: !IS_ROOT,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const asNobody = (cmd: string) =>
      sh(`setpriv --reuid=65534 --regid=65534 --clear-groups ${cmd}`);
    const open = await mountInProcess({ mount: { allow_other: true } });
    const closed = await mountInProcess();
    try {
      await Deno.chmod(`${open.mnt}/..`, 0o755);
      await Deno.chmod(`${closed.mnt}/..`, 0o755);
      await shOk(`echo shared > ${open.mnt}/f && echo private > ${closed.mnt}/f`);
      const r1 = await asNobody(`cat ${open.mnt}/f`);
      eq([r1.code, r1.out], [0, "shared\n"], "other user reads with allow_other");
      const r2 = await asNobody(`cat ${closed.mnt}/f`);
      if (r2.code === 0 || !r2.err.includes("Permission denied")) {
        throw new Error(`without allow_other: ${r2.code} ${r2.out} ${r2.err}`);
      }
      const mi = await Deno.readTextFile("/proc/self/mountinfo");
      const line = mi.split("\n").find((l) => l.includes(` ${open.mnt} `)) ?? "";
      if (!line.includes("allow_other")) throw new Error(`no allow_other in ${line}`);
    } finally {
      await open.cleanup();
      await closed.cleanup();
    }
  },
});

Deno.test({
  name: "--read-only mounts ro (EROFS) and --direct-io still reads and writes",
  ignore: !IS_ROOT,
  fn: async () => {
    const { base, mnt, data } = await testDirs("fuse-flags");
    try {
      await Deno.writeTextFile(`${data}/f`, "hello");
      const ro = await startCliMount(data, mnt, [...isolatedFlags(base), "--read-only"]);
      try {
        const line = (await Deno.readTextFile("/proc/self/mountinfo")).split("\n")
          .find((l) => l.includes(` ${mnt} `)) ?? "";
        if (!line.split(" ")[5]?.startsWith("ro")) throw new Error(`not ro: ${line}`);
        eq(await Deno.readTextFile(`${mnt}/f`), "hello", "readable");
        const w = await sh(`echo x > ${mnt}/g`);
        if (w.code === 0 || !w.err.includes("Read-only file system")) {
          throw new Error(`write on ro: ${w.err}`);
        }
      } finally {
        eq(await ro.stop(), 0, "ro exit code");
      }
      const dio = await startCliMount(data, mnt, [...isolatedFlags(base), "--direct-io"]);
      try {
        await shOk(`dd if=/dev/urandom of=${base}/r bs=64k count=20 status=none`);
        await shOk(`dd if=${base}/r of=${mnt}/r bs=64k status=none && cmp ${base}/r ${mnt}/r`);
        await shOk(`cmp ${base}/r ${data}/r`);
      } finally {
        eq(await dio.stop(), 0, "direct-io exit code");
      }
    } finally {
      await Deno.remove(base, { recursive: true });
    }
  },
});

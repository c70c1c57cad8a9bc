/**
 * @module
 * Helpers for tests that use real FUSE mounts: `denoclone mount` run as a child process (the
 * test then does its I/O against the mount itself, which is safe: another process serves it),
 * an in-process mount through `mountVfs` (only subprocesses may touch that one: a thread of the
 * serving process blocked on its own mount cannot be answered if the process dies), shell
 * commands with a time limit, and mount-table checks.
 */

import type { Backend } from "../../lib/backends/backend.ts";
import "../../lib/backends/all.ts";
import { newBackend } from "../../lib/backends/new_backend.ts";
import type { OptionValue } from "../../lib/config/option_schema.ts";
import { RcloneConf } from "../../lib/config/rclone_conf.ts";
import { findMount } from "../../lib/fuse/mount.ts";
import { type FuseMount, mountVfs } from "../../lib/fuse/mount_vfs.ts";
import { Vfs } from "../../lib/vfs/vfs.ts";

/** The cache modes the POSIX suite runs in (add a mode here to run the suite in it too). */
export const POSIX_CACHE_MODES: readonly string[] = ["off", "minimal", "writes", "full"];

/** Backends the POSIX suite runs on. */
export type TestBackendKind = "memory" | "local";

/** The path of main.ts. */
export const MAIN_TS: string = new URL("../../main.ts", import.meta.url).pathname;

/** A `denoclone mount` child process. */
export interface CliMount {
  /** The mountpoint. */
  mnt: string;
  /** PID of the serving process. */
  pid: number;
  /** The child process. */
  child: Deno.ChildProcess;
  /** What the child wrote to stderr so far. */
  stderr(): string;
  /** SIGTERM, wait for a clean exit (then SIGKILL and lazy unmount); returns the exit code. */
  stop(): Promise<number>;
}

/**
 * Runs `deno run -A main.ts mount <remote> <mnt> ...args` and waits until the mount appears.
 * `extra.user` runs it through `setpriv` as that uid/gid.
 */
export async function startCliMount(
  remote: string,
  mnt: string,
  args: string[] = [],
  extra: { env?: Record<string, string>; prefix?: string[]; timeoutMs?: number } = {},
): Promise<CliMount> {
  const argv = ["run", "-A", MAIN_TS, "mount", remote, mnt, ...args];
  const prefix = extra.prefix ?? [];
  const child = new Deno.Command(prefix[0] ?? Deno.execPath(), {
    args: prefix.length ? [...prefix.slice(1), Deno.execPath(), ...argv] : argv,
    env: extra.env,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let err = "";
  const errDone = (async () => {
    const d = new TextDecoder();
    for await (const chunk of child.stderr) err += d.decode(chunk, { stream: true });
  })().catch(() => {});
  let exited: Deno.CommandStatus | undefined;
  const status = child.status.then((s) => (exited = s));
  const stop = async (): Promise<number> => {
    if (!exited) {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      const t = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* already gone */ }
      }, 15_000);
      await status;
      clearTimeout(t);
    }
    await errDone;
    if (isMounted(mnt)) await sh(`umount -l ${mnt}`);
    return exited!.code;
  };
  try {
    await waitFor(() => isMounted(mnt) || exited !== undefined, extra.timeoutMs ?? 60_000, "mount");
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}: ${err}`);
  }
  if (exited) {
    await errDone;
    throw new Error(`mount exited with ${exited.code}: ${err}`);
  }
  return { mnt, pid: child.pid, child, stderr: () => err, stop };
}

/** A fresh temp dir with `mnt/`, a `data/` dir and empty rclone.conf and cache dir. */
export async function testDirs(
  label: string,
): Promise<{ base: string; mnt: string; data: string }> {
  const base = await Deno.makeTempDir({ prefix: `denoclone-${label}-` });
  await Deno.mkdir(`${base}/mnt`);
  await Deno.mkdir(`${base}/data`);
  await Deno.writeTextFile(`${base}/rclone.conf`, "");
  return { base, mnt: `${base}/mnt`, data: `${base}/data` };
}

/** Global flags that keep a child's config and cache inside `base`. */
export function isolatedFlags(base: string): string[] {
  return ["--config", `${base}/rclone.conf`, "--cache-dir", `${base}/cache`];
}

/** An in-process mount (I/O against it only from subprocesses). */
export interface TestMount {
  /** The mountpoint. */
  mnt: string;
  /** The VFS behind it. */
  vfs: Vfs;
  /** The mount. */
  mount: FuseMount;
  /** Unmounts, shuts the VFS down and removes every temp dir. */
  cleanup(): Promise<void>;
}

const NO_ENV: Record<string, string | undefined> = {};
let memoryRoots = 0;

/** Mounts a fresh `memory` backend in this process. */
export async function mountInProcess(
  opts: { mount?: Record<string, OptionValue>; vfs?: Record<string, OptionValue> } = {},
): Promise<TestMount> {
  const { base, mnt } = await testDirs("inproc");
  const conf = await RcloneConf.load(`${base}/rclone.conf`);
  const backend: Backend = await newBackend(`:memory:inproc${Deno.pid}x${memoryRoots++}`, {
    conf,
    env: NO_ENV,
  });
  const vfs = new Vfs(backend, { ...opts.vfs }, { cacheDir: `${base}/cache` });
  let mount: FuseMount;
  try {
    mount = await mountVfs(vfs, mnt, opts.mount ?? {});
  } catch (err) {
    await vfs.shutdown().catch(() => {});
    await Deno.remove(base, { recursive: true }).catch(() => {});
    throw err;
  }
  return {
    mnt,
    vfs,
    mount,
    async cleanup() {
      try {
        await mount.unmount({ deadlineMs: 3000 });
        await vfs.shutdown().catch(() => {});
        await backend.close?.();
      } finally {
        await Deno.remove(base, { recursive: true }).catch(() => {});
      }
    },
  };
}

/** Result of a shell command. */
export interface ShResult {
  /** Exit code (124/137 when the time limit hit). */
  code: number;
  /** Standard output. */
  out: string;
  /** Standard error. */
  err: string;
}

/** Runs `script` with `sh -c` (in `cwd`), killed after `timeoutSec`. */
export async function sh(
  script: string,
  opts: { cwd?: string; timeoutSec?: number; env?: Record<string, string> } = {},
): Promise<ShResult> {
  const r = await new Deno.Command("timeout", {
    args: ["-k", "2", String(opts.timeoutSec ?? 60), "sh", "-c", script],
    cwd: opts.cwd,
    env: opts.env,
    stdin: "null",
  }).output();
  const d = new TextDecoder();
  return { code: r.code, out: d.decode(r.stdout), err: d.decode(r.stderr) };
}

/** Runs `script` and throws (with its stderr) unless it exits 0; returns stdout. */
export async function shOk(script: string, opts: { cwd?: string; timeoutSec?: number } = {}) {
  const r = await sh(script, opts);
  if (r.code !== 0) throw new Error(`\`${script}\` exited ${r.code}: ${r.err}${r.out}`);
  return r.out;
}

/** Whether a FUSE file system is mounted at `mnt`. */
export function isMounted(mnt: string): boolean {
  const m = findMount(mnt);
  return m !== undefined && m.fstype.startsWith("fuse");
}

/** Polls `cond` every 50 ms until true, or throws `what` after `timeoutMs`. */
export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** True when running as root (real mounts need it for mount(2)). */
export const IS_ROOT = Deno.uid() === 0;

/**
 * @module
 * `denoclone mount remote:path /mountpoint [flags]`: serves a remote on a FUSE mountpoint, like
 * `rclone mount`. Flags are the mount options (`MOUNT_OPTIONS`) and VFS options
 * (`VFS_OPTIONS`). It runs in the foreground until SIGINT/SIGTERM (clean unmount) or an external
 * `umount`/`fusermount3 -u`; SIGHUP drops the directory cache. With `--daemon` it re-runs itself
 * detached and returns once the child reports the mount ready (within `--daemon-wait`).
 */

import { Command } from "@commander-js/extra-typings";
import { newBackend } from "../lib/backends/new_backend.ts";
import type { OptionValue } from "../lib/config/option_schema.ts";
import { RcloneConf } from "../lib/config/rclone_conf.ts";
import { globals } from "../lib/cli/globals.ts";
import { addGroupFlags } from "../lib/cli/option_flags.ts";
import { groupValues } from "../lib/cli/option_values.ts";
import { UsageError } from "../lib/errors.ts";
import { MOUNT_OPTIONS } from "../lib/fuse/mount_options.ts";
import { type FuseMount, mountVfs } from "../lib/fuse/mount_vfs.ts";
import { log } from "../lib/util/log.ts";
import { Vfs } from "../lib/vfs/vfs.ts";
import { VFS_OPTIONS } from "../lib/vfs/vfs_options.ts";

/** Env var naming the file a daemon child writes its readiness (`ok` or `error: …`) to. */
const READY_ENV = "DENOCLONE_MOUNT_READY_FILE";

/** The command line that re-runs this program (deno run … main.ts, or a compiled binary). */
function selfCommand(): { cmd: string; args: string[] } {
  const exe = Deno.execPath();
  const base = exe.split("/").pop() ?? "";
  if (/^deno(\.exe)?$/.test(base) && Deno.mainModule.startsWith("file://")) {
    const main = decodeURIComponent(new URL(Deno.mainModule).pathname);
    return { cmd: exe, args: ["run", "-A", main] };
  }
  return { cmd: exe, args: [] };
}

/** Starts a detached copy of this process without `--daemon` and waits for its readiness. */
async function daemonize(waitMs: number): Promise<void> {
  const readyFile = await Deno.makeTempFile({ prefix: "denoclone-mount-ready-" });
  const { cmd, args } = selfCommand();
  const child = new Deno.Command(cmd, {
    args: [...args, ...Deno.args],
    env: { [READY_ENV]: readyFile },
    stdin: "null",
    stdout: "null",
    stderr: "null",
    detached: true,
  }).spawn();
  let exited: Deno.CommandStatus | undefined;
  child.status.then((s) => (exited = s));
  child.unref();
  const deadline = Date.now() + (waitMs > 0 ? waitMs : 60_000);
  try {
    while (Date.now() < deadline) {
      const text = (await Deno.readTextFile(readyFile).catch(() => "")).trim();
      if (text === "ok") {
        log.info(`mount daemon started as pid ${child.pid}`);
        return;
      }
      if (text.startsWith("error: ")) throw new UsageError(text.slice(7), 1);
      if (exited) throw new UsageError(`mount daemon exited with code ${exited.code}`, 1);
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new UsageError(`mount daemon not ready after ${waitMs} ms`, 1);
  } finally {
    await Deno.remove(readyFile).catch(() => {});
  }
}

function reportReady(text: string): void {
  const f = Deno.env.get(READY_ENV);
  if (f) Deno.writeTextFileSync(f, text);
}

/** Mounts and serves until unmounted; returns when the mount has ended and data is flushed. */
async function runMount(
  remote: string,
  mountpoint: string,
  mountOpts: Record<string, OptionValue>,
  vfsOpts: Record<string, OptionValue>,
): Promise<void> {
  const g = globals();
  let vfs: Vfs | undefined;
  let mount: FuseMount;
  try {
    const conf = await RcloneConf.load(g.configPath);
    const backend = await newBackend(remote, { conf, flags: g.backendFlags });
    vfs = new Vfs(backend, vfsOpts, { cacheDir: g.cacheDir });
    await vfs.ready();
    mount = await mountVfs(vfs, mountpoint, mountOpts);
  } catch (err) {
    reportReady(`error: ${(err as Error).message}`);
    await vfs?.shutdown().catch(() => {});
    if (err instanceof UsageError) throw err;
    throw new UsageError(`mount ${mountpoint}: ${(err as Error).message}`, 1, { cause: err });
  }
  const v = vfs;
  const stop = () => {
    log.notice(`Unmounting ${mount.mountpoint}`);
    mount.unmount({ deadlineMs: 5000 }).catch((err) =>
      log.error(`unmount ${mount.mountpoint}: ${(err as Error).message}`)
    );
  };
  const forget = () => v.forgetDirCache();
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGHUP", forget);
  reportReady("ok");
  log.info(`Mounted ${v.backend.name} on ${mount.mountpoint}`);
  try {
    await mount.closed;
  } finally {
    Deno.removeSignalListener("SIGINT", stop);
    Deno.removeSignalListener("SIGTERM", stop);
    Deno.removeSignalListener("SIGHUP", forget);
  }
  try {
    await v.shutdown();
  } finally {
    await v.backend.close?.();
  }
  log.info(`Unmounted ${mount.mountpoint}`);
}

/** The `mount` command. */
export function mountCommand() {
  const cmd = new Command("mount")
    .description("Mount the remote as file system on a mountpoint")
    .argument("<remote>", "remote:path to mount")
    .argument("<mountpoint>", "directory to mount on");
  addGroupFlags(cmd, MOUNT_OPTIONS, { hideAdvanced: true });
  addGroupFlags(cmd, VFS_OPTIONS, { hideAdvanced: true });
  return cmd.action(async (remote, mountpoint, _o, command) => {
    const opts = command.opts() as Record<string, unknown>;
    const mountOpts = groupValues(opts, MOUNT_OPTIONS);
    const vfsOpts = groupValues(opts, VFS_OPTIONS);
    if (mountOpts.daemon === true && !Deno.env.get(READY_ENV)) {
      await daemonize(Number(mountOpts.daemon_wait));
      return;
    }
    await runMount(remote, mountpoint, mountOpts, vfsOpts);
  });
}

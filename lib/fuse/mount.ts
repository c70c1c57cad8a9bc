/**
 * @module
 * Attaching a FUSE connection to a directory and detaching it. As root, `/dev/fuse` is opened
 * and `mount(2)` is called directly with `fd=`, `rootmode`, `user_id`, `group_id` and the
 * permission options; as a normal user the setuid helper `fusermount3` mounts and passes the fd
 * back over a socketpair (SCM_RIGHTS), optionally staying alive with `auto_unmount` to clean up
 * if this process dies. The mount's bdi readahead can be raised through sysfs. Unmounting retries
 * a normal unmount until a deadline, then detaches lazily.
 */

import { FsError, PermissionError } from "../errors.ts";
import * as libc from "./libc.ts";

/** How to mount. */
export interface KernelMountOptions {
  /** Source shown in /proc/mounts (rclone shows the remote, e.g. `:local:/data`). */
  fsname: string;
  /** Subtype: the type shows as `fuse.<subtype>` (default `rclone`). */
  subtype?: string;
  /** Let other users access the mount. */
  allowOther?: boolean;
  /** Let the kernel check permissions from the mode bits. */
  defaultPermissions?: boolean;
  /** Mount read-only. */
  readOnly?: boolean;
  /** With fusermount3: unmount automatically when this process dies. */
  autoUnmount?: boolean;
  /** Force the fusermount3 path (default: only when not root). */
  useFusermount?: boolean;
  /**
   * The mountpoint's file type bits (`0o40000` for a directory) when the caller has already
   * checked them: mount(2) needs them as `rootmode`, and knowing them saves a stat.
   */
  rootMode?: number;
}

/** A mounted connection: the `/dev/fuse` fd to serve and how to undo the mount. */
export interface KernelMount {
  /** The absolute mountpoint. */
  readonly mountpoint: string;
  /** The `/dev/fuse` connection fd (owned by the session that serves it). */
  readonly fd: number;
  /** Whether fusermount3 mounted it (so it must also unmount it). */
  readonly viaFusermount: boolean;
  /** Our end of the auto_unmount socket (closed after unmounting), or -1. */
  commFd: number;
}

/** Decodes the octal escapes (`\040`) of a /proc/self/mountinfo field. */
function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** `s` escaped as mountinfo writes a field (space, tab, newline and backslash as `\ooo`). */
function escapeMountField(s: string): string {
  return s.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, "0")}`);
}

/** One line of /proc/self/mountinfo. */
export interface MountInfo {
  /** `major:minor` of the mounted device. */
  dev: string;
  /** The mountpoint. */
  mountpoint: string;
  /** File system type, e.g. `fuse.rclone`. */
  fstype: string;
  /** Mount source. */
  source: string;
}

/** One mountinfo line parsed, or undefined if it is malformed. */
function parseMountLine(line: string): MountInfo | undefined {
  const f = line.split(" ");
  const sep = f.indexOf("-");
  if (sep < 0 || f.length < sep + 3) return undefined;
  return {
    dev: f[2]!,
    mountpoint: unescapeMountField(f[4]!),
    fstype: f[sep + 1]!,
    source: unescapeMountField(f[sep + 2]!),
  };
}

/** The mounts of this process's namespace (parsed /proc/self/mountinfo). */
export function readMountInfo(): MountInfo[] {
  const out: MountInfo[] = [];
  for (const line of libc.readTextFileSync("/proc/self/mountinfo").split("\n")) {
    const m = line ? parseMountLine(line) : undefined;
    if (m) out.push(m);
  }
  return out;
}

/**
 * The topmost mount at `mountpoint`, if any. Only the lines where the escaped path appears as
 * a whole field are parsed (a machine running Docker has dozens of mounts; this is called on
 * every unmount).
 */
export function findMount(mountpoint: string): MountInfo | undefined {
  const text = libc.readTextFileSync("/proc/self/mountinfo");
  const needle = ` ${escapeMountField(mountpoint)} `;
  let found: MountInfo | undefined;
  for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at)) {
    const start = text.lastIndexOf("\n", at) + 1;
    let end = text.indexOf("\n", at);
    if (end < 0) end = text.length;
    const m = parseMountLine(text.slice(start, end));
    if (m?.mountpoint === mountpoint) found = m;
    at = end;
  }
  return found;
}

/** Whether a FUSE file system is mounted at `mountpoint` (top of the stack). */
export function isFuseMounted(mountpoint: string): boolean {
  const m = findMount(mountpoint);
  return m !== undefined && (m.fstype === "fuse" || m.fstype.startsWith("fuse."));
}

/**
 * Sets the bdi readahead of the mount at `mountpoint`; returns false if not possible. Call it
 * after INIT was answered: the kernel lowers the bdi readahead to INIT's `max_readahead`.
 */
export function setReadAhead(mountpoint: string, bytes: number): boolean {
  const m = findMount(mountpoint);
  if (!m) return false;
  // through libc: Deno's fs API refuses /sys without --allow-all
  let fd: number;
  try {
    fd = libc.open(`/sys/class/bdi/${m.dev}/read_ahead_kb`, libc.Sys.O_WRONLY | libc.Sys.O_CLOEXEC);
  } catch {
    return false; // not root, or no bdi: keep the kernel default
  }
  try {
    const text = new TextEncoder().encode(String(Math.max(4, Math.ceil(bytes / 1024))));
    const buf = libc.offHeap(text.length);
    buf.set(text);
    return libc.write(fd, buf) === text.length;
  } finally {
    libc.close(fd);
  }
}

/** Whether this process may call mount(2) itself. */
export function isRoot(): boolean {
  return Deno.uid() === 0;
}

/** Mounts a new FUSE connection at `mountpoint` (absolute, existing directory). */
export async function mountFuse(
  mountpoint: string,
  opts: KernelMountOptions,
): Promise<KernelMount> {
  const useHelper = opts.useFusermount ?? !isRoot();
  if (useHelper) return await mountWithFusermount(mountpoint, opts);
  let rootMode = opts.rootMode;
  if (rootMode === undefined) {
    // async stat: the mountpoint may sit inside a mount this very thread serves
    const st = await Deno.stat(mountpoint);
    rootMode = st.mode ?? 0o40755;
  }
  return mountDirect(mountpoint, rootMode & 0o170000, opts);
}

function mountDirect(mountpoint: string, rootmode: number, opts: KernelMountOptions): KernelMount {
  let fd: number;
  try {
    fd = libc.open("/dev/fuse", libc.Sys.O_RDWR | libc.Sys.O_CLOEXEC);
  } catch (err) {
    const e = (err as libc.SysError).errno;
    if (e === libc.Sys.ENOENT || e === libc.Sys.ENODEV) {
      throw new FsError("/dev/fuse is missing: load the fuse module or pass --device /dev/fuse");
    }
    throw new PermissionError(`cannot open /dev/fuse: ${(err as Error).message}`);
  }
  const parts = [
    `fd=${fd}`,
    `rootmode=${rootmode.toString(8)}`,
    `user_id=${Deno.uid() ?? 0}`,
    `group_id=${Deno.gid() ?? 0}`,
  ];
  if (opts.allowOther) parts.push("allow_other");
  if (opts.defaultPermissions) parts.push("default_permissions");
  let flags = libc.Sys.MS_NOSUID | libc.Sys.MS_NODEV;
  if (opts.readOnly) flags |= libc.Sys.MS_RDONLY;
  const fstype = `fuse.${opts.subtype ?? "rclone"}`;
  try {
    libc.mount(opts.fsname || "rclone", mountpoint, fstype, flags, parts.join(","));
  } catch (err) {
    libc.close(fd);
    const e = (err as libc.SysError).errno;
    if (e === 1 || e === 13) {
      throw new PermissionError(`mount ${mountpoint}: ${(err as Error).message}`);
    }
    throw new FsError((err as Error).message, e);
  }
  return { mountpoint, fd, viaFusermount: false, commFd: -1 };
}

async function mountWithFusermount(
  mountpoint: string,
  opts: KernelMountOptions,
): Promise<KernelMount> {
  const [ours, theirs] = libc.socketpair();
  // only the helper's end may be inherited: if it also held ours it would never see EOF,
  // and auto_unmount would never fire
  libc.clearCloexec(theirs);
  const o = [opts.readOnly ? "ro" : "rw", "nosuid", "nodev"];
  o.push(`fsname=${(opts.fsname || "rclone").replaceAll(",", "_")}`);
  o.push(`subtype=${opts.subtype ?? "rclone"}`);
  if (opts.allowOther) o.push("allow_other");
  if (opts.defaultPermissions) o.push("default_permissions");
  if (opts.autoUnmount) o.push("auto_unmount");
  let helper: Deno.ChildProcess;
  try {
    helper = new Deno.Command("fusermount3", {
      args: ["-o", o.join(","), "--", mountpoint],
      env: { _FUSE_COMMFD: String(theirs) },
      stdin: "null",
      stdout: "null",
      // with auto_unmount the helper outlives us: a pipe to us would break (SIGPIPE) when we
      // die, before it unmounts, so it writes its messages to our stderr directly
      stderr: opts.autoUnmount ? "inherit" : "piped",
    }).spawn();
  } catch (err) {
    libc.close(ours);
    libc.close(theirs);
    throw new FsError(`cannot run fusermount3 (install fuse3): ${(err as Error).message}`);
  } finally {
    libc.close(theirs);
  }
  const stderrText = opts.autoUnmount ? Promise.resolve("") : new Response(helper.stderr).text();
  const fd = await libc.recvFd(ours);
  if (fd < 0) {
    libc.close(ours);
    const status = await helper.status;
    const msg = (await stderrText).trim();
    throw new PermissionError(
      `fusermount3 failed to mount ${mountpoint} (exit ${status.code})${msg ? `: ${msg}` : ""}`,
    );
  }
  if (!opts.autoUnmount) {
    libc.close(ours);
    await helper.status;
  } else {
    helper.unref();
  }
  return { mountpoint, fd, viaFusermount: true, commFd: opts.autoUnmount ? ours : -1 };
}

/**
 * Unmounts the FUSE file system on top of `mountpoint`: a normal unmount is retried while busy
 * until `deadlineMs` has passed, then the mount is detached lazily (it disappears now, and is
 * freed once no longer busy). Resolves once that mount is gone: umount2(2) returned success (as
 * root; the mount table is not read a second time, ~0.2 ms with a few dozen mounts), or the
 * mount table shows no FUSE file system there any more (through fusermount3, or after a failed
 * attempt). Nothing is done if the top mount there is not FUSE (or there is none).
 */
export async function unmountFuse(
  mountpoint: string,
  opts: { deadlineMs?: number; viaFusermount?: boolean } = {},
): Promise<void> {
  const deadline = Date.now() + (opts.deadlineMs ?? 5000);
  const helper = opts.viaFusermount ?? !isRoot();
  /** One attempt; true when umount2(2) itself reported the top mount gone. */
  const attempt = async (lazy: boolean): Promise<boolean> => {
    if (helper) {
      await new Deno.Command("fusermount3", {
        args: lazy ? ["-u", "-z", "--", mountpoint] : ["-u", "--", mountpoint],
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).output();
      return false;
    }
    return await libc.umount2(mountpoint, lazy ? libc.Sys.MNT_DETACH : 0);
  };
  while (isFuseMounted(mountpoint)) {
    if (Date.now() >= deadline) {
      await attempt(true);
      return;
    }
    if (await attempt(false) || !isFuseMounted(mountpoint)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * @module
 * `mountVfs`: serves a {@link Vfs} on a FUSE mountpoint. It checks the mountpoint (exists, is a
 * directory, is empty unless `allow_non_empty`) and `/dev/fuse` first, mounts (mount(2) as root,
 * fusermount3 with `auto_unmount` otherwise, type `fuse.rclone`, source `devname` or the remote
 * name), waits for INIT and returns a {@link FuseMount}; the bdi readahead is raised just after
 * (`max_read_ahead`, or 1 MiB when left at rclone's 128 KiB default). Any number of mounts may
 * live in one process; they share one poll thread.
 */

import { defaultsOf, type OptionValue } from "../config/option_schema.ts";
import { Errno, FsError, NotDirectoryError, NotFoundError } from "../errors.ts";
import { log } from "../util/log.ts";
import type { Vfs } from "../vfs/vfs.ts";
import * as libc from "./libc.ts";
import { isRoot, type KernelMount, mountFuse, setReadAhead, unmountFuse } from "./mount.ts";
import { MOUNT_OPTIONS } from "./mount_options.ts";
import { FuseSession } from "./session.ts";
import { VfsOps } from "./vfs_ops.ts";

/** A live mount. */
export interface FuseMount {
  /** The absolute mountpoint. */
  readonly mountpoint: string;
  /**
   * Unmounts: retries while busy until `deadlineMs` (default 5 s), then detaches lazily; resolves
   * once the session has ended (after a lazy detach, at most about a second later).
   */
  unmount(opts?: { deadlineMs?: number }): Promise<void>;
  /** Resolves when the mount ends for any reason, including an external umount. */
  readonly closed: Promise<void>;
}

const DEFAULT_MAX_READ_AHEAD = 128 * 1024;
const INIT_TIMEOUT_MS = 10_000;
const ENODEV = 19;

function absolute(p: string): string {
  if (p.startsWith("/")) return p.replace(/\/+$/, "") || "/";
  return `${Deno.cwd()}/${p}`.replace(/\/\.?\/+/g, "/").replace(/\/+$/, "");
}

/**
 * Mounts of this process made by {@link mountVfs} that are being set up or still served (their
 * session has not ended); every FUSE session of the program comes from there. While there are
 * none, no path can lead into a file system served by this thread, so the mountpoint is checked
 * with synchronous calls (no blocking-pool round trips, which a loaded machine makes slow);
 * otherwise asynchronously, as a path through one of our own mounts would wait on this thread.
 * Counted from before mount(2) until the session ends; an error leaves it too high, never too
 * low (the safe side).
 */
let ownMounts = 0;

function resolveError(mp: string, err: unknown): Error {
  if (err instanceof Deno.errors.NotFound) return new NotFoundError(mp, { cause: err });
  return new FsError(`mountpoint ${mp}: ${(err as Error).message}`, Errno.EIO, { cause: err });
}

function notEmptyError(mp: string): Error {
  return new FsError(
    `Directory is not empty: ${mp} If you want to mount it anyway use: --allow-non-empty option`,
    Errno.ENOTEMPTY,
  );
}

function listingError(mp: string, err: unknown): unknown {
  if (err instanceof Deno.errors.NotADirectory) return new NotDirectoryError(mp, { cause: err });
  return err;
}

/** {@link checkMountpoint} with synchronous calls: only while {@link ownMounts} is 0. */
function checkMountpointSync(mp: string, allowNonEmpty: boolean): string {
  let real: string;
  try {
    real = Deno.realPathSync(mp);
  } catch (err) {
    throw resolveError(mp, err);
  }
  let nonEmpty = false;
  try {
    if (allowNonEmpty) {
      if (!Deno.statSync(real).isDirectory) throw new NotDirectoryError(mp);
    } else {
      for (const _ of Deno.readDirSync(real)) {
        nonEmpty = true;
        break;
      }
    }
  } catch (err) {
    throw listingError(mp, err);
  }
  if (nonEmpty) throw notEmptyError(mp);
  return real;
}

/** Whether the directory `dir` has an entry (rejects as readDir does, e.g. NotADirectory). */
async function hasEntry(dir: string): Promise<boolean> {
  for await (const _ of Deno.readDir(dir)) return true;
  return false;
}

/**
 * Resolves `mp` to its real path after checking that it is a directory, empty unless
 * `allowNonEmpty`. The path resolution and the listing (which doubles as the directory check:
 * ENOTDIR) go to Deno's blocking pool together, one wait instead of three in a row. Async: the
 * mountpoint may sit inside a mount this very thread serves.
 */
async function checkMountpoint(mp: string, allowNonEmpty: boolean): Promise<string> {
  const resolving = Deno.realPath(mp);
  const listing = allowNonEmpty
    ? Deno.stat(mp).then((st) => {
      if (!st.isDirectory) throw new NotDirectoryError(mp);
      return false;
    })
    : hasEntry(mp);
  // settled below; a failure of the path resolution takes precedence
  listing.catch(() => {});
  let real: string;
  try {
    real = await resolving;
  } catch (err) {
    throw resolveError(mp, err);
  }
  let nonEmpty: boolean;
  try {
    nonEmpty = await listing;
  } catch (err) {
    throw listingError(mp, err);
  }
  if (nonEmpty) throw notEmptyError(mp);
  return real;
}

function checkDevFuse(): void {
  try {
    libc.close(libc.open("/dev/fuse", libc.Sys.O_RDWR | libc.Sys.O_CLOEXEC));
  } catch (err) {
    if (!(err instanceof libc.SysError && err.errno === libc.Sys.ENOENT)) return;
    throw new FsError(
      "/dev/fuse does not exist: load the fuse kernel module, or give the container --device /dev/fuse",
      ENODEV,
    );
  }
}

function timeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, rej) => {
      timer = setTimeout(
        () => rej(new FsError(`${what} timed out after ${ms} ms`, Errno.ETIMEDOUT)),
        ms,
      );
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Mounts `vfs` at `mountpoint` with mount option values `opts` (missing keys take the
 * `MOUNT_OPTIONS` defaults). Errors name the mountpoint: missing, not a directory, not empty,
 * no /dev/fuse, no permission.
 */
export async function mountVfs(
  vfs: Vfs,
  mountpoint: string,
  opts: Record<string, OptionValue>,
): Promise<FuseMount> {
  const o = { ...defaultsOf(MOUNT_OPTIONS), ...opts };
  const nonEmptyOk = o.allow_non_empty === true;
  const mp = ownMounts === 0
    ? checkMountpointSync(absolute(mountpoint), nonEmptyOk)
    : await checkMountpoint(absolute(mountpoint), nonEmptyOk);
  checkDevFuse();
  const debug = o.debug_fuse === true;
  for (const opt of [...(o.option as string[] ?? []), ...(o.fuse_flag as string[] ?? [])]) {
    log.error(`Ignoring fuse option ${JSON.stringify(opt)}: not supported by this mount method`);
  }
  if (o.allow_root === true) {
    log.notice("Ignoring --allow-root. Non-root users can use --allow-other");
  }
  // Deno loads its web streams implementation at the first use of ReadableStream (~3 ms of
  // script loading); every read of a file goes through one, so load it before the first READ.
  void ReadableStream.prototype;
  const ops = new VfsOps(vfs, {
    attrTimeoutMs: Math.max(0, Number(o.attr_timeout)),
    directIo: o.direct_io === true,
  });
  const viaFusermount = !isRoot();
  ownMounts++; // no await since the check above: counted before another mountVfs looks
  let km: KernelMount;
  try {
    km = await mountFuse(mp, {
      fsname: String(o.devname || "") || vfs.backend.name,
      subtype: "rclone",
      allowOther: o.allow_other === true,
      defaultPermissions: o.default_permissions === true,
      readOnly: vfs.config.readOnly,
      autoUnmount: viaFusermount,
      useFusermount: viaFusermount,
      rootMode: 0o40000, // checked above: a directory
    });
  } catch (err) {
    ownMounts--;
    throw err;
  }
  const maxRa = Number(o.max_read_ahead);
  const readAhead = maxRa > 0 && maxRa !== DEFAULT_MAX_READ_AHEAD ? maxRa : 1 << 20;
  const session = new FuseSession(km.fd, ops, {
    maxWrite: 1 << 20,
    maxReadahead: readAhead,
    asyncRead: o.async_read !== false,
    writebackCache: o.write_back_cache === true,
    debug,
    name: mp,
  });
  const closed = session.closed.then(() => {
    ownMounts--;
    if (km.commFd >= 0) libc.close(km.commFd);
    km.commFd = -1;
  });
  session.start();
  try {
    await timeout(session.initialized, INIT_TIMEOUT_MS, `mount ${mp}: FUSE INIT`);
  } catch (err) {
    await unmountFuse(mp, { deadlineMs: 0, viaFusermount });
    await session.stop();
    await closed;
    throw err;
  }
  let unmounting: Promise<void> | undefined;
  // Raised just after this resolves, off the caller's answer (a Docker Mount is answered ~0.3 ms
  // sooner): finding the mount's bdi reads /proc/self/mountinfo, which costs more the more
  // mounts the machine has. A read in between gets the kernel's 128 KiB readahead.
  const raTimer = setTimeout(() => {
    if (!unmounting) setReadAhead(mp, readAhead);
  }, 0);
  log.debug(`mounted ${vfs.backend.name} on ${mp}`);
  return {
    mountpoint: mp,
    closed,
    unmount(uo: { deadlineMs?: number } = {}): Promise<void> {
      unmounting ??= (async () => {
        clearTimeout(raTimer);
        await unmountFuse(mp, { deadlineMs: uo.deadlineMs ?? 5000, viaFusermount });
        try {
          await timeout(session.closed, 1000, "session end");
        } catch {
          // lazily detached but still busy: abort the connection so nothing hangs on us
          await session.stop();
        }
        await closed;
      })();
      return unmounting;
    },
  };
}

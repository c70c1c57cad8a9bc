/**
 * @module
 * Which metadata calls (lstat, stat, readlink, unlink, rename, utime, chmod, open of a new file)
 * the local backend makes for the entries of one directory: synchronous ones on the JS thread
 * where that is safe, Deno's asynchronous ones otherwise.
 *
 * Why: an asynchronous Deno fs call is a round trip through the blocking thread pool that costs
 * the JS thread 20–50 µs, while the syscall itself takes 1–3 µs on a local disk. Listing 2,000
 * files took ~50 ms of lstat round trips against ~9 ms synchronously, and every small file
 * written or removed through a mount paid several round trips.
 *
 * When it is safe: a synchronous call blocks the whole process (every mount of a plugin) for as
 * long as the syscall takes, and a call that reaches a FUSE file system served by this same
 * process would never return. So synchronous calls are used only for non-directory entries
 * directly inside a directory whose file system type is a known local-disk one (ext4, xfs,
 * btrfs, tmpfs, overlayfs, zfs…; never FUSE, NFS, SMB or anything unknown), checked with an
 * asynchronous stat + statfs of the directory that is remembered for {@link DIR_TTL_MS}.
 * Directories (possible mountpoints, whose stat would enter the mounted file system) and
 * followed symlinks (they may point anywhere) always use asynchronous calls. What is left is a
 * mount appearing on a directory within the last {@link DIR_TTL_MS}, or a file bind-mounted
 * from another file system over a file of the tree; both are documented limits.
 *
 * The cost: while a synchronous call runs, no other request of the process is served. On a
 * local disk that is microseconds, but a create, rename or unlink waiting for the journal while
 * other writers load the same disk took up to ~0.5 ms here; requests still interleave between
 * calls, so one busy mount delays the others by at most one call at a time.
 */

import { fsType } from "./_libc.ts";

/** The metadata calls of one kind (each returns its value, or a promise of it). */
export interface MetaCalls {
  /** True for the synchronous set. */
  readonly sync: boolean;
  /** lstat(2). */
  lstat(path: string): Deno.FileInfo | Promise<Deno.FileInfo>;
  /** stat(2) (follows symlinks). */
  stat(path: string): Deno.FileInfo | Promise<Deno.FileInfo>;
  /** readlink(2). */
  readLink(path: string): string | Promise<string>;
  /** Removes a file (Deno's remove: lstat + unlink). */
  remove(path: string): void | Promise<void>;
  /** rename(2). */
  rename(from: string, to: string): void | Promise<void>;
  /** Sets access and modification time. */
  utime(path: string, t: Date): void | Promise<void>;
  /** chmod(2). */
  chmod(path: string, mode: number): void | Promise<void>;
  /** Creates and opens a new file for writing (O_CREAT|O_EXCL). */
  createNew(path: string, mode: number): Deno.FsFile | Promise<Deno.FsFile>;
}

/** Deno's asynchronous calls (through the blocking pool). */
export const ASYNC_CALLS: MetaCalls = {
  sync: false,
  lstat: (p) => Deno.lstat(p),
  stat: (p) => Deno.stat(p),
  readLink: (p) => Deno.readLink(p),
  remove: (p) => Deno.remove(p),
  rename: (a, b) => Deno.rename(a, b),
  utime: (p, t) => Deno.utime(p, t, t),
  chmod: (p, m) => Deno.chmod(p, m),
  createNew: (p, mode) => Deno.open(p, { write: true, createNew: true, mode }),
};

/** The same calls made synchronously on the JS thread. */
export const SYNC_CALLS: MetaCalls = {
  sync: true,
  lstat: (p) => Deno.lstatSync(p),
  stat: (p) => Deno.statSync(p),
  readLink: (p) => Deno.readLinkSync(p),
  remove: (p) => Deno.removeSync(p),
  rename: (a, b) => Deno.renameSync(a, b),
  utime: (p, t) => Deno.utimeSync(p, t, t),
  chmod: (p, m) => Deno.chmodSync(p, m),
  createNew: (p, mode) => Deno.openSync(p, { write: true, createNew: true, mode }),
};

/** How long a directory's verdict is remembered (ms). */
export const DIR_TTL_MS = 1000;

/** Directories remembered at most (the map is emptied when it grows beyond). */
const MAX_DIRS = 4096;

/**
 * `f_type` values (statfs(2)) of local-disk file systems: ext2/3/4, xfs, btrfs, tmpfs,
 * overlayfs, zfs, f2fs, ramfs, reiserfs, jfs, bcachefs, nilfs2, vfat, exfat, ntfs, ntfs3,
 * hfsplus, squashfs.
 */
const LOCAL_FS_TYPES = new Set<number>([
  0xef53,
  0x58465342,
  0x9123683e,
  0x01021994,
  0x794c7630,
  0x2fc12fc1,
  0xf2f52010,
  0x858458f6,
  0x52654973,
  0x3153464a,
  0xca451a4e,
  0x3434,
  0x4d44,
  0x2011bab0,
  0x5346544e,
  0x7366746e,
  0x482b,
  0x73717368,
]);

/** Whether a statfs(2) `f_type` is a local-disk file system (see {@link LOCAL_FS_TYPES}). */
export function isLocalFsType(type: number): boolean {
  return LOCAL_FS_TYPES.has(type >>> 0);
}

/** Picks the call set per directory, remembering verdicts for {@link DIR_TTL_MS}. */
export class MetaCallGate {
  readonly #now: () => number;
  readonly #dirs = new Map<string, { sync: boolean; at: number }>();
  readonly #devs = new Map<number, boolean>();
  #forceAsync: boolean;

  /** Creates a gate; `forceAsync` makes every directory use {@link ASYNC_CALLS}. */
  constructor(opts: { forceAsync?: boolean; now?: () => number } = {}) {
    this.#forceAsync = opts.forceAsync ?? false;
    this.#now = opts.now ?? Date.now;
  }

  /**
   * The calls for non-directory entries directly inside the absolute directory `dirAbs`.
   * A directory that can't be stat'ed (missing, no permission) gets {@link ASYNC_CALLS} and is
   * not remembered.
   */
  async forDir(dirAbs: string): Promise<MetaCalls> {
    if (this.#forceAsync) return ASYNC_CALLS;
    const hit = this.#dirs.get(dirAbs);
    const now = this.#now();
    if (hit && now - hit.at < DIR_TTL_MS) return hit.sync ? SYNC_CALLS : ASYNC_CALLS;
    // stat and statfs side by side on the blocking pool (a first request waits for both);
    // libc's statfs, or node's (loaded only then) without glibc
    const typeOf = async (): Promise<number> =>
      (await fsType(dirAbs)) ?? (await (await import("node:fs/promises")).statfs(dirAbs)).type;
    const [st, type] = await Promise.allSettled([Deno.stat(dirAbs), typeOf()]);
    if (st.status === "rejected") return ASYNC_CALLS;
    const info = st.value;
    let sync = false;
    if (info.isDirectory) {
      const known = this.#devs.get(info.dev);
      if (known !== undefined) sync = known;
      else if (type.status === "fulfilled") {
        sync = isLocalFsType(type.value);
        this.#devs.set(info.dev, sync);
      }
    }
    if (this.#dirs.size >= MAX_DIRS) this.#dirs.clear();
    this.#dirs.set(dirAbs, { sync, at: now });
    return sync ? SYNC_CALLS : ASYNC_CALLS;
  }

  /** Forgets the verdicts of a directory and everything below it (removed or renamed). */
  forgetTree(dirAbs: string): void {
    const prefix = dirAbs.endsWith("/") ? dirAbs : `${dirAbs}/`;
    for (const d of this.#dirs.keys()) {
      if (d === dirAbs || d.startsWith(prefix)) this.#dirs.delete(d);
    }
  }
}

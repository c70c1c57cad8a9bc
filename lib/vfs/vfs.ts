/**
 * @module
 * The VFS: an os-like file system API over any {@link Backend}, with rclone's semantics
 * (`vfs/vfs.go`). It knows nothing of FUSE; the FUSE adapter calls these methods with relative
 * paths (`""` = root) and maps thrown `lib/errors.ts` errors to errnos.
 *
 * What it does:
 * - caches directory listings for `dir_cache_time`, drops them on backend change notifications
 *   (polled every `poll_interval` when the backend has `watch`) and on {@link Vfs.forgetDirCache};
 * - reports modes from `dir_perms`/`file_perms` masked by `umask`, the `uid`/`gid` options, and
 *   the VFS start time as mtime with `no_modtime`;
 * - with `read_only` every mutation fails with {@link ReadOnlyError} (EROFS);
 * - with `vfs_case_insensitive` a name that is not found matches a case-insensitive one;
 * - opens files per cache mode, as rclone's `File.Open`:
 *   - read-only opens stream from the remote ({@link ReadHandle}), except in `full` mode;
 *   - write opens in `off` and `minimal` stream to the remote ({@link WriteHandle}): sequential
 *     writes only, existing files only with O_TRUNC; O_RDWR in `off` also gets a write-only
 *     stream whose reads fail with EPERM (rclone: "Open write only and hope the user doesn't
 *     want to read"); O_APPEND implies read+write;
 *   - read+write opens in `minimal`, all write opens in `writes`, every open in `full`, and
 *     any open of a file the cache holds go through the {@link VfsCache} (sparse files under
 *     the cache dir, uploaded `vfs_write_back` after the last close, retried);
 * - shows the growing size of files being written, and the uploaded entry right after close;
 * - truncates closed files: to 0 by uploading an empty object; to other sizes only in
 *   `writes`/`full` (through the cache); otherwise EPERM, as rclone.
 */

import type { Backend, Entry } from "../backends/backend.ts";
import { defaultsOf, type OptionValue } from "../config/option_schema.ts";
import {
  Errno,
  ExistsError,
  FsError,
  InvalidError,
  IsDirectoryError,
  NotDirectoryError,
  NotEmptyError,
  NotFoundError,
  ReadOnlyError,
} from "../errors.ts";
import { log } from "../util/log.ts";
import { entryAttr, type VfsAttr, type VfsStatfs, type VfsStatus } from "./attr.ts";
import { moveDir, moveFile } from "./copy_fallback.ts";
import { DirCache } from "./dir_cache.ts";
import type { OpenHandle, VfsHandle } from "./handle.ts";
import { O, type OpenIntent, openIntent } from "./open_flags.ts";
import { OpenFiles } from "./open_files.ts";
import { baseName, cleanPath, isWithin, joinPath, parentOf } from "./path_util.ts";
import { ReadHandle } from "./read_handle.ts";
import type { VfsCache } from "./cache/vfs_cache.ts";
import { statfsFromUsage } from "./statfs.ts";
import { type VfsConfig, vfsConfig } from "./vfs_config.ts";
import { VFS_OPTIONS } from "./vfs_options.ts";
import { WriteHandle } from "./write_handle.ts";

export type { VfsAttr, VfsStatfs, VfsStatus } from "./attr.ts";
export type { VfsHandle } from "./handle.ts";
export { O } from "./open_flags.ts";

/** Extra dependencies of a {@link Vfs}. */
export interface VfsDeps {
  /** The rclone cache dir (`--cache-dir`) for the VFS cache; a temp dir is used when absent. */
  cacheDir?: string;
}

/** Attributes accepted by {@link Vfs.setattr}. */
export interface SetAttrs {
  /** New size (truncate/extend). */
  size?: number;
  /** New modification time. */
  mtimeMs?: number;
  /** New access time (ignored, as rclone). */
  atimeMs?: number;
  /** New mode (ignored, as rclone). */
  mode?: number;
  /** New owner (ignored, as rclone). */
  uid?: number;
  /** New group (ignored, as rclone). */
  gid?: number;
}

function now(): number {
  return Date.now();
}

/** The virtual file system over one backend. */
export class Vfs {
  /** The backend this VFS serves. */
  readonly backend: Backend;
  readonly #cfg: VfsConfig;
  readonly #dirs: DirCache;
  readonly #startMs = now();
  readonly #open = new OpenFiles();
  readonly #uploads = new Set<Promise<unknown>>();
  readonly #options: Record<string, OptionValue>;
  readonly #cacheReady?: Promise<VfsCache>;
  #cache?: VfsCache;
  #ownCacheDir?: string;
  #stopWatch?: () => void;
  #lastError?: string;
  #usage?: { at: number; value: VfsStatfs };
  #shutdown = false;

  /**
   * Creates a VFS. `options` holds VFS option values (missing keys take the defaults of
   * `VFS_OPTIONS`; `buffer_size` may be merged in from the global options).
   */
  constructor(backend: Backend, options: Record<string, OptionValue>, deps: VfsDeps = {}) {
    this.backend = backend;
    this.#options = { ...defaultsOf(VFS_OPTIONS), ...options };
    this.#cfg = vfsConfig(this.#options);
    this.#dirs = new DirCache(backend, this.#cfg.dirCacheTimeMs);
    if (this.#cfg.cacheMode !== "off") {
      this.#cacheReady = this.#openCache(deps.cacheDir);
      this.#cacheReady.catch((err) =>
        log.error(`vfs cache for ${backend.name} failed to open: ${(err as Error).message}`)
      );
    }
    if (backend.features.changeNotify && backend.watch && this.#cfg.pollIntervalMs > 0) {
      this.#stopWatch = backend.watch((change) => {
        const p = cleanPath(change.path);
        this.#dirs.invalidate(parentOf(p));
        if (change.kind !== "file") this.#dirs.invalidateTree(p);
        this.#usage = undefined;
      }, this.#cfg.pollIntervalMs);
    }
    if (this.#cfg.refresh) {
      this.#refresh("").catch((err) => log.error(`vfs refresh failed: ${(err as Error).message}`));
    }
  }

  /**
   * Resolves once the VFS is usable: in cache modes other than `off` that is when the cache is
   * open (files left dirty by an earlier run are queued for upload then); rejects with the
   * cache's error (e.g. an unwritable cache dir). Every other method waits for this too.
   */
  async ready(): Promise<void> {
    await this.#cacheReady;
  }

  /** The typed settings this VFS runs with. */
  get config(): Readonly<VfsConfig> {
    return this.#cfg;
  }

  // ---------------------------------------------------------------- lookups

  /** Attributes of a path. Throws NotFoundError / NotDirectoryError. */
  async stat(path: string): Promise<VfsAttr> {
    const p = await this.#resolve(path);
    const e = await this.#lookup(p);
    if (!e) throw new NotFoundError(p);
    return this.#attr(p, e);
  }

  /**
   * {@link stat} answered at once from a fresh cached listing of the parent: the attributes,
   * null when the name is absent, undefined when that needs a backend call (no fresh listing,
   * case folding, the cache still opening); then call {@link stat}. LOOKUP and GETATTR take
   * this path first: for a listed directory it skips half a dozen awaits per request.
   */
  statCached(path: string): VfsAttr | null | undefined {
    if ((this.#cacheReady && !this.#cache) || this.#cfg.caseInsensitive) return undefined;
    const p = cleanPath(path);
    let remote: Entry | undefined;
    if (p === "") remote = this.#rootEntry();
    else {
      const listing = this.#dirs.peek(parentOf(p));
      if (!listing) return undefined;
      remote = listing.get(baseName(p));
    }
    const e = this.#overlay(p, remote);
    return e ? this.#attr(p, e) : null;
  }

  /** The children of a directory (without `.` and `..`), sorted by name. */
  async readdir(path: string): Promise<VfsAttr[]> {
    const p = await this.#resolve(path);
    const self = await this.#lookup(p);
    if (!self) throw new NotFoundError(p);
    if (!self.isDir) throw new NotDirectoryError(p);
    const listed = await this.#dirs.list(p);
    if (this.#open.inDir(p).length === 0 && !this.#cache?.overlaysIn(p)) {
      // nothing to overlay (no open file in here, no dirty or open cache item): the listing
      // (a cached entry's path is already `p` joined with its name: see DirCache)
      const sorted = [...listed.keys()].sort();
      return sorted.map((name) => {
        const e = listed.get(name)!;
        return this.#attr(e.path, e, name);
      });
    }
    const out = new Map<string, VfsAttr>();
    const t = now();
    for (const [name, e] of listed) {
      const full = joinPath(p, name);
      out.set(name, this.#attr(full, this.#open.overlay(full, e, this.#cache, t)!));
    }
    for (const pe of this.#cache?.pending(p) ?? []) {
      const name = baseName(pe.path);
      const full = joinPath(p, name);
      out.set(name, this.#attr(full, this.#overlay(full, listed.get(name))!));
    }
    for (const h of this.#open.inDir(p)) {
      const name = baseName(h.path);
      const e = this.#overlay(h.path, listed.get(name));
      if (e) out.set(name, this.#attr(h.path, e));
    }
    // The default sort orders strings by UTF-16 code units, as `<` does, without calling back
    // into JS for each comparison.
    const names = [...out.keys()].sort();
    return names.map((n) => out.get(n)!);
  }

  // ---------------------------------------------------------------- directories

  /** Creates a directory (its parent must exist). Throws ExistsError if the name is taken. */
  async mkdir(path: string, _mode?: number): Promise<VfsAttr> {
    const p = await this.#resolve(path);
    this.#writable(p);
    if (p === "" || await this.#lookup(p)) throw new ExistsError(p);
    await this.#requireDir(parentOf(p));
    await this.backend.mkdir(p);
    const entry: Entry = { path: p, isDir: true, size: 0, mtimeMs: now() };
    this.#dirs.put(p, entry);
    this.#dirs.putEmptyDir(p);
    return this.#attr(p, entry);
  }

  /** Removes an empty directory. Throws NotEmptyError / NotDirectoryError / NotFoundError. */
  async rmdir(path: string): Promise<void> {
    const p = await this.#resolve(path);
    this.#writable(p);
    if (p === "") throw new InvalidError("can't remove the root directory", Errno.EBUSY);
    const e = await this.#lookup(p);
    if (!e) throw new NotFoundError(p);
    if (!e.isDir) throw new NotDirectoryError(p);
    const children = await this.#dirs.list(p);
    const pending = this.#open.anyBelow(p) || (this.#cache?.pending(p).length ?? 0) > 0;
    if (children.size > 0 || pending) throw new NotEmptyError(p);
    try {
      await this.backend.rmdir(p);
    } catch (err) {
      if (err instanceof NotEmptyError) this.#dirs.invalidate(p);
      throw err;
    }
    this.#dirs.remove(p);
  }

  // ---------------------------------------------------------------- files

  /** Removes a file. Throws IsDirectoryError for directories. */
  async unlink(path: string): Promise<void> {
    const p = await this.#resolve(path);
    this.#writable(p);
    const e = await this.#lookup(p);
    if (!e) throw new NotFoundError(p);
    if (e.isDir) throw new IsDirectoryError(p);
    this.#open.detach(p);
    await this.#cache?.remove(p);
    const remote = await this.#remoteEntry(p);
    if (remote) {
      try {
        await this.backend.remove(p);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
    }
    this.#dirs.remove(p);
  }

  /**
   * Renames a file or directory. An existing destination file is replaced (a directory only if
   * empty); with `noReplace` an existing destination fails with ExistsError.
   */
  async rename(from: string, to: string, flags: { noReplace?: boolean } = {}): Promise<void> {
    const f = await this.#resolve(from);
    const t = await this.#resolve(to);
    this.#writable(f);
    const src = await this.#lookup(f);
    if (!src) throw new NotFoundError(f);
    if (f === "" || t === "") {
      throw new InvalidError("can't rename the root directory", Errno.EBUSY);
    }
    if (f === t) return;
    if (src.isDir && isWithin(t, f)) {
      throw new InvalidError(`can't move directory ${JSON.stringify(f)} into itself`);
    }
    await this.#requireDir(parentOf(t));
    const dst = await this.#lookup(t);
    if (dst) {
      if (flags.noReplace) throw new ExistsError(t);
      if (src.isDir && !dst.isDir) throw new NotDirectoryError(t);
      if (!src.isDir && dst.isDir) throw new IsDirectoryError(t);
      if (dst.isDir) {
        const children = await this.#dirs.list(t);
        if (children.size > 0) throw new NotEmptyError(t);
        await this.backend.rmdir(t);
        this.#dirs.remove(t);
      }
    }
    if (src.isDir) await this.#renameDir(f, t, src);
    else await this.#renameFile(f, t);
  }

  async #renameFile(f: string, t: string): Promise<void> {
    const pendingBefore = this.#cache?.pendingEntry(f) !== undefined;
    let entry: Entry | undefined;
    const remoteMove = async () => {
      if (!(await this.#remoteEntry(f))) return;
      try {
        entry = { ...(await moveFile(this.backend, f, t)), path: t };
      } catch (err) {
        // A file the cache had not uploaded yet (its listing entry is ours) is not remote.
        if (!(err instanceof NotFoundError && pendingBefore)) throw err;
      }
    };
    // Handles open on the replaced file lose their name first (cache handles follow their
    // item, so after the rename the moved ones would report `t` too).
    this.#open.detach(t);
    if (this.#cache) await this.#cache.rename(f, t, remoteMove);
    else await remoteMove();
    if (!entry && await this.#remoteEntry(t)) {
      // Only a pending (not yet uploaded) file moves over an existing one: drop the old one.
      await this.backend.remove(t).catch(() => {});
    }
    this.#open.retarget(f, t, false);
    this.#dirs.remove(f);
    const pending = this.#cache?.pendingEntry(t);
    if (entry) this.#dirs.put(t, entry);
    else if (pending) this.#dirs.put(t, { ...pending, path: t });
    else this.#dirs.remove(t);
  }

  async #renameDir(f: string, t: string, src: Entry): Promise<void> {
    const remoteMove = () => moveDir(this.backend, f, t);
    if (this.#cache) await this.#cache.rename(f, t, remoteMove);
    else await remoteMove();
    this.#open.retarget(f, t, true);
    this.#dirs.remove(f);
    this.#dirs.invalidateTree(t);
    this.#dirs.put(t, { ...src, path: t });
  }

  /**
   * Changes attributes: `size` truncates (see module doc), `mtimeMs` sets the modification time
   * when the backend can (silently ignored otherwise, as rclone); mode/uid/gid/atime are
   * accepted and ignored. Returns the new attributes.
   */
  async setattr(path: string, attrs: SetAttrs): Promise<VfsAttr> {
    const p = await this.#resolve(path);
    const changing = Object.values(attrs).some((v) => v !== undefined);
    if (changing) this.#writable(p);
    const e = await this.#lookup(p);
    if (!e) throw new NotFoundError(p);
    if (attrs.size !== undefined) {
      if (e.isDir) throw new IsDirectoryError(p);
      await this.#truncate(p, e, attrs.size);
    }
    if (attrs.mtimeMs !== undefined && !this.#cfg.noModtime && !e.isDir) {
      await this.#setMtime(p, attrs.mtimeMs);
    }
    return await this.stat(p);
  }

  async #setMtime(p: string, mtimeMs: number): Promise<void> {
    const open = this.#open.at(p).filter((h) => h.kind !== "cache" && h.setPendingMtime);
    const pendingUpload = open.some((h) => h.isDirty?.());
    for (const h of open) h.setPendingMtime!(mtimeMs);
    if (pendingUpload) return;
    // The cache owns the time of files open for writing or waiting for upload.
    if (this.#cache && await this.#cache.setMtime(p, mtimeMs)) return;
    const remote = await this.#remoteEntry(p);
    if (!remote || !this.backend.features.setModTime || !this.backend.setModTime) return;
    try {
      await this.backend.setModTime(p, mtimeMs);
      this.#dirs.put(p, { ...remote, mtimeMs });
    } catch (err) {
      if (!(err instanceof FsError && err.errno === Errno.ENOTSUP)) throw err;
    }
  }

  async #truncate(p: string, e: Entry, size: number): Promise<void> {
    if (size < 0) throw new InvalidError(`negative size ${size} for ${JSON.stringify(p)}`);
    const open = this.#open.at(p).filter((h) => h.truncate);
    if (open.length > 0) {
      for (const h of open) await h.truncate!(size);
      return;
    }
    if (e.size === size) return;
    const mode = this.#cfg.cacheMode;
    if (mode === "writes" || mode === "full" || this.#cache?.cachedSize(p) !== undefined) {
      const h = await this.#openCached(p, O.RDWR);
      try {
        await h.truncate!(size);
      } finally {
        await h.release();
      }
      return;
    }
    if (size !== 0) {
      throw new InvalidError(
        `can't truncate ${JSON.stringify(p)} to ${size} bytes without --vfs-cache-mode >= writes`,
        Errno.EPERM,
      );
    }
    const entry = await this.backend.write(p, new Blob([]).stream(), {
      mtimeMs: now(),
      size: 0,
    });
    this.#dirs.put(p, { ...entry, path: p });
  }

  /** Opens an existing file (or creates it with O_CREAT) with Linux open flags. */
  async open(path: string, flags: number): Promise<VfsHandle> {
    const p = await this.#resolve(path);
    const intent = this.#intent(p, flags);
    const e = await this.#lookup(p);
    if (!e) {
      if (flags & O.CREAT) return (await this.create(p, flags, 0o666)).handle;
      throw new NotFoundError(p);
    }
    if (e.isDir) throw new IsDirectoryError(p);
    return await this.#openFile(p, e, flags, intent);
  }

  /** Creates (or with an existing file and no O_EXCL, opens) a file and returns its handle. */
  async create(
    path: string,
    flags: number,
    _mode: number,
  ): Promise<{ handle: VfsHandle; attr: VfsAttr }> {
    const p = await this.#resolve(path);
    this.#writable(p);
    const intent = this.#intent(p, flags);
    if (p === "") throw new IsDirectoryError(p);
    await this.#requireDir(parentOf(p));
    const e = await this.#lookup(p);
    let handle: OpenHandle;
    if (e) {
      if (flags & O.EXCL) throw new ExistsError(p);
      if (e.isDir) throw new IsDirectoryError(p);
      handle = await this.#openFile(p, e, flags, intent);
    } else if (!intent.write) {
      // O_CREAT|O_RDONLY: make the empty object now, then read it.
      const entry = await this.backend.write(p, new Blob([]).stream(), { mtimeMs: now(), size: 0 });
      this.#dirs.put(p, { ...entry, path: p });
      handle = await this.#openFile(p, { ...entry, path: p }, flags, intent);
    } else {
      handle = await this.#openFile(p, undefined, flags, intent);
    }
    const attr = this.#attr(
      p,
      this.#overlay(p, e) ?? { path: p, isDir: false, size: 0, mtimeMs: now() },
    );
    return { handle, attr };
  }

  #intent(p: string, flags: number): OpenIntent {
    const intent = openIntent(flags);
    if (!intent) throw new InvalidError(`invalid open flags 0x${flags.toString(16)}`, Errno.EPERM);
    if ((flags & O.ACCMODE) === O.RDONLY && intent.truncate) {
      throw new InvalidError(`O_TRUNC with O_RDONLY on ${JSON.stringify(p)}`, Errno.EINVAL);
    }
    if (intent.write) this.#writable(p);
    return intent;
  }

  async #openFile(
    p: string,
    e: Entry | undefined,
    flags: number,
    intent: OpenIntent,
  ): Promise<OpenHandle> {
    const mode = this.#cfg.cacheMode;
    const inCache = this.#cache?.cachedSize(p) !== undefined;
    const viaCache = mode === "full" || (mode !== "off" && inCache) ||
      (mode === "writes" && intent.write) ||
      (mode === "minimal" && intent.read && intent.write);
    if (viaCache) return await this.#openCached(p, flags);
    if (intent.write) {
      const h = new WriteHandle(this.#writeHost(), p, intent.truncate, (e?.size ?? 0) > 0);
      this.#open.add(h);
      return h;
    }
    return this.#openRead(p, e!);
  }

  #openRead(p: string, e: Entry): OpenHandle {
    const h: ReadHandle = new ReadHandle(this.backend, p, {
      chunkSize: this.#cfg.readChunkSize,
      chunkSizeLimit: this.#cfg.readChunkSizeLimit,
      chunkStreams: this.#cfg.readChunkStreams,
      readWaitMs: this.#cfg.readWaitMs,
      noSeek: this.#cfg.noSeek,
      size: e.sizeUnknown ? undefined : e.size,
      onRelease: () => this.#open.forget(h),
    });
    this.#open.add(h);
    return h;
  }

  async #openCached(p: string, flags: number): Promise<OpenHandle> {
    const cache = this.#cache ?? await this.#cacheReady!;
    const remote = await this.#remoteEntry(p);
    const h: OpenHandle = await cache.open(p, flags, remote?.isDir ? undefined : remote, {
      onRelease: () => {
        this.#open.forget(h);
        // Keep the file in the listing while its upload is pending: the cache stops reporting
        // it as pending a moment before its upload hook updates the listing.
        const pending = cache.pendingEntry(h.path);
        if (pending) this.#dirs.put(h.path, { ...pending, path: h.path });
      },
    });
    this.#open.add(h);
    return h;
  }

  async #openCache(cacheDir?: string): Promise<VfsCache> {
    let dir = cacheDir;
    if (!dir) {
      dir = await Deno.makeTempDir({ prefix: "denoclone-vfs-cache-" });
      this.#ownCacheDir = dir;
    }
    const { VfsCache } = await import("./cache/vfs_cache.ts");
    const cache = await VfsCache.open({
      backend: this.backend,
      cacheDir: dir,
      options: this.#options,
      onUploaded: (path, entry) => {
        // The hook may run after a newer version was written by a streaming handle: never
        // replace a listed entry by an older one.
        const listed = this.#dirs.peek(parentOf(path))?.get(baseName(path));
        if (!listed || listed.isDir || listed.mtimeMs <= entry.mtimeMs) {
          this.#dirs.put(path, { ...entry, path });
        }
        this.#usage = undefined;
      },
    });
    this.#cache = cache;
    return cache;
  }

  #writeHost() {
    return {
      backend: this.backend,
      writeWaitMs: this.#cfg.writeWaitMs,
      trackUpload: (p: Promise<unknown>) => {
        this.#uploads.add(p);
        const done = () => this.#uploads.delete(p);
        p.then(done, done);
      },
      uploaded: async (uploadPath: string, finalPath: string, entry: Entry): Promise<Entry> => {
        let e = { ...entry, path: uploadPath };
        if (finalPath !== uploadPath) {
          e = { ...(await moveFile(this.backend, uploadPath, finalPath)), path: finalPath };
          this.#dirs.remove(uploadPath);
        }
        this.#dirs.put(finalPath, e);
        this.#usage = undefined;
        return e;
      },
      uploadFailed: (path: string, err: unknown) => {
        this.#lastError = `upload of ${path} failed: ${(err as Error)?.message ?? err}`;
        log.error(this.#lastError);
      },
      detach: (h: OpenHandle) => this.#open.forget(h),
    };
  }

  // ---------------------------------------------------------------- whole-VFS

  /** File system space, from `backend.about()` when available (cached for dir_cache_time). */
  async statfs(): Promise<VfsStatfs> {
    const cached = this.#usage;
    if (cached && now() - cached.at < this.#cfg.dirCacheTimeMs) return cached.value;
    let usage = {};
    if (this.backend.features.about && this.backend.about) {
      try {
        usage = await this.backend.about();
      } catch (err) {
        log.debug(`about failed: ${(err as Error).message}`);
      }
    }
    if (this.#cfg.usedIsSize) usage = { ...usage, used: await this.#treeSize("") };
    const value = statfsFromUsage(usage, this.#cfg.diskSpaceTotalSize);
    this.#usage = { at: now(), value };
    return value;
  }

  /** Drops every cached directory listing (rclone's SIGHUP / `vfs/forget`). */
  forgetDirCache(): void {
    this.#dirs.clear();
    this.#usage = undefined;
  }

  /** Waits until every pending write is on the remote (uploads dirty disk-buffered files). */
  async sync(): Promise<void> {
    while (this.#uploads.size > 0) {
      await Promise.allSettled([...this.#uploads]);
    }
    await this.#cache?.sync();
  }

  /** Counters for status reports. */
  status(): VfsStatus {
    let dirtyFiles = 0;
    let dirtyBytes = 0;
    for (const h of this.#open.all()) {
      if (h.kind !== "cache" && h.isDirty?.()) {
        dirtyFiles++;
        dirtyBytes += h.currentSize?.() ?? 0;
      }
    }
    const c = this.#cache?.stats();
    const lastError = c?.lastError ?? this.#lastError;
    return {
      dirtyFiles: dirtyFiles + (c?.dirtyFiles ?? 0),
      dirtyBytes: dirtyBytes + (c?.dirtyBytes ?? 0),
      uploadsInFlight: this.#uploads.size + (c?.uploadsInFlight ?? 0),
      cacheBytes: c?.cacheBytes ?? 0,
      openFiles: this.#open.count,
      ...(lastError ? { lastError } : {}),
    };
  }

  /** Releases every open handle, waits for uploads and stops change polling. */
  async shutdown(): Promise<void> {
    if (this.#shutdown) return;
    this.#shutdown = true;
    this.#stopWatch?.();
    this.#stopWatch = undefined;
    const errors: unknown[] = [];
    for (const h of this.#open.all()) {
      await h.release().catch((err) => errors.push(err));
    }
    while (this.#uploads.size > 0) await Promise.allSettled([...this.#uploads]);
    const cache = this.#cacheReady ? await this.#cacheReady.catch(() => undefined) : undefined;
    await cache?.close();
    if (this.#ownCacheDir) {
      await Deno.remove(this.#ownCacheDir, { recursive: true }).catch(() => {});
    }
    if (errors.length > 0) {
      throw new FsError(`shutdown: ${errors.length} file(s) failed to upload`, Errno.EIO, {
        cause: errors[0],
      });
    }
  }

  // ---------------------------------------------------------------- internals

  #writable(p: string): void {
    if (this.#cfg.readOnly) throw new ReadOnlyError(p);
  }

  #attr(p: string, e: Pick<Entry, "isDir" | "size" | "mtimeMs">, name?: string): VfsAttr {
    return entryAttr(p, e, this.#cfg, this.#startMs, name);
  }

  /** Fixes up case of existing path components when `vfs_case_insensitive` is set. */
  async #resolve(path: string): Promise<string> {
    if (this.#cacheReady && !this.#cache) await this.#cacheReady;
    const p = cleanPath(path);
    if (!this.#cfg.caseInsensitive || p === "") return p;
    const segs = p.split("/");
    let cur = "";
    for (let i = 0; i < segs.length; i++) {
      const seg = segs[i]!;
      let entries: Map<string, Entry>;
      try {
        entries = await this.#dirs.list(cur);
      } catch {
        return [cur, ...segs.slice(i)].filter((s) => s !== "").join("/");
      }
      let name = seg;
      if (!entries.has(seg) && this.#open.at(joinPath(cur, seg)).length === 0) {
        const lower = seg.toLowerCase();
        const match = [...entries.keys()].find((n) => n.toLowerCase() === lower) ??
          this.#open.inDir(cur).map((h) => baseName(h.path)).find((n) => n.toLowerCase() === lower);
        if (match) name = match;
      }
      cur = joinPath(cur, name);
    }
    return cur;
  }

  #rootEntry(): Entry {
    return { path: "", isDir: true, size: 0, mtimeMs: this.#startMs };
  }

  /** The entry the remote listing has (no open-handle overlay). */
  async #remoteEntry(p: string): Promise<Entry | undefined> {
    if (p === "") return this.#rootEntry();
    try {
      return await this.#dirs.lookup(p);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  /** The entry as the VFS shows it: remote listing plus open writers. */
  async #lookup(p: string): Promise<Entry | undefined> {
    return this.#overlay(p, await this.#remoteEntry(p));
  }

  #overlay(p: string, remote: Entry | undefined): Entry | undefined {
    return this.#open.overlay(p, remote, this.#cache, now());
  }

  async #requireDir(p: string): Promise<void> {
    const e = await this.#lookup(p);
    if (!e) throw new NotFoundError(p);
    if (!e.isDir) throw new NotDirectoryError(p);
  }

  async #treeSize(dir: string): Promise<number> {
    let total = 0;
    for (const [name, e] of await this.#dirs.list(dir)) {
      total += e.isDir ? await this.#treeSize(joinPath(dir, name)) : e.size;
    }
    return total;
  }

  async #refresh(dir: string): Promise<void> {
    for (const [name, e] of await this.#dirs.list(dir)) {
      if (e.isDir && !this.#shutdown) await this.#refresh(joinPath(dir, name));
    }
  }
}

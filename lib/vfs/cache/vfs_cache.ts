/**
 * @module
 * The VFS cache for cache modes `writes` and `full` (and read+write opens in `minimal`): files
 * live as sparse data files under `<cache-dir>/vfs/<remote>/…` with JSON metadata under
 * `<cache-dir>/vfsMeta/<remote>/…`. Dirty files are uploaded after `--vfs-write-back`, retried
 * with backoff, and any still dirty when the cache is opened again (after a crash or restart)
 * are uploaded then. A cleaner evicts by age, size and free space, never touching open or
 * dirty files.
 *
 * Opening the same remote under the same cache directory twice in one process (two volumes
 * on one remote) shares one {@link CacheCore}, so the two never fight over the same files; each
 * {@link VfsCache} keeps its own backend and upload hook, and closing one leaves the other
 * working.
 *
 * Division of work with the VFS core: {@link VfsCache.rename} and {@link VfsCache.remove} change
 * the cache and its upload queue (cancelling and waiting out an upload in flight, whose object
 * the upload hook reports if it landed anyway). The VFS moves the remote object inside the
 * `remoteMove` callback of `rename` (uploads of the moved files are held meanwhile), and deletes
 * it after `remove` returns, looking the remote entry up only then; NotFound is expected for
 * files that {@link VfsCache.pendingEntry} reported as not uploaded yet.
 */

import { resolvePath as resolve } from "../../util/os_path.ts";
import type { Backend, Entry } from "../../backends/backend.ts";
import type { OptionValue } from "../../config/option_schema.ts";
import { Errno, FsError } from "../../errors.ts";
import { log } from "../../util/log.ts";
import {
  CacheCore,
  type CacheOpener,
  type VfsCacheStats,
  type VfsCacheTuning,
} from "./cache_core.ts";
import type { CacheOptions } from "./cache_options.ts";
import { CachePaths } from "./cache_paths.ts";
import type { CachedHandle } from "./cached_handle.ts";

export { CachedHandle } from "./cached_handle.ts";
export type { VfsCacheStats, VfsCacheTuning } from "./cache_core.ts";

/** Arguments of {@link VfsCache.open}. */
export interface VfsCacheOpenOptions {
  /** The remote. */
  backend: Backend;
  /** The rclone cache directory (`--cache-dir`). */
  cacheDir: string;
  /** Resolved VFS option values (`vfs_cache_mode`, `vfs_cache_max_size`, …, `buffer_size`). */
  options: Record<string, OptionValue>;
  /** Timing knobs (the first opener of a shared cache sets them). */
  tuning?: VfsCacheTuning;
  /** Called after each upload with the remote's new entry (e.g. for dir caches). */
  onUploaded?: (path: string, entry: Entry) => void;
}

/** Cores open in this process, by data directory. */
const CORES = new Map<string, { core: Promise<CacheCore>; closing?: Promise<void> }>();

/** The on-disk VFS cache of one remote, as one opener (one VFS) sees it. */
export class VfsCache {
  /** This opener's backend. */
  readonly backend: Backend;
  #core: CacheCore;
  #key: string;
  #opener: CacheOpener;
  #closed = false;

  private constructor(core: CacheCore, key: string, opener: CacheOpener) {
    this.backend = opener.backend;
    this.#core = core;
    this.#key = key;
    this.#opener = opener;
  }

  /**
   * Opens the cache of `backend` under `cacheDir`. The first opener checks every stored entry
   * (repairing or discarding partial ones), queues the uploads of files left dirty and starts
   * the cleaner; later openers of the same remote and directory share that cache.
   */
  static async open(opts: VfsCacheOpenOptions): Promise<VfsCache> {
    const key = resolve(new CachePaths(opts.cacheDir, opts.backend.name).dataRoot);
    const opener: CacheOpener = { backend: opts.backend, onUploaded: opts.onUploaded };
    for (;;) {
      const shared = CORES.get(key);
      if (!shared) break;
      if (shared.closing) {
        // The last user is closing it: wait, then open it afresh.
        await shared.closing.catch(() => {});
        if (CORES.get(key) === shared) CORES.delete(key);
        continue;
      }
      const core = await shared.core;
      if (shared.closing) continue;
      core.attach(opener);
      log.info(`vfs cache: ${opts.backend.name}: sharing the cache already open in ${key}`);
      return new VfsCache(core, key, opener);
    }
    const entry: { core: Promise<CacheCore>; closing?: Promise<void> } = {
      core: CacheCore.create({
        cacheDir: opts.cacheDir,
        remoteName: opts.backend.name,
        options: opts.options,
        tuning: opts.tuning,
      }, opener),
    };
    CORES.set(key, entry);
    try {
      return new VfsCache(await entry.core, key, opener);
    } catch (err) {
      if (CORES.get(key) === entry) CORES.delete(key);
      throw err;
    }
  }

  /** The cache options in use. */
  get options(): CacheOptions {
    return this.#core.options;
  }

  /** The on-disk layout. */
  get paths(): CachePaths {
    return this.#core.paths;
  }

  #check(): void {
    if (this.#closed) throw new FsError("vfs cache is closed", Errno.EIO);
  }

  /**
   * Opens `path` through the cache with Linux open(2) `flags`; `remote` is the remote's entry
   * (undefined if the file does not exist there). Clean cached data that no longer matches the
   * remote is dropped; a writable open without O_TRUNC fetches what it needs lazily.
   * `hooks.onRelease` runs once when the handle is released.
   */
  open(
    path: string,
    flags: number,
    remote: Entry | undefined,
    hooks: { onRelease?: () => void } = {},
  ): Promise<CachedHandle> {
    this.#check();
    return this.#core.open(path, flags, remote, hooks);
  }

  /** Files not uploaded yet directly inside `dir`, to merge into listings. */
  pending(dir: string): Entry[] {
    return this.#core.pending(dir);
  }

  /**
   * True if a file directly inside `dir` is dirty or open, i.e. a listing of `dir` must be
   * overlaid with {@link pending}, {@link pendingEntry} and {@link cachedSize}.
   */
  overlaysIn(dir: string): boolean {
    return this.#core.overlaysIn(dir);
  }

  /** The cached entry of `path` if it has changes not uploaded yet. */
  pendingEntry(path: string): Entry | undefined {
    return this.#core.pendingEntry(path);
  }

  /** Size of `path` as the cache sees it (open or dirty files), else undefined. */
  cachedSize(path: string): number | undefined {
    return this.#core.cachedSize(path);
  }

  /**
   * Records a new modification time for `path`. True when the cache owns the change (open for
   * writing or waiting for upload: the time goes up with the data); false when the caller must
   * set it on the remote (a clean cached copy is kept valid for the new time).
   */
  setMtime(path: string, mtimeMs: number): Promise<boolean> {
    this.#check();
    return this.#core.setMtime(path, mtimeMs);
  }

  /**
   * Renames a cached file, or every cached file below a directory, in the cache. Uploads of
   * those files are cancelled (a running one is aborted and waited out; if it landed anyway the
   * upload hook reports it) and held; then `remoteMove`, if given, runs: the caller looks up and
   * moves the remote object there, with no upload of these files racing it. If it throws, the
   * cache is left unchanged and the error is rethrown. Then the cached files take the new names
   * and their pending uploads go there.
   */
  rename(from: string, to: string, remoteMove?: () => Promise<void>): Promise<void> {
    this.#check();
    return this.#core.rename(from, to, remoteMove);
  }

  /**
   * Removes a cached file (or every cached file below a directory) from the cache: its upload
   * never happens. Open handles keep working on the unlinked data. The remote object is the
   * caller's to delete, after this returns.
   */
  remove(path: string): Promise<void> {
    this.#check();
    return this.#core.remove(path);
  }

  /**
   * Uploads every dirty file now and waits until they are on the remote. On the deadline it
   * logs the files still pending and throws an ETIMEDOUT FsError; they stay queued and cached.
   */
  sync(opts: { deadlineMs?: number } = {}): Promise<void> {
    return this.#core.sync(opts);
  }

  /** The cache state: dirty files and bytes, uploads in flight, bytes cached, last error. */
  stats(): VfsCacheStats {
    return this.#core.stats();
  }

  /** Runs the cleaner once: evicts by age, size and free space, sparing open and dirty files. */
  clean(): Promise<void> {
    return this.#core.clean();
  }

  /**
   * Closes this opener: waits for pending uploads up to the close deadline (logging any left,
   * which stay queued on disk for the next run). The last opener also stops the cache.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const left = this.#core.detach(this.#opener);
    if (left > 0) {
      await this.#core.sync({ deadlineMs: this.#core.closeDeadlineMs }).catch(() => {});
      return;
    }
    const shared = CORES.get(this.#key);
    const closing = this.#core.close();
    if (shared) shared.closing = closing;
    try {
      await closing;
    } finally {
      if (shared && CORES.get(this.#key) === shared) CORES.delete(this.#key);
    }
  }
}

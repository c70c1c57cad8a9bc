/**
 * @module
 * The engine of the VFS cache for one remote and cache directory: sparse cache items under
 * `<cache-dir>/vfs/<remote>/…` with JSON metadata under `<cache-dir>/vfsMeta/<remote>/…`, the
 * write-back upload queue (retried with backoff, resumed from the dirty flags on disk when the
 * cache is opened again), and the cleaner (age, size, free space; never open or dirty files).
 * One core may serve several openers of the same remote (`VfsCache` facades): uploads use
 * the backend of the earliest opener still attached and every opener's upload hook is called.
 * Closed files are made durable against power loss by one batched file-system sync
 * (`SyncBatch`) rather than fsyncs on every close; fsync(2), `sync()` and `close()` flush it.
 * A closed new file may have no metadata yet, only a marked data file (`LOCAL_MARK` in
 * `cache_item.ts`): opening the cache again queues such files for upload like dirty entries.
 * Removing a clean file deletes its cache files in the background (and prunes the emptied
 * directories once per burst); whatever creates cache files waits for those deletions first.
 * The roots of the data and metadata trees are marked as tops of directory hierarchies
 * (`top_dirs.ts`), so ext4 puts the cached directories in block groups of their own, where new
 * files are cheap to create, rather than beside whatever was deleted near the cache directory.
 */

import { dirName as dirname, joinPath as join } from "../../util/os_path.ts";
import type { Backend, Entry } from "../../backends/backend.ts";
import type { OptionValue } from "../../config/option_schema.ts";
import { Errno, FsError, InvalidError } from "../../errors.ts";
import { log } from "../../util/log.ts";
import {
  CacheItem,
  hasLocalMark,
  type ItemContext,
  localMarksWork,
  newReadState,
} from "./cache_item.ts";
import { type CacheOptions, cacheOptionsFrom } from "./cache_options.ts";
import { CachePaths } from "./cache_paths.ts";
import { CachedHandle, type HandleHost } from "./cached_handle.ts";
import { freeSpace, planEviction } from "./evictor.ts";
import { ItemIndex } from "./item_index.ts";
import { IncompleteMetaError, readMeta } from "./item_meta.ts";
import { SyncBatch } from "./sync_batch.ts";
import { markTopDir } from "./top_dirs.ts";
import { UploadQueue } from "./upload_queue.ts";

/** Linux open(2) flags the cache looks at. */
const O_ACCMODE = 3;
const O_WRONLY = 1;
const O_RDWR = 2;
const O_TRUNC = 0o1000;
const O_APPEND = 0o2000;

/** Timing knobs; the defaults suit production, tests shorten them. */
export interface VfsCacheTuning {
  /** First retry delay of a failed upload (default 1 s; doubles per attempt). */
  retryMinMs?: number;
  /** Longest retry delay (default 5 min). */
  retryMaxMs?: number;
  /** How long `sync()` waits by default (default 10 min). */
  syncDeadlineMs?: number;
  /** How long `close()` waits for uploads (default 1 min). */
  closeDeadlineMs?: number;
  /** How long `fsync` of a handle waits for its upload (default 1 min). */
  fsyncDeadlineMs?: number;
  /** How long a read-ahead download waits for its reader before stopping (default 10 s). */
  fetchIdleMs?: number;
  /** Uploads running at once (default 4). */
  parallelUploads?: number;
  /** Delay of the batched sync that makes closed files durable against power loss (500 ms). */
  syncBatchMs?: number;
  /** Free space of the cache's file system (default: `df`). */
  freeSpace?: (dir: string) => Promise<number>;
}

/** Arguments of {@link CacheCore.create}. */
export interface CacheCoreOptions {
  /** The rclone cache directory (`--cache-dir`). */
  cacheDir: string;
  /** The remote's display name (keys the cache directory). */
  remoteName: string;
  /** Resolved VFS option values (`vfs_cache_mode`, `vfs_cache_max_size`, …, `buffer_size`). */
  options: Record<string, OptionValue>;
  /** Timing knobs. */
  tuning?: VfsCacheTuning;
}

/** One user of a core: its backend and its upload hook. */
export interface CacheOpener {
  /** The opener's backend (same remote). */
  backend: Backend;
  /** Called after each upload with the remote's new entry. */
  onUploaded?: ((path: string, entry: Entry) => void) | undefined;
}

/** Cache state for status reports (the Docker plugin shows it). */
export interface VfsCacheStats {
  /** Files with changes not yet uploaded. */
  dirtyFiles: number;
  /** Total size of those files. */
  dirtyBytes: number;
  /** Uploads running now. */
  uploadsInFlight: number;
  /** Bytes of file data held in the cache. */
  cacheBytes: number;
  /** The last upload error, until uploads succeed again. */
  lastError?: string;
}

/** How often a wait for uploads schedules again the files that left the upload queue (ms). */
const RESCHEDULE_MS = 250;

/**
 * How long background deletions of cache files must have been quiet before the directories they
 * emptied are pruned (ms): one pruning per burst (`rm -r`), not one per deleted file.
 */
const PRUNE_QUIET_MS = 100;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The files below `dir`, recursively; `onDir` sees every directory below it. */
async function* walkFiles(
  dir: string,
  onDir: (dir: string) => void = () => {},
): AsyncGenerator<string> {
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(dir));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    throw err;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory) {
      onDir(p);
      yield* walkFiles(p, onDir);
    } else {
      yield p;
    }
  }
}

/** The shared engine of the on-disk VFS cache of one remote. */
export class CacheCore {
  /** The cache options in use. */
  readonly options: CacheOptions;
  /** The on-disk layout. */
  readonly paths: CachePaths;
  #ctx: ItemContext;
  #tuning: Required<Omit<VfsCacheTuning, "freeSpace">> & Pick<VfsCacheTuning, "freeSpace">;
  #items = new ItemIndex<CacheItem>();
  #ephemeral = new Set<CacheItem>();
  #queue: UploadQueue<CacheItem>;
  #failing = new Map<CacheItem, string>();
  #lastError: string | undefined;
  #cleaner: ReturnType<typeof setInterval> | undefined;
  #cleaning: Promise<void> | undefined;
  #closed = false;
  #host: HandleHost;
  #openers: CacheOpener[] = [];
  #held = new Set<CacheItem>();
  #discarding = new Map<string, Promise<void>>();
  /** Paths whose emptied cache directories are pruned once the background deletions end. */
  #pruneLater = new Set<string>();
  #pruning: Promise<void> | undefined;
  /** The timer that starts the pruning once deletions have been quiet ({@link PRUNE_QUIET_MS}). */
  #pruneTimer: ReturnType<typeof setTimeout> | undefined;
  /** When the last background deletion ended (`performance.now()`). */
  #lastDiscardAt = 0;
  #lastBackend: Backend | undefined;
  #syncBatch: SyncBatch;

  private constructor(opts: CacheCoreOptions) {
    this.options = cacheOptionsFrom(opts.options);
    this.paths = new CachePaths(opts.cacheDir, opts.remoteName);
    const t = opts.tuning ?? {};
    this.#tuning = {
      retryMinMs: t.retryMinMs ?? 1000,
      retryMaxMs: t.retryMaxMs ?? 300_000,
      syncDeadlineMs: t.syncDeadlineMs ?? 600_000,
      closeDeadlineMs: t.closeDeadlineMs ?? 60_000,
      fsyncDeadlineMs: t.fsyncDeadlineMs ?? 60_000,
      fetchIdleMs: t.fetchIdleMs ?? 10_000,
      parallelUploads: t.parallelUploads ?? 4,
      syncBatchMs: t.syncBatchMs ?? 500,
      freeSpace: t.freeSpace,
    };
    this.#syncBatch = new SyncBatch(opts.cacheDir, this.#tuning.syncBatchMs);
    const batch = this.#syncBatch;
    // deno-lint-ignore no-this-alias
    const core = this;
    this.#ctx = {
      get backend() {
        return core.backend;
      },
      paths: this.paths,
      options: this.options,
      fetchIdleMs: this.#tuning.fetchIdleMs,
      deferSync: () => batch.request(),
      localMarks: false,
    };
    this.#queue = new UploadQueue<CacheItem>({
      delayMs: this.options.writeBackMs,
      retryMinMs: this.#tuning.retryMinMs,
      retryMaxMs: this.#tuning.retryMaxMs,
      parallel: this.#tuning.parallelUploads,
      upload: (item, signal) => this.#upload(item, signal),
      ready: (item) => item.writers === 0 && !this.#held.has(item),
      onError: (item, err, attempt, retryInMs) => {
        const wait = retryInMs < 1000 ? `${retryInMs}ms` : `${Math.round(retryInMs / 100) / 10}s`;
        const why = err instanceof Error ? err.message : String(err);
        const msg = `${item.path}: upload failed (attempt ${attempt}), retrying in ${wait}: ${why}`;
        this.#failing.set(item, msg);
        this.#lastError = msg;
        log.error(`vfs cache: ${msg}`);
      },
    });
    this.#host = {
      uploadAndWait: (item) => this.#uploadAndWait(item),
      syncDeferred: () => this.#syncDeferred(),
      released: (item, writable) => this.#released(item, writable),
    };
  }

  /**
   * Opens the cache under `cacheDir` for `opener`'s remote: checks every stored entry
   * (repairing or discarding partial ones), queues the uploads of files left dirty, and starts
   * the cleaner.
   */
  static async create(opts: CacheCoreOptions, opener: CacheOpener): Promise<CacheCore> {
    const core = new CacheCore(opts);
    core.attach(opener);
    await core.#load();
    core.#startCleaner();
    return core;
  }

  /** How long closing waits for uploads. */
  get closeDeadlineMs(): number {
    return this.#tuning.closeDeadlineMs;
  }

  /** The backend uploads and downloads use: the earliest opener's still attached. */
  get backend(): Backend {
    const b = this.#openers[0]?.backend ?? this.#lastBackend;
    if (!b) throw new FsError("vfs cache has no backend", Errno.EIO);
    return b;
  }

  /** Adds a user of this core. */
  attach(opener: CacheOpener): void {
    this.#openers.push(opener);
  }

  /** Removes a user; returns how many remain. */
  detach(opener: CacheOpener): number {
    this.#openers = this.#openers.filter((o) => o !== opener);
    if (this.#openers.length === 0) this.#lastBackend = opener.backend;
    return this.#openers.length;
  }

  async #load(): Promise<void> {
    await Deno.remove(this.paths.tmpDir, { recursive: true }).catch(() => {});
    await this.#spreadTrees();
    const marks = localMarksWork(this.paths.tmpDir);
    this.#ctx.localMarks = marks;
    if (!marks) {
      log.info(
        `vfs cache: ${this.paths.tmpDir}: file modes not kept; new files get metadata at close`,
      );
    }
    let requeued = 0;
    const foreign = new Set<string>();
    // Directories in the cache trees: where a stale one may sit at a new file's path.
    const noteDir = (root: string) => (dir: string) =>
      this.#items.noteDir(dir.slice(root.length + 1));
    for await (const file of walkFiles(this.paths.metaRoot, noteDir(this.paths.metaRoot))) {
      const path = this.paths.pathOfMeta(file)!;
      let meta;
      try {
        meta = await readMeta(file);
      } catch (err) {
        if (err instanceof IncompleteMetaError) {
          // A write in place cut short by a crash: a first metadata write (nothing was promised
          // for this file yet) or the clean state after an upload (the remote has the data).
          log.notice(`vfs cache: dropping ${path}: ${err.message}`);
          await Deno.remove(file).catch(() => {});
          continue;
        }
        // Not ours or damaged: leave it and its data alone rather than risk losing changes.
        log.notice(`vfs cache: ignoring unreadable cache entry ${path}: ${err}`);
        foreign.add(path);
        continue;
      }
      meta.path = path;
      let dataSize: number;
      try {
        dataSize = (await Deno.stat(this.paths.data(path))).size;
      } catch {
        if (meta.size === 0 && meta.dirty) {
          // An empty file's data file is created lazily and never fsynced: recreate it.
          await Deno.mkdir(dirname(this.paths.data(path)), { recursive: true });
          await Deno.writeFile(this.paths.data(path), new Uint8Array(0));
          dataSize = 0;
        } else {
          dataSize = -1;
        }
      }
      if (dataSize < 0) {
        if (meta.dirty) {
          log.error(`vfs cache: data of ${path} is missing from the cache: its changes are lost`);
        }
        await Deno.remove(file).catch(() => {});
        continue;
      }
      if (dataSize !== meta.size) {
        // A partial entry: only bytes the data file really holds count as present.
        meta.ranges = meta.ranges
          .map(([s, e]): [number, number] => [s, Math.min(e, dataSize)])
          .filter(([s, e]) => e > s);
        log.info(`vfs cache: repaired ${path} (data ${dataSize} bytes, expected ${meta.size})`);
      }
      const item = CacheItem.fromMeta(this.#ctx, meta);
      this.#items.set(path, item);
      if (dataSize !== meta.size) {
        await item.hold(() => item.saveMeta());
      }
      if (item.dirty) {
        this.#queue.schedule(item);
        requeued++;
      }
    }
    for await (const file of walkFiles(this.paths.dataRoot, noteDir(this.paths.dataRoot))) {
      const path = file.slice(this.paths.dataRoot.length + 1);
      if (this.#items.has(path) || foreign.has(path)) continue;
      const info = marks ? await Deno.lstat(file).catch(() => undefined) : undefined;
      if (info && hasLocalMark(info)) {
        // A new file closed (or fsynced) but not uploaded, recorded by its data file alone.
        const mtimeMs = info.mtime?.getTime() ?? Date.now();
        const item = CacheItem.fromMarkedData(this.#ctx, path, info.size, mtimeMs);
        this.#items.set(path, item);
        this.#queue.schedule(item);
        requeued++;
        continue;
      }
      log.debug(`vfs cache: removing orphan data file ${path}`);
      await Deno.remove(file).catch(() => {});
    }
    if (requeued > 0) {
      log.notice(`vfs cache: ${requeued} file(s) left dirty by a previous run queued for upload`);
    }
  }

  /**
   * Makes the roots of the data, metadata and temporary trees, each (and its parent, ours too)
   * marked as a top of directory hierarchies, so ext4 puts every directory cached below them,
   * and the temporary directory made afresh here, in a block group of its own rather than beside
   * recently deleted files (see `top_dirs.ts`). The marks are best effort.
   */
  async #spreadTrees(): Promise<void> {
    for (const root of [this.paths.dataRoot, this.paths.metaRoot, this.paths.tmpDir]) {
      for (const dir of [dirname(root), root]) {
        await Deno.mkdir(dir, { recursive: true });
        await markTopDir(dir);
      }
    }
  }

  #startCleaner(): void {
    const every = this.options.pollIntervalMs;
    if (every <= 0) return;
    const timer = setInterval(() => {
      this.clean().catch((err) => log.error(`vfs cache: cleaning failed: ${err}`));
    }, every);
    Deno.unrefTimer(timer);
    this.#cleaner = timer;
  }

  #checkOpen(): void {
    if (this.#closed) throw new FsError("vfs cache is closed", Errno.EIO);
  }

  /**
   * Opens `path` through the cache with Linux open(2) `flags`; `remote` is the remote's entry
   * (undefined if the file does not exist there). Clean cached data that no longer matches the
   * remote is dropped; a writable open without O_TRUNC fetches what it needs lazily.
   * `hooks.onRelease` runs once when the handle is released.
   */
  async open(
    path: string,
    flags: number,
    remote: Entry | undefined,
    hooks: { onRelease?: () => void } = {},
  ): Promise<CachedHandle> {
    this.#checkOpen();
    const backend = this.backend;
    if (remote?.isDir) throw new FsError(`Is a directory: ${JSON.stringify(path)}`, Errno.EISDIR);
    const acc = flags & O_ACCMODE;
    if (acc === O_ACCMODE) throw new InvalidError(`invalid open flags ${flags} for ${path}`);
    const truncate = (flags & O_TRUNC) !== 0;
    const append = (flags & O_APPEND) !== 0;
    const writable = acc === O_WRONLY || acc === O_RDWR || truncate;
    this.paths.data(path); // validates the path
    let item: CacheItem | undefined;
    let created = false;
    for (let attempt = 0; !item; attempt++) {
      let it = this.#items.get(path);
      created = false;
      if (
        it && !it.dirty && it.opens === 0 && !this.#queue.has(it) &&
        !it.matches(remote, backend.features.precisionMs)
      ) {
        it.reset(remote);
      }
      if (!it) {
        // Deletions of removed items' files may still run (at this path, above or below it).
        await this.#settleDiscards();
        await this.#clearConflicts(path);
        // Another open may have created it meanwhile.
        it = this.#items.get(path);
        if (!it) {
          it = CacheItem.create(this.#ctx, path, remote);
          this.#items.set(path, it);
          created = true;
        }
      }
      try {
        await it.open(writable);
      } catch (err) {
        if (created && this.#items.get(path) === it) this.#items.delete(path);
        throw err;
      }
      if (!it.removed) {
        item = it;
        break;
      }
      // Evicted or removed while we were opening it: start over with a fresh item.
      await it.close(writable).catch(() => {});
      if (attempt >= 3) {
        throw new FsError(`cache entry of ${JSON.stringify(path)} keeps disappearing`, Errno.EIO);
      }
    }
    try {
      if (writable) {
        this.#ephemeral.delete(item);
        item.ephemeral = false;
        if (truncate) await item.truncate(0);
        else if (!remote && !item.dirty) await item.markCreated();
        // An upload in flight is now stale; a new one follows the last close.
        if (this.#queue.has(item) && !this.#queue.isRunning(item)) await this.#queue.cancel(item);
      } else if (created && this.options.mode !== "full") {
        this.#ephemeral.add(item);
        item.ephemeral = true;
      }
    } catch (err) {
      await item.close(writable).catch(() => {});
      throw err;
    }
    return new CachedHandle(
      this.#host,
      item,
      { writable, append, onRelease: hooks.onRelease },
      newReadState(this.options),
    );
  }

  /**
   * Makes room for a new item at `path`: cached files where a parent directory of `path` must
   * be, or below `path`, are dropped (clean ones) or reported (open or dirty ones), and stale
   * directories left in the cache tree at `path` are removed (looked for only where cached
   * files once were below `path`: see `ItemIndex.wasDir`).
   */
  async #clearConflicts(path: string): Promise<void> {
    const others = [...this.#items.above(path), ...this.#items.within(path)];
    for (const other of others) {
      if (other.path === path) continue;
      const above = path.startsWith(`${other.path}/`);
      if (other.opens > 0 || other.dirty || this.#queue.has(other)) {
        throw new FsError(
          `cache conflict: ${JSON.stringify(other.path)} is in use in the cache`,
          above ? Errno.ENOTDIR : Errno.EISDIR,
        );
      }
      await this.#dropItem(other);
    }
    // A directory can only have been left at `path` where cached files once were below it.
    if (!this.#items.wasDir(path)) return;
    for (const file of [this.paths.data(path), this.paths.meta(path)]) {
      // A cheap local check: done synchronously, not through the thread pool.
      let isDir = false;
      try {
        isDir = Deno.lstatSync(file).isDirectory;
      } catch { /* absent */ }
      if (isDir) await Deno.remove(file, { recursive: true });
    }
  }

  /**
   * Removes the now empty directories above `path` in the data and metadata trees. Synchronous:
   * usually the first rmdir fails at once (ENOTEMPTY), cheaper than a blocking-pool round trip.
   */
  #prune(path: string): void {
    for (
      const [root, file] of [
        [this.paths.dataRoot, this.paths.data(path)],
        [this.paths.metaRoot, this.paths.meta(path)],
      ] as const
    ) {
      let dir = dirname(file);
      while (dir.length > root.length && dir.startsWith(root)) {
        try {
          Deno.removeSync(dir);
        } catch {
          break; // not empty (the usual case): stop climbing
        }
        dir = dirname(dir);
      }
    }
  }

  async #released(item: CacheItem, writable: boolean): Promise<void> {
    if (item.removed) return;
    if (writable && item.writers === 0 && item.dirty) {
      this.#queue.schedule(item);
    }
    if (item.opens === 0 && !item.dirty && this.#ephemeral.has(item)) {
      await this.#dropItem(item, { background: true });
    }
  }

  async #upload(item: CacheItem, signal: AbortSignal): Promise<void> {
    // A rename in progress holds the item: wait until its remote object has moved.
    while (this.#held.has(item) && !signal.aborted) await sleep(20);
    signal.throwIfAborted();
    if (item.removed || !item.dirty) return;
    const gen = item.gen;
    const path = item.path;
    // Fetch what the upload needs from the remote (nothing for a new file).
    if (!item.complete) await item.hold(() => item.ensure(0, item.size));
    signal.throwIfAborted();
    const { stream, size } = await item.openUploadStream();
    const mtimeMs = item.mtimeMs;
    const backend = this.backend;
    let entry = await backend.write(path, stream, { mtimeMs, size, signal });
    if (signal.aborted) {
      // Cancelled (rename, remove) but it landed anyway: the remote has the object at `path`
      // now, so say so, but keep the item dirty so it is uploaded again where it belongs.
      this.#notifyUploaded(path, entry);
      signal.throwIfAborted();
    }
    const precision = backend.features.precisionMs;
    if (
      Number.isFinite(precision) && Math.abs(entry.mtimeMs - mtimeMs) > Math.max(1, precision) &&
      backend.features.setModTime && backend.setModTime
    ) {
      await backend.setModTime(path, mtimeMs);
      entry = { ...entry, mtimeMs };
    }
    this.#failing.delete(item);
    if (this.#failing.size === 0) this.#lastError = undefined;
    // The hook runs first, so a listing never misses the file between pending and uploaded.
    this.#notifyUploaded(path, entry);
    await item.uploaded(gen, entry);
    log.info(`vfs cache: ${path}: uploaded ${size} bytes`);
  }

  #notifyUploaded(path: string, entry: Entry): void {
    for (const o of this.#openers) {
      try {
        o.onUploaded?.(path, entry);
      } catch (err) {
        log.error(`vfs cache: ${path}: upload hook failed: ${err}`);
      }
    }
  }

  /**
   * Waits until `targets` reached their generation on the remote; returns those that did not.
   * Uploads end roughly in queue order, so each wake-up checks the first target not done yet
   * and moves past those done since (not every target on every upload: a sync of thousands of
   * files would cost quadratic time); targets no longer queued are scheduled again by a sweep
   * every {@link RESCHEDULE_MS}.
   */
  async #waitUploaded(targets: [CacheItem, number][], deadline: number): Promise<CacheItem[]> {
    // An upload still running is waited out too: its clean state is written after cleanGen
    // moves (in place, off the JS thread), and the queue forgets the item only at its end.
    const done = ([item, gen]: [CacheItem, number]) =>
      item.removed || (item.cleanGen >= gen && !this.#queue.isRunning(item));
    let first = 0;
    let sweptAt = -Infinity;
    for (;;) {
      while (first < targets.length && done(targets[first]!)) first++;
      if (first === targets.length) return [];
      const now = Date.now();
      if (now >= deadline) {
        return targets.slice(first).filter((t) => !done(t)).map(([item]) => item);
      }
      if (now - sweptAt >= RESCHEDULE_MS) {
        sweptAt = now;
        for (let i = first; i < targets.length; i++) {
          const t = targets[i]!;
          if (!done(t) && !this.#queue.has(t[0])) {
            this.#queue.schedule(t[0], { delayMs: 0, force: true });
          }
        }
      }
      await Promise.race([
        this.#queue.changed(),
        sleep(Math.max(1, Math.min(RESCHEDULE_MS, deadline - now))),
      ]);
    }
  }

  #pendingReport(left: CacheItem[]): string {
    const names = left.slice(0, 5).map((i) => i.path).join(", ");
    return `${left.length} file(s) not uploaded yet (${names}${left.length > 5 ? ", …" : ""})`;
  }

  async #syncDeferred(): Promise<void> {
    if (this.#syncBatch.pending) await this.#syncBatch.flush();
  }

  async #uploadAndWait(item: CacheItem): Promise<void> {
    if (item.removed || !item.dirty) return;
    this.#queue.schedule(item, { delayMs: 0, force: true });
    const ms = this.#tuning.fsyncDeadlineMs;
    const left = await this.#waitUploaded([[item, item.gen]], Date.now() + ms);
    if (left.length > 0) {
      log.error(
        `vfs cache: fsync of ${item.path}: upload not finished after ${ms / 1000}s; ` +
          `the data is safe in the cache and the upload continues`,
      );
    }
  }

  /** Files not uploaded yet directly inside `dir`, to merge into listings. */
  pending(dir: string): Entry[] {
    const out: Entry[] = [];
    for (const item of this.#items.children(dir)) {
      if (item.dirty && !item.removed) out.push(item.entry());
    }
    return out;
  }

  /**
   * True if a file directly inside `dir` changes what a listing of `dir` shows: it has changes
   * not uploaded yet or is open (exactly the items {@link pendingEntry} and
   * {@link cachedSize} report). False lets a listing skip the per-entry overlay.
   */
  overlaysIn(dir: string): boolean {
    for (const item of this.#items.children(dir)) {
      if ((item.dirty && !item.removed) || item.opens > 0) return true;
    }
    return false;
  }

  /** The cached entry of `path` if it has changes not uploaded yet. */
  pendingEntry(path: string): Entry | undefined {
    const item = this.#items.get(path);
    return item && item.dirty && !item.removed ? item.entry() : undefined;
  }

  /**
   * Records a new modification time for `path`. Returns true when the cache owns the change (the
   * file is open for writing or waiting for upload: the time goes up with the data); false when
   * the caller must set it on the remote (a clean cached copy is kept valid for that time).
   */
  async setMtime(path: string, mtimeMs: number): Promise<boolean> {
    const item = this.#items.get(path);
    if (!item || item.removed) return false;
    if (item.dirty || item.writers > 0 || this.#queue.has(item)) {
      await item.setMtime(mtimeMs);
      if (item.writers === 0) this.#queue.schedule(item);
      await item.saveMeta();
      return true;
    }
    await item.adoptRemoteMtime(mtimeMs);
    return false;
  }

  /** Size of `path` as the cache sees it (open or dirty files), else undefined. */
  cachedSize(path: string): number | undefined {
    const item = this.#items.get(path);
    return item && (item.dirty || item.opens > 0) ? item.size : undefined;
  }

  /**
   * Drops `item` from the cache and deletes its files. With `background`, a clean item's files
   * are deleted after this returns (its pending or running upload is still cancelled first):
   * nothing is lost if a crash leaves them behind (a clean entry whose remote file is gone is
   * never used again: it no longer matches the remote), and every step that creates cache files
   * at a path waits for pending deletions first ({@link CacheCore.open}, `rename`, `close`). A
   * dirty item's files are always gone when this returns, so a crash cannot upload a removed
   * file again.
   */
  async #dropItem(item: CacheItem, opts: { background?: boolean } = {}): Promise<void> {
    // Out of the map and marked removed before any await, so no open can pick it up.
    if (this.#items.get(item.path) === item) this.#items.delete(item.path);
    this.#ephemeral.delete(item);
    this.#failing.delete(item);
    const background = opts.background === true && !item.dirty;
    item.markRemoved();
    const path = item.path;
    const cancelled = this.#queue.cancel(item);
    // A new item at the same path waits for this, so we never delete its files.
    const done: Promise<void> = (async () => {
      await cancelled;
      await item.discard({ background });
      if (background) this.#pruneLater.add(path);
      else if (!this.#items.has(path)) this.#prune(path);
    })().finally(() => {
      if (this.#discarding.get(path) === done) this.#discarding.delete(path);
      this.#lastDiscardAt = performance.now();
      if (this.#discarding.size === 0) this.#schedulePrune();
    });
    this.#discarding.set(path, done);
    if (!background) return await done;
    done.catch((err) => log.error(`vfs cache: removing the cache files of ${path}: ${err}`));
    await cancelled;
  }

  /**
   * Starts {@link #startPrune} once background deletions have been quiet for
   * {@link PRUNE_QUIET_MS}. An `rm -r` deletes file after file, each one alone in flight:
   * pruning after each of them would try (and fail) an rmdir of the same still full directories
   * for every file; this way each directory of the burst is tried once, when it ends. Whoever
   * creates cache files waits for the pruning ({@link #settleDiscards} starts it at once).
   */
  #schedulePrune(): void {
    if (this.#pruneTimer !== undefined || this.#pruneLater.size === 0) return;
    const arm = (ms: number) => {
      const timer = setTimeout(() => {
        this.#pruneTimer = undefined;
        const quietFor = performance.now() - this.#lastDiscardAt;
        if (this.#discarding.size > 0) return; // the last one to end schedules again
        if (quietFor < PRUNE_QUIET_MS) arm(PRUNE_QUIET_MS - quietFor);
        else this.#startPrune();
      }, ms);
      Deno.unrefTimer(timer);
      this.#pruneTimer = timer;
    };
    arm(PRUNE_QUIET_MS);
  }

  /**
   * Prunes the directories emptied by a burst of background deletions, once, in the blocking
   * pool: each directory is tried once (deepest first) rather than two synchronous rmdirs per
   * deleted file on the JS thread, where they would wait for the directory locks the deletions
   * hold. A directory that is not empty (the usual case) simply stays.
   */
  #startPrune(): void {
    if (this.#pruneTimer !== undefined) {
      clearTimeout(this.#pruneTimer);
      this.#pruneTimer = undefined;
    }
    if (this.#pruning || this.#pruneLater.size === 0) return;
    const run = async () => {
      while (this.#pruneLater.size > 0) {
        const dirs = new Set<string>();
        for (const path of this.#pruneLater) {
          if (this.#items.has(path)) continue;
          for (
            const [root, file] of [
              [this.paths.dataRoot, this.paths.data(path)],
              [this.paths.metaRoot, this.paths.meta(path)],
            ] as const
          ) {
            for (let d = dirname(file); d.length > root.length && d.startsWith(root);) {
              dirs.add(d);
              d = dirname(d);
            }
          }
        }
        this.#pruneLater.clear();
        // A directory's path is longer than its parent's: children go first.
        for (const dir of [...dirs].sort((a, b) => b.length - a.length)) {
          await Deno.remove(dir).catch(() => {});
        }
      }
    };
    this.#pruning = run().finally(() => {
      this.#pruning = undefined;
      if (this.#discarding.size === 0) this.#schedulePrune();
    });
  }

  /**
   * Waits until every background deletion of cache files ({@link CacheCore.remove}) and the
   * pruning of the directories they emptied are done.
   */
  async #settleDiscards(): Promise<void> {
    while (this.#discarding.size > 0 || this.#pruning || this.#pruneLater.size > 0) {
      // a pruning still waiting for quiet starts now
      if (this.#discarding.size === 0) this.#startPrune();
      await Promise.allSettled([...this.#discarding.values(), this.#pruning]);
    }
  }

  /**
   * Renames cached files at or below `from` (see `VfsCache.rename`): uploads are cancelled and
   * held, `remoteMove` runs, then the items move and their uploads are queued again.
   */
  async rename(from: string, to: string, remoteMove?: () => Promise<void>): Promise<void> {
    this.#checkOpen();
    if (from === to) return;
    const moves = this.#items.within(from);
    for (const item of moves) this.#held.add(item);
    try {
      for (const item of moves) {
        await this.#queue.cancel(item);
        if (item.dirty) {
          // Complete the local copy from the old remote object before the name changes.
          await item.hold(() => item.ensure(0, item.size));
        }
      }
      // The remote first: if it fails, the cache is unchanged. No upload runs meanwhile.
      if (remoteMove) await remoteMove();
      // A deletion still running at a target path must not hit the files moved there.
      await this.#settleDiscards();
      const dest = this.#items.get(to);
      if (dest && !moves.includes(dest)) await this.#dropItem(dest);
      for (const item of moves) {
        if (item.removed) continue;
        const target = to + item.path.slice(from.length);
        const other = this.#items.get(target);
        if (other && other !== item) await this.#dropItem(other);
        this.#items.delete(item.path);
        const old = item.path;
        await item.moveTo(target);
        this.#items.set(target, item);
        this.#prune(old);
      }
    } finally {
      for (const item of moves) {
        this.#held.delete(item);
        if (item.dirty && !item.removed && item.writers === 0) this.#queue.schedule(item);
      }
    }
  }

  /**
   * Removes a cached file (or every cached file below a directory) from the cache: a pending
   * upload is cancelled (a running one aborted and waited out), so it never lands. Open handles
   * keep working on the unlinked data. The remote object is the caller's to delete.
   */
  async remove(path: string): Promise<void> {
    this.#checkOpen();
    const victims = this.#items.within(path);
    // The files of clean items go in the background: an `rm -r` need not wait for two unlinks
    // and two directory prunes per file.
    for (const item of victims) await this.#dropItem(item, { background: true });
  }

  /**
   * Uploads every dirty file now and waits until they are on the remote. On the deadline
   * (default `syncDeadlineMs`) it logs the files still pending and throws an ETIMEDOUT
   * FsError; those files stay queued and in the cache.
   */
  async sync(opts: { deadlineMs?: number } = {}): Promise<void> {
    const targets: [CacheItem, number][] = [];
    for (const item of this.#items.values()) {
      if (!item.dirty || item.removed) continue;
      await item.persist(item.opens > 0).catch(() => {});
      targets.push([item, item.gen]);
      this.#queue.schedule(item, { delayMs: 0, force: true });
    }
    await this.#syncDeferred().catch((err) => log.error(`vfs cache: ${err}`));
    const ms = opts.deadlineMs ?? this.#tuning.syncDeadlineMs;
    const left = await this.#waitUploaded(targets, Date.now() + ms);
    if (left.length > 0) {
      const msg = `vfs cache: sync gave up after ${ms / 1000}s: ${this.#pendingReport(left)}; ` +
        `they stay in the cache and their uploads continue${
          this.#lastError ? ` (last error: ${this.#lastError})` : ""
        }`;
      log.error(msg);
      throw new FsError(msg, Errno.ETIMEDOUT);
    }
  }

  /** The cache state: dirty files and bytes, uploads in flight, bytes cached, last error. */
  stats(): VfsCacheStats {
    let dirtyFiles = 0;
    let dirtyBytes = 0;
    let cacheBytes = 0;
    for (const item of this.#items.values()) {
      if (item.removed) continue;
      cacheBytes += item.presentBytes;
      if (item.dirty) {
        dirtyFiles++;
        dirtyBytes += item.size;
      }
    }
    const s: VfsCacheStats = {
      dirtyFiles,
      dirtyBytes,
      uploadsInFlight: this.#queue.inFlight,
      cacheBytes,
    };
    if (this.#lastError !== undefined) s.lastError = this.#lastError;
    return s;
  }

  /** Runs the cleaner once: evicts by age, size and free space, sparing open and dirty files. */
  clean(): Promise<void> {
    if (!this.#cleaning) {
      this.#cleaning = this.#clean().finally(() => (this.#cleaning = undefined));
    }
    return this.#cleaning;
  }

  async #clean(): Promise<void> {
    if (this.#closed) return;
    const o = this.options;
    let free: number | undefined;
    if (o.minFreeSpace > 0) {
      const fn = this.#tuning.freeSpace ?? freeSpace;
      await Deno.mkdir(this.paths.dataRoot, { recursive: true });
      free = await fn(this.paths.dataRoot).catch((err) => {
        log.error(`vfs cache: ${err}`);
        return undefined;
      });
    }
    const candidates = [...this.#items.values()].filter((i) => !i.removed).map((item) => ({
      key: item,
      bytes: item.presentBytes,
      atimeMs: item.atimeMs,
      busy: item.opens > 0 || item.dirty || this.#queue.has(item),
    }));
    const victims = planEviction(candidates, o, Date.now(), free);
    for (const item of victims) {
      // Re-check: the item may have been opened while we looked at free space.
      if (item.opens > 0 || item.dirty || this.#queue.has(item)) continue;
      log.debug(`vfs cache: evicting ${item.path}`);
      await this.#dropItem(item);
    }
  }

  /**
   * Shuts the cache down: waits for pending uploads up to the close deadline (logging any left,
   * which stay queued on disk for the next run), then stops timers and downloads.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#cleaner !== undefined) clearInterval(this.#cleaner);
    await this.#cleaning?.catch(() => {});
    try {
      await this.sync({ deadlineMs: this.#tuning.closeDeadlineMs });
    } catch {
      // Logged by sync; the files stay dirty on disk and are uploaded on the next open.
    }
    this.#closed = true;
    await this.#queue.close();
    await this.#settleDiscards();
    for (const item of this.#items.values()) await item.shutdown();
    this.#items.clear();
  }
}

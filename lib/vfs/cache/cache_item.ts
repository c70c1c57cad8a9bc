/**
 * @module
 * One cached file: a sparse data file whose present byte ranges are tracked, plus its metadata.
 * Reads fetch only the missing ranges from the remote (chunked, growing or parallel for
 * sequential readers, exact for random ones); writes land in the data file and make the item
 * dirty. When stored metadata says the cached data is clean, the dirty flag reaches disk
 * (durably) before the first byte of a change, so a crash never leaves changed data that looks
 * clean; a new item has no stored metadata, so its first write needs no such step (a crash
 * before its first close leaves only an orphan data file, removed when the cache is opened).
 * {@link CacheItem.persist} writes data and metadata so that a killed process cannot lose them
 * (close(2)), durably at once (fsync(2)), or leaves the fsync to a batched sync (`SyncBatch`).
 * An empty item's data file is created only by its first write.
 *
 * A new local file (no remote source, no stored metadata, every byte present) is recorded at
 * close(2) without metadata: its data file gets the owner-execute bit ({@link LOCAL_MARK}) and
 * the item's modification time, which is all the cache needs to upload it after a crash (see
 * `CacheItem.fromMarkedData`). That spares one file creation per new file, the costliest step
 * of writing many small files. The mark is cleared once the data has a remote copy (before
 * the clean state is stored), and a marked data file is deleted before its metadata, so a crash
 * never leaves a mark that would upload stale or removed data. A file closed while written to
 * again afterwards is uploaded as found after a crash (as a dirty entry with metadata is). The
 * marks are used only where a probe at start-up shows the file system keeps mode bits.
 *
 * A write may also be accepted synchronously ({@link CacheItem.acceptWrite}) and stored right
 * after the writer has been answered; a failure to store it is a sticky error that later
 * writes, close(2) and fsync(2) report.
 */

import { dirName as dirname, joinPath as join } from "../../util/os_path.ts";
import type { Backend, Entry } from "../../backends/backend.ts";
import { Errno, errnoOf, FsError } from "../../errors.ts";
import { log } from "../../util/log.ts";
import type { AcceptedWrite } from "../handle.ts";
import type { CacheOptions } from "./cache_options.ts";
import type { CachePaths } from "./cache_paths.ts";
import {
  type Fingerprint,
  fingerprintOf,
  type ItemMeta,
  sameFingerprint,
  writeMeta,
} from "./item_meta.ts";
import { RangeFetch } from "./range_fetch.ts";
import { RangeSet } from "./ranges.ts";

/** What an item needs from its cache. */
export interface ItemContext {
  /** The remote. */
  backend: Backend;
  /** On-disk layout. */
  paths: CachePaths;
  /** Cache options. */
  options: CacheOptions;
  /** Idle time after which a paced fetch stops (default {@link RangeFetch}'s). */
  fetchIdleMs?: number;
  /**
   * Asks for a batched sync of the cache's file system (see `SyncBatch`); without it, deferred
   * persists are made durable at once.
   */
  deferSync?: () => void;
  /**
   * Whether closed new files may be recorded by marking their data files
   * ({@link LOCAL_MARK}) instead of writing their first metadata.
   */
  localMarks?: boolean;
}

/** Per-handle read state: sequential detection and the growing chunk size. */
export interface ReadState {
  /** End of the handle's previous read; a read starting here is sequential. */
  lastEnd: number;
  /** Size of the next sequential chunk. */
  chunkSize: number;
}

/** A fresh read state for a new handle. */
export function newReadState(options: CacheOptions): ReadState {
  return { lastEnd: 0, chunkSize: options.chunkSize > 0 ? options.chunkSize : Infinity };
}

const MIN_WINDOW = 1024 * 1024;

let unlinkedCounter = 0;

/**
 * The mode bit that marks a data file as a new local file not uploaded yet (owner execute: data
 * files are created without execute bits, and no umask clears the owner's).
 */
export const LOCAL_MARK = 0o100;

/** Whether a data file's stat carries {@link LOCAL_MARK}. */
export function hasLocalMark(info: Deno.FileInfo): boolean {
  return info.isFile && ((info.mode ?? 0) & LOCAL_MARK) !== 0;
}

/**
 * Whether the file system under `dir` keeps the mode bits the cache sets (a probe file in `dir`,
 * which must exist): without that, data files are never marked and marks are not trusted.
 */
export function localMarksWork(dir: string): boolean {
  const probe = join(dir, `mark-probe-${Deno.pid}-${++unlinkedCounter}`);
  try {
    using f = Deno.openSync(probe, { write: true, create: true, truncate: true, mode: 0o600 });
    Deno.chmodSync(probe, 0o600);
    const plain = f.statSync().mode ?? -1;
    Deno.chmodSync(probe, 0o600 | LOCAL_MARK);
    const marked = f.statSync().mode ?? -1;
    return (plain & 0o777) === 0o600 && (marked & 0o777) === (0o600 | LOCAL_MARK);
  } catch {
    return false;
  } finally {
    try {
      Deno.removeSync(probe);
    } catch { /* never created */ }
  }
}

/** Files up to this size are read for an upload in one synchronous read. */
const SMALL_UPLOAD = 64 * 1024;

/** The last content version handed out (see {@link CacheItem.contentVersion}). */
let contentVersions = 0;

/** A read starting this close to where the previous one ended still counts as sequential. */
const SEQUENTIAL_SLACK = 256 * 1024;

/** One cached file. */
export class CacheItem {
  #ctx: ItemContext;
  #path: string;
  #size: number;
  #mtimeMs: number;
  #atimeMs: number;
  #fingerprint: Fingerprint | null;
  #sourceSize: number;
  #ranges: RangeSet;
  #gen: number;
  #cleanGen: number;
  #file: Deno.FsFile | undefined;
  #fileUsers = 0;
  #opens = 0;
  #writers = 0;
  #fetches: RangeFetch[] = [];
  #waiters = new Set<() => void>();
  #removed = false;
  #dirtySaved: Promise<void> | undefined;
  /** Whether {@link #dirtySaved} has resolved: the dirty state it stores is on disk. */
  #dirtyReady = false;
  /**
   * The failure of a write that was accepted before it was stored ({@link acceptWrite}): sticky
   * until the last writable handle closes, reported by every write, flush and fsync until then.
   */
  #writeError: FsError | undefined;
  #saveChain: Promise<void> = Promise.resolve();
  /** Metadata changed since it was last saved. */
  #metaDirty = false;
  /** The access time in the last saved metadata. */
  #savedAtimeMs: number;
  #ephemeral = false;
  /** Data written since the last fdatasync. */
  #dataDirty = false;
  /**
   * Whether metadata of this item may be on disk. A new item has none, so nothing on disk can
   * claim its data is clean, and the first change need not store the dirty flag beforehand.
   */
  #metaOnDisk: boolean;
  /** Whether the data file may carry {@link LOCAL_MARK}. */
  #marked = false;
  /** See {@link contentVersion}. */
  #contentVersion = ++contentVersions;

  private constructor(ctx: ItemContext, meta: ItemMeta, stored: boolean) {
    this.#ctx = ctx;
    this.#path = meta.path;
    this.#size = meta.size;
    this.#mtimeMs = meta.mtimeMs;
    this.#atimeMs = meta.atimeMs;
    this.#savedAtimeMs = stored ? meta.atimeMs : -1;
    this.#fingerprint = meta.fingerprint;
    this.#sourceSize = Math.min(meta.sourceSize, meta.size);
    this.#ranges = new RangeSet(meta.ranges);
    this.#ranges.truncate(meta.size);
    this.#gen = meta.dirty ? 1 : 0;
    this.#cleanGen = 0;
    if (meta.dirty) {
      this.#dirtySaved = Promise.resolve();
      this.#dirtyReady = true;
    }
    this.#metaOnDisk = stored;
    // Stored metadata of a new local file: its data file may have been marked before.
    this.#marked = stored && meta.fingerprint === null;
  }

  /** An item restored from stored metadata (the data file must exist). */
  static fromMeta(ctx: ItemContext, meta: ItemMeta): CacheItem {
    return new CacheItem(ctx, meta, true);
  }

  /**
   * A new local file found as a marked data file ({@link LOCAL_MARK}) of `size` bytes whose
   * modification time is `mtimeMs`, left by a process that stopped before uploading it: dirty,
   * every byte present, no metadata stored yet.
   */
  static fromMarkedData(ctx: ItemContext, path: string, size: number, mtimeMs: number): CacheItem {
    const item = new CacheItem(ctx, {
      version: 1,
      path,
      size,
      mtimeMs,
      atimeMs: Date.now(),
      dirty: true,
      fingerprint: null,
      sourceSize: 0,
      ranges: size > 0 ? [[0, size]] : [],
    }, false);
    item.#marked = true;
    return item;
  }

  /** A new item for `path`: a copy of the remote `entry`, or an empty new file if undefined. */
  static create(ctx: ItemContext, path: string, entry: Entry | undefined): CacheItem {
    const now = Date.now();
    return new CacheItem(ctx, {
      version: 1,
      path,
      size: entry?.size ?? 0,
      mtimeMs: entry?.mtimeMs ?? now,
      atimeMs: now,
      dirty: false,
      fingerprint: entry ? fingerprintOf(entry) : null,
      sourceSize: entry?.size ?? 0,
      ranges: [],
    }, false);
  }

  /** Remote path. */
  get path(): string {
    return this.#path;
  }
  /** Size in bytes. */
  get size(): number {
    return this.#size;
  }
  /** Modification time (ms). */
  get mtimeMs(): number {
    return this.#mtimeMs;
  }
  /** Last access (ms). */
  get atimeMs(): number {
    return this.#atimeMs;
  }
  /** The remote version the clean data came from. */
  get fingerprint(): Fingerprint | null {
    return this.#fingerprint;
  }
  /** Modification counter; the item is dirty while it is above {@link cleanGen}. */
  get gen(): number {
    return this.#gen;
  }
  /** The generation last uploaded. */
  get cleanGen(): number {
    return this.#cleanGen;
  }
  /**
   * An identity of the item's bytes, unique across all items of the process: a new item gets a
   * new one, and so does every change of its data (each stored write, even one that fails, each
   * truncate, a reset to a new remote version). Equal values mean the data read through the
   * item has not changed in between (fetching missing ranges fills in the same remote version,
   * and a rename keeps it). The FUSE adapter keeps the kernel's page cache of a file across
   * opens only while this stays the same.
   */
  get contentVersion(): number {
    return this.#contentVersion;
  }
  /** Whether local changes wait for upload. */
  get dirty(): boolean {
    return this.#gen > this.#cleanGen;
  }
  /** Number of open handles. */
  get opens(): number {
    return this.#opens;
  }
  /** Number of open handles that may write. */
  get writers(): number {
    return this.#writers;
  }
  /** Bytes present in the data file. */
  get presentBytes(): number {
    return this.#ranges.bytes;
  }
  /** Whether the item was removed (open handles keep working on the unlinked data). */
  get removed(): boolean {
    return this.#removed;
  }
  /**
   * Whether the cache drops this item at its last close while clean (a read-only open of a
   * file not cached yet in mode `writes`): its metadata is then not saved at that close.
   */
  get ephemeral(): boolean {
    return this.#ephemeral;
  }
  set ephemeral(on: boolean) {
    this.#ephemeral = on;
  }
  /** The present ranges (a copy). */
  ranges(): [number, number][] {
    return this.#ranges.toArray();
  }

  /** The item as a backend-style entry (for listings of files not yet uploaded). */
  entry(): Entry {
    return { path: this.#path, isDir: false, size: this.#size, mtimeMs: this.#mtimeMs };
  }

  /** The metadata to store. */
  toMeta(): ItemMeta {
    return {
      version: 1,
      path: this.#path,
      size: this.#size,
      mtimeMs: this.#mtimeMs,
      atimeMs: this.#atimeMs,
      dirty: this.dirty,
      fingerprint: this.#fingerprint,
      sourceSize: this.#sourceSize,
      ranges: this.#ranges.toArray(),
    };
  }

  /**
   * Saves the metadata (writes are queued so a newer state is never overwritten by an older).
   * `durable: false` skips the fsyncs, for states that are safe to lose in a crash;
   * `disposable` overwrites in place off the JS thread, for entries a crash may drop entirely
   * (see `writeMeta`).
   */
  saveMeta(opts: { durable?: boolean; disposable?: boolean } = {}): Promise<void> {
    const run = async () => {
      if (this.#removed) return;
      this.#metaDirty = false;
      this.#savedAtimeMs = this.#atimeMs;
      try {
        const p = this.#ctx.paths;
        const fresh = !this.#metaOnDisk;
        this.#metaOnDisk = true;
        await writeMeta(p.meta(this.#path), p.tmpDir, this.toMeta(), { ...opts, fresh });
      } catch (err) {
        this.#metaDirty = true;
        throw err;
      }
    };
    const p = this.#saveChain.then(run, run);
    this.#saveChain = p.catch(() => {});
    return p;
  }

  /** Registers an open handle. */
  async open(writable: boolean): Promise<void> {
    await this.#acquireFile();
    this.#opens++;
    if (writable) this.#writers++;
    this.#atimeMs = Date.now();
  }

  /** Unregisters a handle; the last one stops read-ahead and saves the metadata. */
  async close(writable: boolean): Promise<void> {
    this.#opens--;
    if (writable) this.#writers--;
    // Every writer has been told (at its flush) about a failed accepted write.
    if (this.#writers === 0) this.#writeError = undefined;
    if (this.#opens === 0) {
      for (const f of this.#fetches) if (f.paced) f.abort();
    }
    try {
      const dropped = this.#ephemeral && !this.dirty; // about to be deleted: nothing to save
      if (this.#opens === 0 && !this.#removed && !dropped) {
        await this.persist(this.dirty, { defer: true });
      }
    } finally {
      this.#releaseFile();
    }
  }

  /** Whether the cached data may be used for the remote `entry` (clean items only). */
  matches(entry: Entry | undefined, precisionMs: number): boolean {
    if (!entry || !this.#fingerprint) return false;
    return sameFingerprint(fingerprintOf(entry), this.#fingerprint, precisionMs);
  }

  /** Drops the cached data and starts over as a copy of `entry` (clean items only). */
  reset(entry: Entry | undefined): void {
    this.#contentVersion = ++contentVersions;
    for (const f of this.#fetches) f.abort();
    this.#fetches = [];
    this.#ranges = new RangeSet();
    this.#fingerprint = entry ? fingerprintOf(entry) : null;
    this.#size = entry?.size ?? 0;
    this.#sourceSize = this.#size;
    this.#mtimeMs = entry?.mtimeMs ?? Date.now();
    this.#metaDirty = true;
    if (this.#file) {
      this.#file.truncateSync(0);
      this.#file.truncateSync(this.#size);
    }
  }

  /**
   * Opens the data file now, creating it and its directory as needed (local, cheap calls, made
   * synchronously to spare a thread-pool round trip each). The data of an item removed while
   * open goes to an anonymous file instead, never back into the cache tree.
   */
  #openFileSync(): Deno.FsFile {
    if (this.#file) return this.#file;
    let f: Deno.FsFile | undefined;
    if (this.#removed) {
      const tmpDir = this.#ctx.paths.tmpDir;
      Deno.mkdirSync(tmpDir, { recursive: true });
      const tmp = join(tmpDir, `unlinked-${Deno.pid}-${++unlinkedCounter}`);
      f = Deno.openSync(tmp, { read: true, write: true, create: true, truncate: true });
      Deno.removeSync(tmp);
    } else {
      const file = this.#ctx.paths.data(this.#path);
      // Create the directory only when it is missing. The cleaner may remove the (empty)
      // directory between mkdir and open: try once more.
      for (let attempt = 0; !f; attempt++) {
        try {
          f = Deno.openSync(file, { read: true, write: true, create: true });
        } catch (err) {
          if (!(err instanceof Deno.errors.NotFound) || attempt >= 2) throw err;
          Deno.mkdirSync(dirname(file), { recursive: true });
        }
      }
    }
    this.#file = f;
    if (f.statSync().size !== this.#size) f.truncateSync(this.#size);
    return f;
  }

  /**
   * Registers a user of the data file and opens it, except for an empty item: there is nothing
   * to read, so its data file is only created by the first write or growing truncate (a new
   * empty file then costs one file creation in the cache, its metadata, not two).
   */
  // deno-lint-ignore require-await
  async #acquireFile(): Promise<void> {
    this.#fileUsers++;
    if (this.#size === 0) return;
    try {
      this.#openFileSync();
    } catch (err) {
      this.#fileUsers--;
      throw err;
    }
  }

  #releaseFile(): void {
    this.#fileUsers--;
    if (this.#fileUsers === 0 && this.#file) {
      this.#file.close();
      this.#file = undefined;
    }
  }

  #notify(): void {
    const ws = [...this.#waiters];
    this.#waiters.clear();
    for (const w of ws) w();
  }

  #progress(): Promise<void> {
    return new Promise((resolve) => this.#waiters.add(resolve));
  }

  /** Missing bytes of `[start, end)` that must come from the remote. */
  #missing(start: number, end: number): [number, number][] {
    return this.#ranges.missing(start, Math.min(end, this.#size, this.#sourceSize));
  }

  #pwrite(offset: number, data: Uint8Array): void {
    const f = this.#file!;
    f.seekSync(offset, Deno.SeekMode.Start);
    let done = 0;
    while (done < data.length) done += f.writeSync(data.subarray(done));
  }

  #pread(offset: number, length: number): Uint8Array {
    const f = this.#file!;
    const buf = new Uint8Array(length);
    f.seekSync(offset, Deno.SeekMode.Start);
    let done = 0;
    while (done < length) {
      const n = f.readSync(buf.subarray(done));
      if (n === null || n === 0) break;
      done += n;
    }
    return buf;
  }

  /** Stores fetched bytes where the data is still missing (local writes always win). */
  #deliver(offset: number, data: Uint8Array): boolean {
    if (!this.#file) return false;
    const end = offset + data.length;
    for (const [s, e] of this.#missing(offset, end)) {
      this.#pwrite(s, data.subarray(s - offset, e - offset));
      this.#ranges.add(s, e);
      this.#metaDirty = true;
      this.#dataDirty = true;
    }
    this.#notify();
    return true;
  }

  #startFetch(start: number, end: number, demand: number | undefined): RangeFetch {
    const f = new RangeFetch(
      this.#ctx.backend,
      this.#path,
      { start, end, demand },
      { deliver: (o, d) => this.#deliver(o, d) && this.#missing(o + d.length, end).length > 0 },
      this.#ctx.fetchIdleMs,
    );
    this.#fetches.push(f);
    this.#fileUsers++;
    f.done.finally(() => {
      this.#fetches = this.#fetches.filter((x) => x !== f);
      this.#releaseFile();
      this.#notify();
    }).catch(() => {});
    return f;
  }

  /** Parts of `[start, end)` not present and not being fetched by a running fetch. */
  #uncovered(start: number, end: number): [number, number][] {
    const gaps = this.#missing(start, end);
    if (gaps.length === 0) return gaps;
    // Few fetches run at once: subtract their windows from the (few) gaps of this window only.
    const running = new RangeSet();
    for (const f of this.#fetches) if (!f.finished) running.add(f.pos, f.reach);
    if (running.empty) return gaps;
    return gaps.flatMap(([s, e]) => running.missing(s, e));
  }

  /** Starts the fetches a read of `[start, end)` needs, with read-ahead for sequential reads. */
  #plan(start: number, end: number, rs: ReadState | undefined): void {
    const o = this.#ctx.options;
    if (!rs) {
      for (const [s, e] of this.#uncovered(start, end + o.readAhead)) {
        this.#startFetch(s, e, undefined);
      }
      return;
    }
    const window = Math.max(o.bufferSize, o.readAhead, MIN_WINDOW);
    const streams = o.chunkStreams;
    if (streams > 0) {
      const chunk = o.chunkSize > 0 ? o.chunkSize : Infinity;
      const ahead = end + Math.max(window, Number.isFinite(chunk) ? streams * chunk : 0);
      let live = this.#fetches.filter((f) => !f.finished && f.end > start).length;
      for (const [s, e] of this.#uncovered(start, ahead)) {
        for (let a = s; a < e && live < streams; a += chunk) {
          this.#startFetch(a, Math.min(e, a + chunk), undefined);
          live++;
        }
      }
      return;
    }
    for (const f of this.#fetches) {
      // Only the fetches serving this reader: near its position, not another reader's far behind.
      if (f.paced && f.pos >= start - window && f.start < end + window && f.end > start) {
        f.raiseDemand(end + window);
      }
    }
    const gaps = this.#uncovered(start, end + window);
    const first = gaps[0];
    if (!first) return;
    const s = first[0];
    const e = Math.min(this.#sourceSize, s + rs.chunkSize);
    this.#startFetch(s, e, end + window);
    if (o.chunkStreams === 0 && Number.isFinite(rs.chunkSize)) {
      const limit = o.chunkSizeLimit;
      const next = rs.chunkSize * 2;
      rs.chunkSize = limit < 0 ? next : Math.max(rs.chunkSize, Math.min(next, limit));
    }
  }

  /** Whether a read-ahead fetch is running near `[start, end)`. */
  #streaming(start: number, end: number): boolean {
    const o = this.#ctx.options;
    const window = Math.max(o.bufferSize, o.readAhead, MIN_WINDOW);
    return this.#fetches.some((f) =>
      !f.finished && f.pos >= start - window && f.start < end + window && f.end > start
    );
  }

  /**
   * Makes `[start, end)` present, fetching what is missing: with `rs` (a sequential reader's
   * state) in growing or parallel chunks with read-ahead, without it exactly the gaps.
   */
  async ensure(start: number, end: number, rs?: ReadState): Promise<void> {
    let stalls = 0;
    let lastGap = -1;
    // A sequential reader keeps its read-ahead stream going even while it reads what is present.
    if (rs && this.#streaming(start, end)) this.#plan(start, end, rs);
    for (;;) {
      const gaps = this.#missing(start, end);
      const gap = gaps[0];
      if (!gap) return;
      const covered = this.#fetches.some((f) =>
        !f.finished && f.start <= gap[0] && gap[0] < f.reach
      );
      if (!covered) {
        // A new fetch is needed; the same gap needing one again means the remote fell short.
        if (gap[0] === lastGap) {
          if (++stalls > 2) {
            throw new FsError(
              `short read from the remote for ${JSON.stringify(this.#path)} at offset ${gap[0]}`,
              Errno.EIO,
            );
          }
        } else {
          stalls = 0;
          lastGap = gap[0];
        }
      }
      this.#plan(start, end, rs);
      const relevant = this.#fetches.filter((f) => f.start < end && f.end > gap[0]);
      try {
        await Promise.race([this.#progress(), ...relevant.map((f) => f.done)]);
      } catch (err) {
        throw new FsError(
          `reading ${JSON.stringify(this.#path)} from the remote failed: ${String(err)}`,
          Errno.EIO,
          { cause: err },
        );
      }
    }
  }

  /** Reads up to `length` bytes at `offset`, fetching missing data. */
  async read(offset: number, length: number, rs?: ReadState): Promise<Uint8Array> {
    if (offset >= this.#size || length <= 0) return new Uint8Array(0);
    const end = Math.min(this.#size, offset + length);
    const sequential = rs !== undefined &&
      (rs.lastEnd === 0 ? offset === 0 : Math.abs(offset - rs.lastEnd) <= SEQUENTIAL_SLACK);
    if (rs) rs.lastEnd = Math.max(end, sequential ? rs.lastEnd : 0);
    await this.#acquireFile();
    try {
      await this.ensure(offset, end, sequential ? rs : undefined);
      this.#atimeMs = Date.now();
      const stop = Math.min(end, this.#size);
      return stop > offset ? this.#pread(offset, stop - offset) : new Uint8Array(0);
    } finally {
      this.#releaseFile();
    }
  }

  /** Marks the item dirty; the first time, the dirty flag is stored before any data changes. */
  async #markDirty(): Promise<void> {
    if (!this.dirty || !this.#dirtySaved) {
      this.#gen++;
      // Stored metadata that says "clean" must say "dirty" before the data changes; with no
      // stored metadata, a crash leaves only an orphan data file (removed on the next open).
      const saved = this.#metaOnDisk ? this.saveMeta() : Promise.resolve();
      this.#dirtySaved = saved;
      this.#dirtyReady = !this.#metaOnDisk;
      if (!this.#dirtyReady) {
        saved.then(() => {
          if (this.#dirtySaved === saved) this.#dirtyReady = true;
        }, () => {});
      }
      this.#metaDirty = true;
    } else {
      this.#gen++;
    }
    await this.#dirtySaved;
  }

  /** Marks a newly created file dirty so that it is uploaded even if nothing is written. */
  async markCreated(): Promise<void> {
    await this.#markDirty();
  }

  /**
   * Writes `data` at `offset` (an open handle is required). Returns the bytes written. `data` is
   * written to the cache file before the promise settles and never kept afterwards (callers may
   * reuse its buffer then). Fails with the sticky error of an earlier accepted write that could
   * not be stored ({@link acceptWrite}).
   */
  async write(offset: number, data: Uint8Array): Promise<number> {
    this.#throwWriteError();
    await this.#markDirty();
    this.#throwWriteError();
    if (this.#fileUsers === 0) {
      throw new FsError(`write to a closed cache item ${this.#path}`, Errno.EBADF);
    }
    this.#openFileSync();
    this.#store(offset, data);
    return data.length;
  }

  /**
   * Accepts a write synchronously when nothing about it needs waiting for: an open handle, the
   * dirty state already on disk (no metadata write pending), the data file open. Returns the
   * byte count and a `commit` that stores the data; undefined when the write must take the
   * async path ({@link write}). Throws the sticky error of an earlier failed commit.
   *
   * The caller replies before it calls `commit`, in the same JS turn (no other request can be
   * handled in between, so reads, truncates, flushes and fsyncs still see the write). The
   * changed guarantee: write(2) may return before the bytes are in the cache file. A `commit`
   * that fails (ENOSPC, EIO) never throws: it records a sticky error, logged once, which every
   * later write, flush (close(2)) and fsync of the file reports until its last writable handle
   * closes, as Linux reports a failed write-back. The failed bytes are never recorded as
   * present nor extend the size: what is uploaded is what was stored, the same as after a write
   * that failed synchronously. Nothing that close(2) or fsync(2) returned success for is lost.
   */
  acceptWrite(offset: number, data: Uint8Array): AcceptedWrite | undefined {
    this.#throwWriteError();
    // #dirtyReady is only ever true with #dirtySaved set (and resolved)
    if (!this.dirty || !this.#dirtyReady || this.#fileUsers === 0) {
      return undefined;
    }
    this.#openFileSync();
    return { count: data.length, commit: () => this.#commit(offset, data) };
  }

  /** Stores an accepted write; a failure becomes the sticky write error. */
  #commit(offset: number, data: Uint8Array): void {
    try {
      this.#store(offset, data);
    } catch (err) {
      const e = new FsError(
        `writing ${data.length} bytes at ${offset} of ${JSON.stringify(this.#path)} to the ` +
          `cache failed: ${(err as Error)?.message ?? err}`,
        errnoOf(err),
        { cause: err },
      );
      this.#writeError = e;
      log.error(`vfs cache: ${e.message} (reported at the next write, close or fsync)`);
    }
  }

  /** Throws the sticky error of a failed accepted write, if any. */
  #throwWriteError(): void {
    if (this.#writeError) throw this.#writeError;
  }

  /**
   * The sticky error of an accepted write that could not be stored (see {@link acceptWrite}),
   * until the last writable handle closes.
   */
  get writeError(): FsError | undefined {
    return this.#writeError;
  }

  /**
   * Writes `data` at `offset` into the open data file and records it (present, size, times).
   * A failed write records nothing; what it may have written past the end is cut off, so a
   * later growing truncate reads zeros there, not part of the failed write.
   */
  #store(offset: number, data: Uint8Array): void {
    this.#gen++;
    // before the write: a failed one may have changed part of the data file (and the
    // kernel's page cache may hold the bytes of an accepted write that then failed)
    this.#contentVersion = ++contentVersions;
    this.#metaDirty = true;
    this.#dataDirty = true;
    try {
      this.#pwrite(offset, data);
    } catch (err) {
      if (offset + data.length > this.#size) {
        try {
          this.#file!.truncateSync(this.#size);
        } catch { /* the write's error is the one to report */ }
      }
      throw err;
    }
    if (offset > this.#size) this.#ranges.add(this.#size, offset);
    this.#ranges.add(offset, offset + data.length);
    this.#size = Math.max(this.#size, offset + data.length);
    this.#mtimeMs = Date.now();
    this.#atimeMs = this.#mtimeMs;
  }

  /** Changes the size (an open handle is required); growth reads as zeros. */
  async truncate(size: number): Promise<void> {
    await this.#markDirty();
    if (this.#fileUsers === 0) {
      throw new FsError(`truncate of a closed cache item ${this.#path}`, Errno.EBADF);
    }
    this.#gen++;
    this.#contentVersion = ++contentVersions;
    this.#metaDirty = true;
    this.#dataDirty = true;
    // An empty item truncated to zero needs no data file (a stale one is cut when opened).
    if (size > 0 || this.#file) this.#openFileSync().truncateSync(size);
    if (size < this.#size) {
      this.#ranges.truncate(size);
      this.#sourceSize = Math.min(this.#sourceSize, size);
    } else {
      this.#ranges.add(this.#size, size);
    }
    this.#size = size;
    this.#mtimeMs = Date.now();
  }

  /** Sets the modification time of a dirty item (uploaded with the data). */
  async setMtime(mtimeMs: number): Promise<void> {
    await this.#markDirty();
    this.#gen++;
    this.#metaDirty = true;
    this.#mtimeMs = mtimeMs;
  }

  /** Runs `fn` with the data file open (for work outside any handle, e.g. uploads). */
  async hold<T>(fn: () => Promise<T>): Promise<T> {
    await this.#acquireFile();
    try {
      return await fn();
    } finally {
      this.#releaseFile();
    }
  }

  /** A clean item's remote copy gets a new modification time: keep the cache valid for it. */
  async adoptRemoteMtime(mtimeMs: number): Promise<void> {
    this.#mtimeMs = mtimeMs;
    if (this.#fingerprint) this.#fingerprint = { ...this.#fingerprint, mtimeMs };
    await this.saveMeta();
  }

  /**
   * Makes changed data (fdatasync, if `syncData`) and changed metadata durable: one fdatasync
   * of the data file (none for an empty file: there is nothing to lose; a missing empty data
   * file is recreated when the cache is opened again), then one atomic, durable metadata write.
   * With `defer` (close(2)) the metadata is written atomically without fsync, which a killed
   * process cannot lose, and durability against power loss is left to the batched sync of the
   * cache's file system (`ItemContext.deferSync`).
   */
  async persist(syncData = true, opts: { defer?: boolean } = {}): Promise<void> {
    if (this.#removed) return;
    if (this.#dataDirty && this.#size === 0) this.#dataDirty = false;
    const deferSync = this.#ctx.deferSync;
    if (opts.defer && deferSync) {
      if (!this.#metaDirty && !(syncData && this.#dataDirty)) return;
      // The batched sync covers the data and the metadata written here.
      if (syncData) this.#dataDirty = false;
      if (this.#metaDirty && !this.#markLocal()) await this.saveMeta({ durable: false });
      deferSync();
      return;
    }
    if (syncData && this.#dataDirty && this.#file) {
      this.#dataDirty = false;
      try {
        await this.#file.syncData();
      } catch (err) {
        this.#dataDirty = true;
        throw err;
      }
    }
    if (this.#metaDirty) await this.saveMeta();
  }

  /**
   * Records a closed new local file as dirty by marking its data file ({@link LOCAL_MARK}, with
   * the item's modification time) instead of writing its first metadata. Only while the data
   * file alone describes the item: no remote source, no stored metadata, every byte present,
   * the file open. False when that does not hold or the mark cannot be set: the caller then
   * writes the metadata.
   */
  #markLocal(): boolean {
    const f = this.#file;
    if (
      !this.#ctx.localMarks || !f || this.#removed || this.#metaOnDisk ||
      this.#fingerprint !== null || this.#size === 0 || this.#ranges.bytes !== this.#size
    ) {
      return false;
    }
    try {
      if (!this.#marked) {
        this.#marked = true;
        Deno.chmodSync(this.#ctx.paths.data(this.#path), 0o600 | LOCAL_MARK);
      }
      f.utimeSync(this.#atimeMs / 1000, this.#mtimeMs / 1000);
    } catch {
      return false;
    }
    this.#metaDirty = false;
    return true;
  }

  /** Clears {@link LOCAL_MARK} (the data now has a remote copy). */
  #unmark(): void {
    if (!this.#marked) return;
    try {
      Deno.chmodSync(this.#ctx.paths.data(this.#path), 0o600);
      this.#marked = false;
    } catch (err) {
      // No data file (an empty file, or removed): nothing is marked.
      if (err instanceof Deno.errors.NotFound) this.#marked = false;
      else throw err;
    }
  }

  /** Records a successful upload of generation `gen` as `entry` on the remote. */
  async uploaded(gen: number, entry: Entry): Promise<void> {
    this.#cleanGen = Math.max(this.#cleanGen, gen);
    if (!this.dirty) {
      // Before the clean state is stored: a mark left behind would upload this data again
      // after a crash, even once the cached copy is no longer complete.
      this.#unmark();
      this.#fingerprint = fingerprintOf(entry);
      this.#sourceSize = this.#size;
    }
    // Still dirty (changed during the upload): the dirty state stays durable. Clean: not
    // fsynced, written in place off the JS thread; if a crash loses this, the file is still
    // marked dirty and uploaded again, or (a write cut short) its clean entry is dropped.
    if (this.dirty) await this.saveMeta({ durable: true });
    else await this.saveMeta({ durable: false, disposable: true });
  }

  /** Whether every byte of the file is in the data file (nothing to fetch before an upload). */
  get complete(): boolean {
    return this.#missing(0, this.#size).length === 0;
  }

  /**
   * A stream of the whole data file (after {@link ensure} of everything), for uploading. A small
   * file is read at once, synchronously (local, from the page cache as a rule: cheaper than the
   * thread-pool round trips of an open and a read).
   */
  async openUploadStream(): Promise<{ stream: ReadableStream<Uint8Array>; size: number }> {
    const size = this.#size;
    const path = this.#path;
    if (size === 0) {
      // An empty file may have no data file at all.
      return { stream: new ReadableStream({ start: (ctl) => ctl.close() }), size };
    }
    if (size <= SMALL_UPLOAD) {
      const buf = new Uint8Array(size);
      using f = Deno.openSync(this.#ctx.paths.data(this.#path), { read: true });
      let done = 0;
      while (done < size) {
        const n = f.readSync(buf.subarray(done));
        if (n === null || n === 0) break;
        done += n;
      }
      if (done < size) {
        throw new FsError(`cache data of ${JSON.stringify(path)} is short`, Errno.EIO);
      }
      const stream = new ReadableStream<Uint8Array>({
        start(ctl) {
          ctl.enqueue(buf);
          ctl.close();
        },
      });
      return { stream, size };
    }
    const f = await Deno.open(this.#ctx.paths.data(this.#path), { read: true });
    let pos = 0;
    const stream = new ReadableStream<Uint8Array>({
      async pull(ctl) {
        const want = Math.min(1024 * 1024, size - pos);
        if (want <= 0) {
          f.close();
          ctl.close();
          return;
        }
        const buf = new Uint8Array(want);
        const n = await f.read(buf);
        if (n === null || n === 0) {
          f.close();
          ctl.error(new FsError(`cache data of ${JSON.stringify(path)} is short`, Errno.EIO));
          return;
        }
        pos += n;
        ctl.enqueue(buf.subarray(0, n));
      },
      cancel() {
        f.close();
      },
    });
    return { stream, size };
  }

  /** Moves the item to a new remote path, moving its files. */
  async moveTo(path: string): Promise<void> {
    const p = this.#ctx.paths;
    const run = async () => {
      const from = this.#path;
      const [oldData, newData] = [p.data(from), p.data(path)];
      // Crash-safe order: link the data, write the new metadata, then drop the old names. A
      // crash in between leaves either the old entry or both, never metadata without data.
      await Deno.mkdir(dirname(newData), { recursive: true });
      await Deno.remove(newData).catch(() => {});
      let linked = true;
      await Deno.link(oldData, newData).catch((err) => {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
        linked = false;
      });
      this.#path = path;
      this.#metaOnDisk = true;
      await writeMeta(p.meta(path), p.tmpDir, this.toMeta());
      await Deno.remove(p.meta(from)).catch(() => {});
      if (linked) await Deno.remove(oldData).catch(() => {});
    };
    const done = this.#saveChain.then(run, run);
    this.#saveChain = done.catch(() => {});
    await done;
  }

  /** Marks the item removed: it is never saved or uploaded again. */
  markRemoved(): void {
    this.#removed = true;
  }

  /**
   * Deletes the item's files; open handles keep working on the unlinked data. By default the
   * two unlinks are synchronous (cheaper than two round trips through the blocking pool when
   * the caller waits anyway); `background` runs them in the blocking pool, in parallel, for a
   * caller that does not wait (a removal off the request's path, see `CacheCore.remove`).
   * A data file that may be marked ({@link LOCAL_MARK}) is deleted first, so a crash in between
   * cannot leave it to be uploaded again.
   */
  async discard(opts: { background?: boolean } = {}): Promise<void> {
    this.#removed = true;
    for (const f of this.#fetches) f.abort();
    await this.#saveChain;
    this.#metaOnDisk = false;
    const [meta, data] = [this.#ctx.paths.meta(this.#path), this.#ctx.paths.data(this.#path)];
    const files = this.#marked ? [data, meta] : [meta, data];
    if (opts.background) {
      if (this.#marked) {
        for (const file of files) await Deno.remove(file).catch(() => {});
      } else {
        await Promise.all(files.map((file) => Deno.remove(file).catch(() => {})));
      }
      return;
    }
    for (const file of files) {
      try {
        Deno.removeSync(file);
      } catch { /* already gone */ }
    }
  }

  /** Aborts fetches and closes the data file (cache shutdown). */
  async shutdown(): Promise<void> {
    for (const f of this.#fetches) f.abort();
    await Promise.allSettled(this.#fetches.map((f) => f.done));
    await this.#saveChain; // e.g. the clean state after an upload, written in place
    // Only what changed since the last save, durably only for a dirty item (whose durable
    // state every change already waited for): an fsync here would also flush whatever else the
    // file system holds, e.g. a big upload just written to a local remote.
    const changed = this.#metaDirty || this.#atimeMs !== this.#savedAtimeMs;
    if (!this.#removed && changed) await this.saveMeta({ durable: this.dirty }).catch(() => {});
    if (this.#file) {
      this.#file.close();
      this.#file = undefined;
      this.#fileUsers = 0;
    }
  }
}

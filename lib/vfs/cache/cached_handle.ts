/**
 * @module
 * The {@link VfsHandle} of a file opened through the VFS cache: reads and writes go to the
 * cache item; close(2) (`flush`) writes changes to the cache atomically (a batched sync makes
 * them durable against power loss shortly after); `fsync` makes them durable at once, then
 * uploads and waits (with a logged deadline); the last close (`release`) hands the item back to
 * the cache, which schedules the write-back upload. A write may be accepted synchronously and
 * stored right after the reply (`acceptWrite`); if storing it fails, flush and fsync report it.
 */

import { Errno, FsError } from "../../errors.ts";
import { log } from "../../util/log.ts";
import type { AcceptedWrite } from "../handle.ts";
import type { CacheItem, ReadState } from "./cache_item.ts";

/** The open-file contract of the VFS (`lib/vfs/handle.ts`), repeated here structurally. */
export interface VfsHandle {
  /** The VFS path the handle was opened on (follows renames of the open file). */
  readonly path: string;
  /** Reads up to `length` bytes at `offset`; fewer only at end of file. */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Writes `data` at `offset`; returns the bytes written. `data` is valid until it settles. */
  write(offset: number, data: Uint8Array): Promise<number>;
  /** Optional synchronous fast path of `write` (see `VfsHandle.acceptWrite`). */
  acceptWrite?(offset: number, data: Uint8Array): AcceptedWrite | undefined;
  /** The identity of the bytes this handle reads (see `VfsHandle.contentVersion`). */
  contentVersion?(): number | undefined;
  /** Called on each close(2) of a descriptor of this handle. */
  flush(): Promise<void>;
  /** Makes written data durable. */
  fsync(): Promise<void>;
  /** The last close. */
  release(): Promise<void>;
}

/** What a handle needs from its cache. */
export interface HandleHost {
  /** Makes durable now what deferred persists left to the batched sync. */
  syncDeferred(): Promise<void>;
  /** Uploads the item now and waits (bounded by a deadline that is logged). */
  uploadAndWait(item: CacheItem): Promise<void>;
  /** Called once when the handle is released, after the item has been closed. */
  released(item: CacheItem, writable: boolean): Promise<void>;
}

/** A handle on a cached file. */
export class CachedHandle implements VfsHandle {
  /** Handle kind for the VFS's bookkeeping (`OpenHandle.kind` in `lib/vfs/handle.ts`). */
  readonly kind = "cache" as const;
  #host: HandleHost;
  #item: CacheItem;
  #writable: boolean;
  #append: boolean;
  #rs: ReadState;
  #released = false;
  #onRelease: (() => void) | undefined;

  /** Wraps an item that has already been opened (`item.open(writable)`). */
  constructor(
    host: HandleHost,
    item: CacheItem,
    mode: { writable: boolean; append: boolean; onRelease?: (() => void) | undefined },
    rs: ReadState,
  ) {
    this.#host = host;
    this.#item = item;
    this.#writable = mode.writable;
    this.#append = mode.append;
    this.#onRelease = mode.onRelease;
    this.#rs = rs;
  }

  /** The current path of the file (follows renames). */
  get path(): string {
    return this.#item.path;
  }

  #check(): void {
    if (this.#released) {
      throw new FsError(`handle of ${JSON.stringify(this.path)} is released`, Errno.EBADF);
    }
  }

  /** Reads up to `length` bytes at `offset`, fetching missing ranges from the remote. */
  read(offset: number, length: number): Promise<Uint8Array> {
    this.#check();
    return this.#item.read(offset, length, this.#rs);
  }

  /**
   * Writes `data` at `offset` (at the end of the file for O_APPEND handles); `data` is stored
   * before the promise settles and not kept (see VfsHandle.write).
   */
  write(offset: number, data: Uint8Array): Promise<number> {
    this.#check();
    if (!this.#writable) {
      throw new FsError(`${JSON.stringify(this.path)} is not open for writing`, Errno.EBADF);
    }
    return this.#item.write(this.#append ? this.#item.size : offset, data);
  }

  /**
   * Accepts a write synchronously when the item can store it without waiting (see
   * `CacheItem.acceptWrite`); undefined (a released or read-only handle, an item whose dirty
   * state is not on disk yet) sends the caller to {@link write}, which reports any error.
   */
  acceptWrite(offset: number, data: Uint8Array): AcceptedWrite | undefined {
    if (this.#released || !this.#writable) return undefined;
    return this.#item.acceptWrite(this.#append ? this.#item.size : offset, data);
  }

  /**
   * close(2): writes the data and metadata of a changed file to the cache (atomically, safe
   * from a killed process); durability against power loss follows in a batched sync.
   */
  async flush(): Promise<void> {
    this.#check();
    if (this.#item.dirty) await this.#item.persist(true, { defer: true });
    // A write accepted before it was stored failed: close(2) reports it (what was stored stays).
    const failed = this.#item.writeError;
    if (failed) throw failed;
  }

  /**
   * fsync(2): durable in the cache, then uploaded (waits up to the fsync deadline). A write
   * accepted before it was stored that failed is reported after the stored data is made
   * durable, without an upload.
   */
  async fsync(): Promise<void> {
    this.#check();
    if (!this.#item.dirty) return;
    await this.#item.persist(true);
    const failed = this.#item.writeError;
    if (failed) throw failed;
    await this.#host.syncDeferred();
    await this.#host.uploadAndWait(this.#item);
  }

  /** The last close: the cache schedules the upload of a dirty file. */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    try {
      await this.#item.close(this.#writable);
    } finally {
      try {
        await this.#host.released(this.#item, this.#writable);
      } finally {
        this.#onRelease?.();
      }
    }
  }

  /**
   * The identity of the file's bytes as they are now (`CacheItem.contentVersion`): unchanged
   * while nothing writes, truncates or refetches the file, whichever handle it is opened by.
   */
  contentVersion(): number {
    return this.#item.contentVersion;
  }

  /** The size of the open file. */
  currentSize(): number {
    return this.#item.size;
  }

  /** ftruncate(2). */
  truncate(size: number): Promise<void> {
    this.#check();
    return this.#item.truncate(size);
  }

  /** The VFS renamed the open file; the cache already moved the item, so nothing to do. */
  retarget(_path: string): void {}

  /** Sets the modification time to upload with the data. */
  setPendingMtime(mtimeMs: number): void {
    this.#item.setMtime(mtimeMs).catch((err) => {
      log.error(`vfs cache: ${this.path}: failed to record the modification time: ${err}`);
    });
  }

  /** Whether the file has changes not yet on the remote. */
  isDirty(): boolean {
    return this.#item.dirty;
  }
}

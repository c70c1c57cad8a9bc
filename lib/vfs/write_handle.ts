/**
 * @module
 * Write-only handle streaming straight to `backend.write` (cache modes off/minimal), following
 * rclone's `vfs/write.go`:
 *
 * - Writes must be sequential. One not at the current end waits up to `vfs_write_wait` for the
 *   missing writes to arrive, then fails with ESPIPE ("can't seek in file without
 *   --vfs-cache-mode >= writes").
 * - The upload starts at the first write (or the first flush). An existing non-empty file may
 *   only be overwritten when opened with O_TRUNC (or truncated to 0 first); otherwise the first
 *   write fails with EPERM. Consequently O_APPEND on an existing file fails too.
 * - Reads fail with EPERM ("can't read and write to file without --vfs-cache-mode >= minimal").
 * - `truncate(size)` only succeeds for the current size (0 marks the file truncated); else EPERM.
 * - The first flush after data was written closes the upload and waits for it (so close(2)
 *   reports upload errors); later writes fail with EBADF. A flush before any write only starts
 *   the upload (rclone writes 0 bytes "to avoid race conditions"); release finishes it, so a
 *   created-and-closed file becomes an empty object.
 * - A modification time set while the upload runs (`cp -a`, `touch` on an open file) is applied
 *   with `setModTime` once the upload is done.
 * - Deviation: rclone 1.60 fails the flush of an unwritten handle on an existing non-empty file
 *   without O_TRUNC with EPERM, so `touch -d … existing-file` fails at close(2); here that
 *   flush succeeds and leaves the file intact (the last release does the same in both).
 * - When the file's name is unlinked (or replaced by a rename) while open, the upload is
 *   aborted and later writes are accepted and discarded, as for an unlinked local file.
 */

import type { Backend, Entry } from "../backends/backend.ts";
import { Errno, FsError, InvalidError } from "../errors.ts";
import type { OpenHandle } from "./handle.ts";
import { PushStream } from "./push_stream.ts";
import { Mutex, PositionNotifier } from "./sequencer.ts";
import { log } from "../util/log.ts";

/** Bytes queued towards the remote before `write()` waits for the upload (1 MiB). */
export const WRITE_HIGH_WATER = 1024 * 1024;

/** The VFS side of a {@link WriteHandle}. */
export interface WriteHandleHost {
  /** The backend to upload to. */
  readonly backend: Backend;
  /** `vfs_write_wait` in ms. */
  readonly writeWaitMs: number;
  /** Tracks an upload so `sync()` can wait for it. */
  trackUpload(p: Promise<unknown>): void;
  /** The upload finished: `entry` now lives at `path`. */
  uploaded(uploadPath: string, finalPath: string, entry: Entry): Promise<Entry>;
  /** The upload failed. */
  uploadFailed(path: string, err: unknown): void;
  /** The handle no longer needs tracking. */
  detach(h: WriteHandle): void;
}

/** A streaming write-only handle. */
export class WriteHandle implements OpenHandle {
  /** Always `write`. */
  readonly kind = "write";
  readonly #host: WriteHandleHost;
  readonly #truncFlag: boolean;
  readonly #existedNonEmpty: boolean;
  readonly #lock = new Mutex();
  readonly #moved = new PositionNotifier();
  #path: string;
  #offset = 0;
  #opened = false;
  #closed = false;
  #writeCalled = false;
  #truncated = false;
  #stream?: PushStream;
  #upload?: Promise<Entry>;
  #uploadPath = "";
  #mtimeMs?: number;
  #mtimeLate = false;
  #abort = new AbortController();
  #unlinked = false;

  /**
   * Creates a handle. `existedNonEmpty` says whether a non-empty file was at `path` when opened;
   * `truncFlag` whether O_TRUNC was given.
   */
  constructor(host: WriteHandleHost, path: string, truncFlag: boolean, existedNonEmpty: boolean) {
    this.#host = host;
    this.#path = path;
    this.#truncFlag = truncFlag;
    this.#existedNonEmpty = existedNonEmpty;
  }

  /** The VFS path the data goes to. */
  get path(): string {
    return this.#path;
  }

  /** Later (or finishing) uploads go to `path`. */
  retarget(path: string): void {
    this.#path = path;
  }

  /** The modification time for the uploaded object. */
  setPendingMtime(mtimeMs: number): void {
    this.#mtimeMs = mtimeMs;
    if (this.#opened) this.#mtimeLate = true;
  }

  /** The name is gone: abort the upload; later writes are discarded. */
  unlinked(): void {
    this.#unlinked = true;
    const err = new InvalidError(`${this.#path} was unlinked while open`, Errno.ENOENT);
    this.#stream?.fail(err);
    this.#abort.abort(err);
    this.#moved.notify();
  }

  /** The size written so far once the upload is open (the listing's size otherwise). */
  currentSize(): number | undefined {
    return this.#opened || !this.#existedNonEmpty ? this.#offset : undefined;
  }

  /** True until the upload has finished. */
  isDirty(): boolean {
    return !this.#closed && (this.#opened || !this.#existedNonEmpty);
  }

  #safeToTruncate(): boolean {
    return this.#truncated || this.#truncFlag || !this.#existedNonEmpty;
  }

  #openPending(): void {
    if (this.#opened) return;
    if (!this.#safeToTruncate()) {
      const msg =
        `can't open ${this.#path} for write without O_TRUNC on an existing file without --vfs-cache-mode >= writes`;
      log.error(msg);
      throw new InvalidError(msg, Errno.EPERM);
    }
    const stream = new PushStream(WRITE_HIGH_WATER);
    this.#stream = stream;
    this.#uploadPath = this.#path;
    const upload = (async () =>
      await this.#host.backend.write(this.#uploadPath, stream.readable, {
        mtimeMs: this.#mtimeMs ?? Date.now(),
        signal: this.#abort.signal,
      }))();
    upload.catch((err) => stream.fail(err));
    this.#upload = upload;
    this.#host.trackUpload(upload);
    this.#truncated = true;
    this.#opened = true;
  }

  /** Writes at `offset`, which must be the current end (see module doc). */
  async write(offset: number, data: Uint8Array): Promise<number> {
    if (offset !== this.#offset) {
      await this.#moved.waitFor(
        () => this.#offset === offset || this.#closed,
        this.#host.writeWaitMs,
      );
    }
    return await this.#lock.run(async () => {
      if (this.#closed) {
        throw new InvalidError(`write to closed handle of ${this.#path}`, Errno.EBADF);
      }
      if (this.#unlinked) {
        this.#offset = Math.max(this.#offset, offset + data.byteLength);
        this.#moved.notify();
        return data.byteLength;
      }
      if (offset !== this.#offset) {
        const msg =
          `can't write ${this.#path} non-sequentially (at ${offset}, end is ${this.#offset}) without --vfs-cache-mode >= writes`;
        log.error(msg);
        throw new InvalidError(msg, Errno.ESPIPE);
      }
      this.#openPending();
      this.#writeCalled = true;
      if (data.byteLength > 0) {
        try {
          // the upload keeps the chunk after this write settles, `data` is only lent (VfsHandle)
          await this.#stream!.push(data.slice());
        } catch (err) {
          throw this.#uploadError(err);
        }
      }
      this.#offset += data.byteLength;
      this.#moved.notify();
      return data.byteLength;
    });
  }

  /** Reading a write-only stream fails with EPERM. */
  read(): Promise<Uint8Array> {
    const msg = `can't read and write ${this.#path} without --vfs-cache-mode >= minimal`;
    log.error(msg);
    return Promise.reject(new InvalidError(msg, Errno.EPERM));
  }

  /** Only the current size is accepted (0 marks the file truncated); else EPERM. */
  truncate(size: number): Promise<void> {
    return this.#lock.run(() => {
      if (this.#closed) {
        return Promise.reject(new InvalidError(`truncate of closed ${this.#path}`, Errno.EBADF));
      }
      if (size !== this.#offset) {
        const msg = `can't change the size of ${this.#path} without --vfs-cache-mode >= writes`;
        log.error(msg);
        return Promise.reject(new InvalidError(msg, Errno.EPERM));
      }
      if (size === 0) this.#truncated = true;
      return Promise.resolve();
    });
  }

  /** See the module doc: closes the upload after data was written. */
  flush(): Promise<void> {
    return this.#lock.run(async () => {
      if (this.#closed) return;
      if (!this.#writeCalled) {
        if (this.#safeToTruncate()) {
          this.#openPending();
          this.#writeCalled = true;
        }
        return;
      }
      await this.#close();
    });
  }

  /** Nothing to do (rclone's write handle Sync is a no-op). */
  fsync(): Promise<void> {
    return Promise.resolve();
  }

  /** Finishes the upload if still open. */
  release(): Promise<void> {
    return this.#lock.run(async () => {
      if (this.#closed) return;
      await this.#close();
    });
  }

  #uploadError(err: unknown): FsError {
    if (err instanceof FsError) return err;
    return new FsError(
      `upload of ${this.#path} failed: ${(err as Error)?.message ?? err}`,
      Errno.EIO,
      {
        cause: err,
      },
    );
  }

  async #close(): Promise<void> {
    this.#closed = true;
    this.#moved.notify();
    try {
      if (this.#unlinked) {
        await this.#upload?.catch(() => {});
        return;
      }
      if (!this.#opened && !this.#safeToTruncate()) return;
      this.#openPending();
      this.#stream!.close();
      let entry: Entry;
      try {
        entry = await this.#upload!;
      } catch (err) {
        this.#host.uploadFailed(this.#uploadPath, err);
        throw this.#uploadError(err);
      }
      const b = this.#host.backend;
      if (this.#mtimeLate && this.#mtimeMs !== undefined && b.features.setModTime && b.setModTime) {
        await b.setModTime(this.#uploadPath, this.#mtimeMs);
        entry = { ...entry, mtimeMs: this.#mtimeMs };
      }
      await this.#host.uploaded(this.#uploadPath, this.#path, entry);
    } finally {
      this.#host.detach(this);
    }
  }
}

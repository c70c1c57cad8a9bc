/**
 * @module
 * Read+write handle buffered in a temporary file, for read+write opens in cache mode `minimal`
 * (and writes/full until the VFS cache takes them). On open the remote file is downloaded
 * whole unless O_TRUNC is given or it is new; reads and writes go to the temp file at any
 * offset; O_APPEND writes go to the end. A flush uploads the whole file if it changed, so a
 * close(2) returns only once the data is on the remote; release flushes and deletes the file.
 */

import type { Backend, Entry } from "../backends/backend.ts";
import { Errno, FsError, InvalidError } from "../errors.ts";
import type { OpenHandle } from "./handle.ts";
import { Mutex } from "./sequencer.ts";

/** The VFS side of a {@link RwHandle}. */
export interface RwHandleHost {
  /** The backend to download from and upload to. */
  readonly backend: Backend;
  /** Tracks an upload so `sync()` can wait for it. */
  trackUpload(p: Promise<unknown>): void;
  /** The upload finished: `entry` now lives at `path`. */
  uploaded(uploadPath: string, finalPath: string, entry: Entry): Promise<Entry>;
  /** The upload failed. */
  uploadFailed(path: string, err: unknown): void;
  /** The handle no longer needs tracking. */
  detach(h: RwHandle): void;
}

/** Options of {@link RwHandle.open}. */
export interface RwOpenOptions {
  /** Directory for the temp file. */
  tmpDir: string;
  /** The remote file, if it exists. */
  remote?: Entry;
  /** Start empty (O_TRUNC). */
  truncate: boolean;
  /** Writes go to the end (O_APPEND). */
  append: boolean;
}

/** A handle over a local temp copy of the file. */
export class RwHandle implements OpenHandle {
  /** Always `rw`. */
  readonly kind = "rw";
  readonly #host: RwHandleHost;
  readonly #tmp: string;
  readonly #file: Deno.FsFile;
  readonly #append: boolean;
  readonly #lock = new Mutex();
  #path: string;
  #size: number;
  #dirty: boolean;
  #released = false;
  #mtimeMs?: number;

  private constructor(
    host: RwHandleHost,
    path: string,
    tmp: string,
    file: Deno.FsFile,
    size: number,
    dirty: boolean,
    append: boolean,
  ) {
    this.#host = host;
    this.#path = path;
    this.#tmp = tmp;
    this.#file = file;
    this.#size = size;
    this.#dirty = dirty;
    this.#append = append;
  }

  /** Creates the temp file, downloading the remote content when needed. */
  static async open(host: RwHandleHost, path: string, opts: RwOpenOptions): Promise<RwHandle> {
    await Deno.mkdir(opts.tmpDir, { recursive: true });
    const tmp = await Deno.makeTempFile({ dir: opts.tmpDir, prefix: "rw-" });
    const file = await Deno.open(tmp, { read: true, write: true });
    try {
      let size = 0;
      if (opts.remote && !opts.truncate && opts.remote.size > 0) {
        const stream = await host.backend.read(path);
        for await (const chunk of stream) {
          let at = 0;
          while (at < chunk.byteLength) at += await file.write(chunk.subarray(at));
          size += chunk.byteLength;
        }
      }
      const dirty = !opts.remote || (opts.truncate && opts.remote.size > 0);
      return new RwHandle(host, path, tmp, file, size, dirty, opts.append);
    } catch (err) {
      file.close();
      await Deno.remove(tmp).catch(() => {});
      throw err;
    }
  }

  /** The VFS path. */
  get path(): string {
    return this.#path;
  }

  /** Later uploads go to `path`. */
  retarget(path: string): void {
    this.#path = path;
  }

  /** Applied to the next upload. */
  setPendingMtime(mtimeMs: number): void {
    this.#mtimeMs = mtimeMs;
    this.#dirty = true;
  }

  /** The temp file's size. */
  currentSize(): number {
    return this.#size;
  }

  /** True when changes are not uploaded yet. */
  isDirty(): boolean {
    return this.#dirty;
  }

  #check(): void {
    if (this.#released) throw new InvalidError(`${this.#path} is closed`, Errno.EBADF);
  }

  /** Reads from the temp file. */
  read(offset: number, length: number): Promise<Uint8Array> {
    return this.#lock.run(async () => {
      this.#check();
      const n = Math.max(0, Math.min(length, this.#size - offset));
      const out = new Uint8Array(n);
      await this.#file.seek(offset, Deno.SeekMode.Start);
      let at = 0;
      while (at < n) {
        const got = await this.#file.read(out.subarray(at));
        if (got === null) break;
        at += got;
      }
      return at === n ? out : out.subarray(0, at);
    });
  }

  /** Writes to the temp file (at the end with O_APPEND). */
  write(offset: number, data: Uint8Array): Promise<number> {
    return this.#lock.run(async () => {
      this.#check();
      const at = this.#append ? this.#size : offset;
      await this.#file.seek(at, Deno.SeekMode.Start);
      let done = 0;
      while (done < data.byteLength) done += await this.#file.write(data.subarray(done));
      this.#size = Math.max(this.#size, at + data.byteLength);
      this.#dirty = true;
      return data.byteLength;
    });
  }

  /** Changes the temp file's size. */
  truncate(size: number): Promise<void> {
    return this.#lock.run(async () => {
      this.#check();
      await this.#file.truncate(size);
      this.#size = size;
      this.#dirty = true;
    });
  }

  /** Uploads the file if it changed. */
  flush(): Promise<void> {
    return this.#lock.run(() => this.#upload());
  }

  /** Same as flush. */
  fsync(): Promise<void> {
    return this.flush();
  }

  /** Uploads if needed, then deletes the temp file. */
  release(): Promise<void> {
    return this.#lock.run(async () => {
      if (this.#released) return;
      try {
        await this.#upload();
      } finally {
        this.#released = true;
        this.#file.close();
        await Deno.remove(this.#tmp).catch(() => {});
        this.#host.detach(this);
      }
    });
  }

  async #upload(): Promise<void> {
    if (!this.#dirty || this.#released) return;
    const path = this.#path;
    const reader = await Deno.open(this.#tmp, { read: true });
    const upload = this.#host.backend.write(path, reader.readable, {
      mtimeMs: this.#mtimeMs ?? Date.now(),
      size: this.#size,
    });
    this.#host.trackUpload(upload);
    let entry: Entry;
    try {
      entry = await upload;
    } catch (err) {
      try {
        reader.close();
      } catch {
        // already closed by its stream
      }
      this.#host.uploadFailed(path, err);
      if (err instanceof FsError) throw err;
      throw new FsError(`upload of ${path} failed: ${(err as Error)?.message ?? err}`, Errno.EIO, {
        cause: err,
      });
    }
    this.#dirty = false;
    this.#mtimeMs = undefined;
    await this.#host.uploaded(path, this.#path, entry);
  }
}

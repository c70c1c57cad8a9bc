/**
 * @module
 * The open-file handle contract of the VFS ({@link VfsHandle}) and the internal extension the
 * VFS uses to track its open handles ({@link OpenHandle}).
 */

/** An open file. Offsets are absolute; calls may arrive concurrently and out of order. */
export interface VfsHandle {
  /** The VFS path the handle was opened on (follows renames of the open file). */
  readonly path: string;
  /** Reads up to `length` bytes at `offset`; fewer only at end of file. */
  read(offset: number, length: number): Promise<Uint8Array>;
  /**
   * Writes `data` at `offset`; returns the number of bytes written. `data` is only valid until
   * the returned promise settles (FUSE passes a view of its receive buffer): an implementation
   * that keeps the bytes longer must copy them.
   */
  write(offset: number, data: Uint8Array): Promise<number>;
  /**
   * Optional fast path of {@link write}: accepts the write synchronously when nothing about it
   * needs waiting for, else returns undefined (the caller then calls {@link write}). Throws
   * (synchronously) an error to report instead. The caller answers the writer with `count`,
   * then calls `commit` in the same JS turn, before anything else touches the file; `data`
   * stays valid until `commit` returns. So write(2) may return before the bytes are stored: a
   * failed `commit` is reported by later writes, flush and fsync (see {@link AcceptedWrite}).
   */
  acceptWrite?(offset: number, data: Uint8Array): AcceptedWrite | undefined;
  /**
   * Optional: an identity of the file's bytes as this handle reads them now, unique across the
   * files of the process. Two calls (on any handles of the VFS) return the same number only if
   * nothing changed those bytes in between: no write, truncate, or refetch of a changed remote
   * version (the cache trusts the remote's fingerprint, as rclone's). Undefined or absent
   * (streaming handles, which read the remote anew at every open): unknown, assume changed.
   * The FUSE adapter keeps the kernel's page cache across opens while this stays the same.
   */
  contentVersion?(): number | undefined;
  /** Called on each close(2) of a descriptor of this handle; may upload. */
  flush(): Promise<void>;
  /** Makes written data durable as far as the mode allows. */
  fsync(): Promise<void>;
  /** The last close: finishes uploads and frees resources. */
  release(): Promise<void>;
}

/** A write accepted by {@link VfsHandle.acceptWrite}, to be stored by `commit`. */
export interface AcceptedWrite {
  /** The byte count to answer the writer with. */
  count: number;
  /**
   * Stores the data. Never throws: a failure is kept as a sticky error of the file, logged
   * once and reported by its next write, flush (close(2)) and fsync, as Linux reports a
   * failed write-back; the bytes that failed are not recorded as written.
   */
  commit(): void;
}

/** A handle as the VFS tracks it: optional hooks for truncate, rename and size overlay. */
export interface OpenHandle extends VfsHandle {
  /** `read` streams from the remote, `write` streams to it, `rw` buffers on disk, `cache` = VfsCache. */
  readonly kind: "read" | "write" | "rw" | "cache";
  /** Size to report while open, when this handle knows better than the listing. */
  currentSize?(): number | undefined;
  /** Changes the size (ftruncate/setattr size) with the handle's mode semantics. */
  truncate?(size: number): Promise<void>;
  /** The open file was renamed: later uploads go to `path`. */
  retarget?(path: string): void;
  /** A modification time to apply when the data reaches the remote. */
  setPendingMtime?(mtimeMs: number): void;
  /** True while data is not yet on the remote. */
  isDirty?(): boolean;
  /** The file's name was unlinked (or replaced by a rename): its data must not land. */
  unlinked?(): void;
}

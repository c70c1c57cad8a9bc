/**
 * @module
 * The inode-level operations a FUSE file system implements ({@link FuseOps}). The session
 * decodes each request, calls the matching method and encodes its result; a missing method is
 * answered ENOSYS (xattr calls are answered in `session.ts`). Methods throw
 * `lib/errors.ts` errors (or anything: {@link errnoOf} maps it) to fail.
 */

import type { EntryOut, FuseAttr, SetattrIn, StatfsOut } from "./protocol.ts";

export type { EntryOut, FuseAttr, SetattrIn, StatfsOut };

/** Who asked, and a signal aborted when the kernel interrupts the request. */
export interface RequestContext {
  /** Request id. */
  unique: number;
  /** Caller's uid. */
  uid: number;
  /** Caller's gid. */
  gid: number;
  /** Caller's pid. */
  pid: number;
  /** Aborted by FUSE_INTERRUPT (the caller got a signal). */
  signal: AbortSignal;
}

/** The reply to OPEN/OPENDIR: a file handle and `FOPEN_*` flags. */
export interface OpenResult {
  /** Handle the kernel passes back on READ/WRITE/RELEASE. */
  fh: number;
  /** `FOPEN_*` flags (direct I/O, keep cache…). */
  openFlags?: number;
}

/** The reply to CREATE: the new entry and its open handle. */
export interface CreateResult extends OpenResult {
  /** The new entry. */
  entry: EntryOut;
}

/** The reply to GETATTR/SETATTR: attributes and how long the kernel may cache them. */
export interface AttrResult {
  /** The attributes. */
  attr: FuseAttr;
  /** Cache time in ms. */
  attrTimeoutMs: number;
}

/** What INIT negotiated, passed to {@link FuseOps.init}. */
export interface ConnInfo {
  /** Kernel protocol minor version. */
  kernelMinor: number;
  /** Negotiated `InitFlag` bits. */
  flags: number;
  /** Largest WRITE payload. */
  maxWrite: number;
}

/** A WRITE accepted by {@link FuseOps.acceptWrite}: the count to reply, then `commit`. */
export interface AcceptedWrite {
  /** The byte count of the reply. */
  count: number;
  /** Stores the data; called right after the reply, never throws (failures are reported later). */
  commit(): void;
}

/** Inode-level FUSE operations; every method is optional. Node ids are plain numbers. */
export interface FuseOps {
  /** Called once INIT is answered. */
  init?(conn: ConnInfo): void;
  /** Called when the session ends (DESTROY, unmount or connection loss). */
  destroy?(): void | Promise<void>;
  /** Looks `name` up in directory `parent`; each success counts one lookup of the node. */
  lookup?(ctx: RequestContext, parent: number, name: string): Promise<EntryOut>;
  /** The kernel dropped `nlookup` lookups of `ino` (no reply). */
  forget?(ino: number, nlookup: number): void;
  /** Attributes of a node. */
  getattr?(ctx: RequestContext, ino: number, fh?: number): Promise<AttrResult>;
  /** Changes attributes (size, mode, times, owner). */
  setattr?(ctx: RequestContext, ino: number, changes: SetattrIn): Promise<AttrResult>;
  /** Creates a directory. */
  mkdir?(
    ctx: RequestContext,
    parent: number,
    name: string,
    mode: number,
    umask: number,
  ): Promise<EntryOut>;
  /** Creates a regular file node without opening it. */
  mknod?(
    ctx: RequestContext,
    parent: number,
    name: string,
    mode: number,
    umask: number,
  ): Promise<EntryOut>;
  /** Removes a file. */
  unlink?(ctx: RequestContext, parent: number, name: string): Promise<void>;
  /** Removes an empty directory. */
  rmdir?(ctx: RequestContext, parent: number, name: string): Promise<void>;
  /** Renames; `flags` are RENAME_NOREPLACE/EXCHANGE/WHITEOUT (0 for plain RENAME). */
  rename?(
    ctx: RequestContext,
    parent: number,
    name: string,
    newParent: number,
    newName: string,
    flags: number,
  ): Promise<void>;
  /** Opens a file; `flags` are the Linux `O_*` flags. */
  open?(ctx: RequestContext, ino: number, flags: number): Promise<OpenResult>;
  /** Reads up to `size` bytes at `offset`; a shorter result means end of file. */
  read?(
    ctx: RequestContext,
    ino: number,
    fh: number,
    offset: number,
    size: number,
  ): Promise<Uint8Array>;
  /**
   * Writes `data` at `offset`; returns the bytes written. `data` is a view of the session's
   * receive buffer, valid only until the returned promise settles: an op that keeps the bytes
   * longer (queues them for an upload) must copy them.
   */
  write?(
    ctx: RequestContext,
    ino: number,
    fh: number,
    offset: number,
    data: Uint8Array,
  ): Promise<number>;
  /**
   * Optional fast path of {@link write}, tried first: accepts a WRITE synchronously (no await
   * needed, nothing left that can fail but storing the bytes) or returns undefined for the
   * async {@link write}; a thrown error is the reply. The session replies with `count`, then
   * calls `commit` in the same JS turn before it reads another request, so no later request
   * overtakes the write; `data` is valid until `commit` returns. A failing `commit` must keep
   * its error for the file's next write, flush and fsync (write-back semantics).
   */
  acceptWrite?(
    ino: number,
    fh: number,
    offset: number,
    data: Uint8Array,
  ): AcceptedWrite | undefined;
  /** Called on each close(2) of a file descriptor. */
  flush?(ctx: RequestContext, ino: number, fh: number): Promise<void>;
  /** fsync(2)/fdatasync(2) of a file (or directory when `dir`). */
  fsync?(
    ctx: RequestContext,
    ino: number,
    fh: number,
    datasync: boolean,
    dir: boolean,
  ): Promise<void>;
  /** The last reference to a file handle is gone. */
  release?(ctx: RequestContext, ino: number, fh: number): Promise<void>;
  /** Opens a directory for reading. */
  opendir?(ctx: RequestContext, ino: number, flags: number): Promise<OpenResult>;
  /**
   * Packs entries starting after `offset` into a reply of at most `size` bytes (use
   * `DirentBuffer`); for `plus`, each packed entry other than `.`/`..` counts one lookup.
   */
  readdir?(
    ctx: RequestContext,
    ino: number,
    fh: number,
    offset: number,
    size: number,
    plus: boolean,
  ): Promise<Uint8Array>;
  /** Closes a directory handle. */
  releasedir?(ctx: RequestContext, ino: number, fh: number): Promise<void>;
  /** File system figures. */
  statfs?(ctx: RequestContext, ino: number): Promise<StatfsOut>;
  /** access(2) check; `mask` is R_OK/W_OK/X_OK bits (0 = existence). */
  access?(ctx: RequestContext, ino: number, mask: number): Promise<void>;
  /** Creates and opens a file. */
  create?(
    ctx: RequestContext,
    parent: number,
    name: string,
    mode: number,
    flags: number,
    umask: number,
  ): Promise<CreateResult>;
  /** fallocate(2). */
  fallocate?(
    ctx: RequestContext,
    ino: number,
    fh: number,
    offset: number,
    length: number,
    mode: number,
  ): Promise<void>;
  /** lseek(2) with SEEK_DATA (3) / SEEK_HOLE (4); returns the new offset. */
  lseek?(
    ctx: RequestContext,
    ino: number,
    fh: number,
    offset: number,
    whence: number,
  ): Promise<number>;
}

/**
 * @module
 * The adapter from FUSE operations to the {@link Vfs} (rclone's `cmd/mount2` role): node ids
 * are mapped to VFS paths by an {@link InodeTable}, file handles to {@link VfsHandle}s and
 * directory handles to listing snapshots (so a listing read in several READDIR calls is
 * consistent). Attribute and entry cache times come from the mount's `attr_timeout`.
 * Unsupported requests get a proper errno: RENAME_EXCHANGE/WHITEOUT → EINVAL, fallocate beyond
 * the file or with a mode → EOPNOTSUPP.
 *
 * Kernel page cache: the kernel drops a file's cached pages at every open unless the reply sets
 * FOPEN_KEEP_CACHE. In cache mode `full` (not with `direct_io`) an open keeps them when the
 * file's bytes provably did not change since the node's previous open (the kernel may hold pages
 * from then on): both opens report the same `VfsHandle.contentVersion`, which every write,
 * truncate and refetch of a changed remote version changes and which is unique across files (a
 * rename moves a node and its cached file together; a new file at a path gets a new node id, and
 * ids are never reused), and no other handle of the node open in between read other bytes
 * (checked at the open and at each release). Re-reading a cached file then runs at page-cache
 * speed, as on a local file system. The kernel keeps exactly what our cache would serve: a
 * remote change the VFS has not noticed yet (directory cache, polling), or one that keeps size
 * and modification time while the file stays cached, is hidden from both alike. In the other
 * modes every open re-reads the remote, so the pages are always dropped. AUTO_INVAL_DATA
 * (session INIT) also drops them when refreshed attributes show a new size or modification time.
 */

import { Errno, FsError, InvalidError, NotFoundError, NotSupportedError } from "../errors.ts";
import type { Vfs, VfsAttr, VfsHandle } from "../vfs/vfs.ts";
import { type InodeNode, InodeTable } from "./inode_table.ts";
import { Fopen, RenameFlag, ROOT_ID } from "./opcodes.ts";
import type {
  AcceptedWrite,
  AttrResult,
  CreateResult,
  EntryOut,
  FuseAttr,
  FuseOps,
  OpenResult,
  RequestContext,
  SetattrIn,
  StatfsOut,
} from "./ops.ts";
import { DirentBuffer } from "./protocol.ts";

/** Settings of the adapter, from the mount options. */
export interface VfsOpsOptions {
  /** Kernel cache time of attributes and names, ms (mount option `attr_timeout`). */
  attrTimeoutMs: number;
  /** Open files with FOPEN_DIRECT_IO (mount option `direct_io`). */
  directIo?: boolean;
}

/** Inode number reported in plain READDIR for names not looked up yet (as libfuse). */
const UNKNOWN_INO = 0xffffffff;
const NAME_MAX = 255;
const UTF8 = new TextEncoder();
const SEEK_DATA = 3;
const SEEK_HOLE = 4;
const ENXIO = 6;

/**
 * The answer to a LOOKUP of a name a fresh listing doesn't have (every file `cp` or `tar`
 * creates is looked up first): one shared error, so a miss costs no stack capture. Only its
 * errno reaches the kernel.
 */
const LISTED_MISSING = new NotFoundError("not in the directory listing");

interface DirHandle {
  path: string;
  entries: VfsAttr[] | undefined;
  served: boolean;
}

interface FileHandle {
  ino: number;
  handle: VfsHandle;
}

/** Whether an open may keep the kernel's cached pages of a node (see the module doc). */
export function mayKeepPages(
  previous: number | undefined,
  version: number | undefined,
  others: Iterable<number | undefined>,
): boolean {
  if (version === undefined || previous !== version) return false;
  for (const v of others) if (v !== version) return false;
  return true;
}

function childPath(dir: string, name: string): string {
  if (name === "" || name === "." || name === ".." || name.includes("/")) {
    throw new InvalidError(`invalid name ${JSON.stringify(name)}`);
  }
  // A UTF-16 code unit is at most 3 UTF-8 bytes: only long names need encoding to check.
  if (name.length * 3 > NAME_MAX && UTF8.encode(name).length > NAME_MAX) {
    throw new FsError(`name too long: ${name.slice(0, 32)}…`, Errno.ENAMETOOLONG);
  }
  return dir === "" ? name : `${dir}/${name}`;
}

/** FUSE operations served from a {@link Vfs}. */
export class VfsOps implements FuseOps {
  readonly #vfs: Vfs;
  readonly #opts: VfsOpsOptions;
  readonly #inodes = new InodeTable();
  readonly #files = new Map<number, FileHandle>();
  readonly #dirs = new Map<number, DirHandle>();
  /**
   * Per node, the content version of its last open: the kernel may hold pages of that version
   * (entries go with their node when the kernel forgets it).
   */
  readonly #pageVersions = new WeakMap<InodeNode, number>();
  #nextFh = 1;

  /** Creates the adapter for `vfs`. */
  constructor(vfs: Vfs, opts: VfsOpsOptions) {
    this.#vfs = vfs;
    this.#opts = opts;
  }

  /** Nodes currently known (for tests and status). */
  get inodeCount(): number {
    return this.#inodes.size;
  }

  /** Open file handles (for tests and status). */
  get openFiles(): number {
    return this.#files.size;
  }

  #fuseAttr(ino: number, a: VfsAttr): FuseAttr {
    const attr: FuseAttr = {
      ino,
      size: a.size,
      mode: a.mode,
      nlink: a.isDir ? 2 : 1,
      uid: a.uid,
      gid: a.gid,
      atimeMs: a.atimeMs,
      mtimeMs: a.mtimeMs,
      ctimeMs: a.ctimeMs,
    };
    const node = this.#inodes.node(ino);
    node.lastAttr = attr;
    return attr;
  }

  #entry(a: VfsAttr): EntryOut {
    const ino = this.#inodes.lookup(a.path);
    const t = this.#opts.attrTimeoutMs;
    return { attr: this.#fuseAttr(ino, a), entryTimeoutMs: t, attrTimeoutMs: t };
  }

  #file(fh: number): FileHandle {
    const f = this.#files.get(fh);
    if (!f) throw new FsError(`bad file handle ${fh}`, Errno.EBADF);
    return f;
  }

  /**
   * The FOPEN flags of an open of node `ino` by `handle`: DIRECT_IO with `direct_io`; in mode
   * `full` KEEP_CACHE when the file's content version equals that of the node's previous open
   * (see the module doc). Records the version for the next open.
   */
  #openFlags(ino: number, handle: VfsHandle): number {
    if (this.#opts.directIo) return Fopen.DIRECT_IO;
    if (this.#vfs.config.cacheMode !== "full") return 0;
    const node = this.#inodes.node(ino);
    const version = handle.contentVersion?.();
    const previous = this.#pageVersions.get(node);
    if (version === undefined) this.#pageVersions.delete(node);
    else this.#pageVersions.set(node, version);
    return mayKeepPages(previous, version, this.#otherVersions(ino, handle)) ? Fopen.KEEP_CACHE : 0;
  }

  /** Content versions of the other open handles of node `ino` (they may add pages too). */
  *#otherVersions(ino: number, handle: VfsHandle): Generator<number | undefined> {
    for (const f of this.#files.values()) {
      if (f.ino === ino && f.handle !== handle) yield f.handle.contentVersion?.();
    }
  }

  /**
   * A handle of node `ino` is released: if the bytes it read (and may have put in the kernel's
   * pages) are not those of the node's last open, the next open drops the pages.
   */
  #released(ino: number, handle: VfsHandle): void {
    if (this.#vfs.config.cacheMode !== "full") return;
    let node: InodeNode;
    try {
      node = this.#inodes.node(ino);
    } catch {
      return; // forgotten: the kernel holds no pages of it
    }
    const v = this.#pageVersions.get(node);
    if (v !== undefined && handle.contentVersion?.() !== v) this.#pageVersions.delete(node);
  }

  /** Attributes of `path`, from the VFS's cached listing when it has one (no await then). */
  #stat(path: string): VfsAttr | Promise<VfsAttr> {
    const a = this.#vfs.statCached(path);
    if (a === null) throw LISTED_MISSING;
    return a ?? this.#vfs.stat(path);
  }

  /** Looks a name up: stats the child path and counts a lookup. */
  async lookup(_ctx: RequestContext, parent: number, name: string): Promise<EntryOut> {
    const p = childPath(this.#inodes.path(parent), name);
    return this.#entry(await this.#stat(p));
  }

  /** Drops kernel lookups of a node. */
  forget(ino: number, nlookup: number): void {
    this.#inodes.forget(ino, nlookup);
  }

  /** Attributes of a node; an unlinked node that is still open reports its last attributes. */
  async getattr(_ctx: RequestContext, ino: number): Promise<AttrResult> {
    const node = this.#inodes.node(ino);
    if (node.detached) {
      if (!node.lastAttr) throw new FsError(`stale inode ${ino}`, Errno.ENOENT);
      return { attr: { ...node.lastAttr, nlink: 0 }, attrTimeoutMs: 0 };
    }
    const a = await this.#stat(node.path);
    return { attr: this.#fuseAttr(ino, a), attrTimeoutMs: this.#opts.attrTimeoutMs };
  }

  /** Changes size and times (mode/owner changes are accepted and ignored, as rclone). */
  async setattr(_ctx: RequestContext, ino: number, c: SetattrIn): Promise<AttrResult> {
    const path = this.#inodes.path(ino);
    const now = Date.now();
    const attrs: Parameters<Vfs["setattr"]>[1] = {};
    if (c.size !== undefined) attrs.size = c.size;
    if (c.mtimeMs !== undefined) attrs.mtimeMs = c.mtimeMs === "now" ? now : c.mtimeMs;
    if (c.atimeMs !== undefined) attrs.atimeMs = c.atimeMs === "now" ? now : c.atimeMs;
    if (c.mode !== undefined) attrs.mode = c.mode;
    if (c.uid !== undefined) attrs.uid = c.uid;
    if (c.gid !== undefined) attrs.gid = c.gid;
    const a = await this.#vfs.setattr(path, attrs);
    return { attr: this.#fuseAttr(ino, a), attrTimeoutMs: this.#opts.attrTimeoutMs };
  }

  /** Creates a directory. */
  async mkdir(
    _ctx: RequestContext,
    parent: number,
    name: string,
    mode: number,
    umask: number,
  ): Promise<EntryOut> {
    const p = childPath(this.#inodes.path(parent), name);
    return this.#entry(await this.#vfs.mkdir(p, mode & ~umask & 0o7777));
  }

  /** Removes a file. */
  async unlink(_ctx: RequestContext, parent: number, name: string): Promise<void> {
    const p = childPath(this.#inodes.path(parent), name);
    const known = this.#inodes.peek(p);
    if (known !== undefined) {
      // remember the final attributes: fstat of a still-open unlinked file answers from them
      // (from the cached listing when there is one: no await)
      const cached = this.#vfs.statCached(p);
      const a = cached !== undefined ? cached : await this.#vfs.stat(p).catch(() => undefined);
      if (a) this.#fuseAttr(known, a);
    }
    await this.#vfs.unlink(p);
    this.#inodes.detach(p);
  }

  /** Removes an empty directory. */
  async rmdir(_ctx: RequestContext, parent: number, name: string): Promise<void> {
    const p = childPath(this.#inodes.path(parent), name);
    await this.#vfs.rmdir(p);
    this.#inodes.detach(p);
  }

  /** Renames (RENAME_NOREPLACE honoured; EXCHANGE and WHITEOUT are EINVAL). */
  async rename(
    _ctx: RequestContext,
    parent: number,
    name: string,
    newParent: number,
    newName: string,
    flags: number,
  ): Promise<void> {
    if (flags & (RenameFlag.EXCHANGE | RenameFlag.WHITEOUT) || flags & ~7) {
      throw new InvalidError(`rename flags 0x${flags.toString(16)} are not supported`);
    }
    const from = childPath(this.#inodes.path(parent), name);
    const to = childPath(this.#inodes.path(newParent), newName);
    await this.#vfs.rename(from, to, { noReplace: (flags & RenameFlag.NOREPLACE) !== 0 });
    this.#inodes.rename(from, to);
  }

  /** Opens a file. */
  async open(_ctx: RequestContext, ino: number, flags: number): Promise<OpenResult> {
    const handle = await this.#vfs.open(this.#inodes.path(ino), flags);
    const fh = this.#nextFh++;
    this.#files.set(fh, { ino, handle });
    return { fh, openFlags: this.#openFlags(ino, handle) };
  }

  /** Creates and opens a file. */
  async create(
    _ctx: RequestContext,
    parent: number,
    name: string,
    mode: number,
    flags: number,
    umask: number,
  ): Promise<CreateResult> {
    const p = childPath(this.#inodes.path(parent), name);
    const r = await this.#vfs.create(p, flags, mode & ~umask & 0o7777);
    const entry = this.#entry(r.attr);
    const fh = this.#nextFh++;
    this.#files.set(fh, { ino: entry.attr.ino, handle: r.handle });
    return { entry, fh, openFlags: this.#openFlags(entry.attr.ino, r.handle) };
  }

  /** Reads from an open file. */
  async read(
    _ctx: RequestContext,
    _ino: number,
    fh: number,
    offset: number,
    size: number,
  ): Promise<Uint8Array> {
    return await this.#file(fh).handle.read(offset, size);
  }

  /** Writes to an open file. */
  async write(
    _ctx: RequestContext,
    _ino: number,
    fh: number,
    offset: number,
    data: Uint8Array,
  ): Promise<number> {
    return await this.#file(fh).handle.write(offset, data);
  }

  /**
   * Accepts a write synchronously when the open handle can store it without waiting (cached
   * files, see `VfsHandle.acceptWrite`); undefined for every other case (unknown handle,
   * streaming handles), which {@link write} then serves or fails.
   */
  acceptWrite(
    _ino: number,
    fh: number,
    offset: number,
    data: Uint8Array,
  ): AcceptedWrite | undefined {
    return this.#files.get(fh)?.handle.acceptWrite?.(offset, data);
  }

  /** close(2) of one descriptor. */
  async flush(_ctx: RequestContext, _ino: number, fh: number): Promise<void> {
    await this.#file(fh).handle.flush();
  }

  /** fsync(2) of a file; directories have nothing to sync. */
  async fsync(
    _ctx: RequestContext,
    _ino: number,
    fh: number,
    _datasync: boolean,
    dir: boolean,
  ): Promise<void> {
    if (dir) return;
    await this.#file(fh).handle.fsync();
  }

  /** The last close of a handle. */
  async release(_ctx: RequestContext, _ino: number, fh: number): Promise<void> {
    const f = this.#files.get(fh);
    if (!f) return;
    this.#files.delete(fh);
    this.#released(f.ino, f.handle);
    await f.handle.release();
  }

  /** Opens a directory; the listing is read on the first READDIR. */
  async opendir(_ctx: RequestContext, ino: number, _flags: number): Promise<OpenResult> {
    const path = this.#inodes.path(ino);
    const a = await this.#stat(path);
    if (!a.isDir) throw new FsError(`not a directory: ${path}`, Errno.ENOTDIR);
    const fh = this.#nextFh++;
    this.#dirs.set(fh, { path, entries: undefined, served: false });
    return { fh };
  }

  /** Lists a directory from a snapshot taken at offset 0. */
  async readdir(
    _ctx: RequestContext,
    ino: number,
    fh: number,
    offset: number,
    size: number,
    plus: boolean,
  ): Promise<Uint8Array> {
    let d = this.#dirs.get(fh);
    if (!d) d = { path: this.#inodes.path(ino), entries: undefined, served: false };
    if (!d.entries || (offset === 0 && d.served)) d.entries = await this.#vfs.readdir(d.path);
    d.served = true;
    const buf = new DirentBuffer(size, plus);
    const parentIno = ino === ROOT_ID ? ROOT_ID : UNKNOWN_INO;
    const dots = [{ name: ".", ino }, { name: "..", ino: parentIno }];
    const total = d.entries.length + 2;
    for (let i = offset; i < total; i++) {
      if (i < 2) {
        const dot = dots[i]!;
        if (!buf.add({ ino: dot.ino, off: i + 1, name: dot.name, mode: 0o040000 })) break;
        continue;
      }
      const a = d.entries[i - 2]!;
      if (!plus) {
        const known = this.#inodes.peek(a.path) ?? UNKNOWN_INO;
        if (!buf.add({ ino: known, off: i + 1, name: a.name, mode: a.mode })) break;
        continue;
      }
      // the kernel counts a lookup for every entry it receives: count only those that fit
      if (!buf.fits(a.name)) break;
      const entry = this.#entry(a);
      buf.add({ ino: entry.attr.ino, off: i + 1, name: a.name, mode: a.mode, entry });
    }
    return buf.bytes();
  }

  /** Closes a directory handle. */
  releasedir(_ctx: RequestContext, _ino: number, fh: number): Promise<void> {
    this.#dirs.delete(fh);
    return Promise.resolve();
  }

  /** File system figures from the VFS. */
  async statfs(_ctx: RequestContext, _ino: number): Promise<StatfsOut> {
    const s = await this.#vfs.statfs();
    return {
      blocks: s.blocks,
      bfree: s.bfree,
      bavail: s.bavail,
      files: s.files,
      ffree: s.ffree,
      bsize: s.bsize,
      namelen: s.namelen,
      frsize: s.frsize,
    };
  }

  /** access(2): the node must exist; write access to a read-only VFS is EROFS. */
  async access(_ctx: RequestContext, ino: number, mask: number): Promise<void> {
    const node = this.#inodes.node(ino);
    if (!node.detached) await this.#stat(node.path);
    if (mask & 2 && this.#vfs.config.readOnly) {
      throw new FsError("read-only file system", Errno.EROFS);
    }
  }

  /** Only a no-op fallocate (mode 0 inside the file) succeeds; anything else is EOPNOTSUPP. */
  async fallocate(
    _ctx: RequestContext,
    ino: number,
    _fh: number,
    offset: number,
    length: number,
    mode: number,
  ): Promise<void> {
    if (mode === 0) {
      const a = await this.#vfs.stat(this.#inodes.path(ino));
      if (offset + length <= a.size) return;
    }
    throw new NotSupportedError("fallocate");
  }

  /** SEEK_DATA/SEEK_HOLE on a file without holes. */
  async lseek(
    _ctx: RequestContext,
    ino: number,
    _fh: number,
    offset: number,
    whence: number,
  ): Promise<number> {
    if (whence !== SEEK_DATA && whence !== SEEK_HOLE) {
      throw new InvalidError(`lseek whence ${whence}`);
    }
    const node = this.#inodes.node(ino);
    const size = node.detached ? node.lastAttr?.size ?? 0 : (await this.#vfs.stat(node.path)).size;
    if (offset < 0 || offset >= size) throw new FsError("seek past end", ENXIO);
    return whence === SEEK_DATA ? offset : size;
  }

  /** The session ended: releases every handle still open (finishing their uploads). */
  async destroy(): Promise<void> {
    const open = [...this.#files.values()];
    this.#files.clear();
    this.#dirs.clear();
    await Promise.allSettled(open.map((f) => f.handle.release()));
  }
}

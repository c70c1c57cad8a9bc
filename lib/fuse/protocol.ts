/**
 * @module
 * Pure codec of the FUSE kernel protocol: decodes a request read from `/dev/fuse` into a typed
 * {@link FuseRequest} and encodes the reply structs (`fuse_attr`, `fuse_entry_out`,
 * `fuse_attr_out`, `fuse_open_out`, `fuse_init_out`, `fuse_write_out`, `fuse_statfs_out`,
 * dirents/direntplus, `fuse_lseek_out`, `fuse_getxattr_out`). No I/O here: every function maps
 * bytes to values or values to bytes, little-endian as on x86_64 and arm64.
 */

import {
  ATTR_OUT_SIZE,
  DIRENT_HEADER_SIZE,
  ENTRY_OUT_SIZE,
  Fattr,
  FSYNC_FDATASYNC,
  IN_HEADER_SIZE,
  INIT_OUT_SIZE,
  Op,
  OPEN_OUT_SIZE,
  OUT_HEADER_SIZE,
  S_IFMT,
  STATFS_OUT_SIZE,
  WRITE_IN_SIZE,
} from "./opcodes.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** The decoded `struct fuse_in_header`. */
export interface InHeader {
  /** Total length of the request in bytes. */
  len: number;
  /** Opcode ({@link Op}). */
  opcode: number;
  /** Request id to echo in the reply. */
  unique: number;
  /** Node id the request is about. */
  nodeid: number;
  /** Caller's uid. */
  uid: number;
  /** Caller's gid. */
  gid: number;
  /** Caller's pid (tgid). */
  pid: number;
}

/** Changes asked by SETATTR; a field is present only if its `FATTR_*` bit is set. */
export interface SetattrIn {
  /** The raw `valid` bitmask. */
  valid: number;
  /** File handle (with FATTR_FH). */
  fh?: number;
  /** New size. */
  size?: number;
  /** New access time in ms, or "now". */
  atimeMs?: number | "now";
  /** New modification time in ms, or "now". */
  mtimeMs?: number | "now";
  /** New permission bits (full st_mode as sent). */
  mode?: number;
  /** New owner. */
  uid?: number;
  /** New group. */
  gid?: number;
}

/** One decoded request body, discriminated by `op`. */
export type RequestBody =
  | { op: "init"; major: number; minor: number; maxReadahead: number; flags: number }
  | { op: "destroy" }
  | { op: "lookup"; name: string }
  | { op: "forget"; nlookup: number }
  | { op: "batch_forget"; items: { nodeid: number; nlookup: number }[] }
  | { op: "getattr"; flags: number; fh: number }
  | { op: "setattr"; attr: SetattrIn }
  | { op: "mkdir"; name: string; mode: number; umask: number }
  | { op: "mknod"; name: string; mode: number; rdev: number; umask: number }
  | { op: "unlink"; name: string }
  | { op: "rmdir"; name: string }
  | { op: "rename"; newdir: number; oldname: string; newname: string; flags: number }
  | { op: "open"; flags: number }
  | { op: "opendir"; flags: number }
  | { op: "read"; fh: number; offset: number; size: number; flags: number }
  | { op: "readdir"; fh: number; offset: number; size: number; plus: boolean }
  | { op: "write"; fh: number; offset: number; data: Uint8Array; writeFlags: number; flags: number }
  | { op: "flush"; fh: number }
  | { op: "fsync"; fh: number; datasync: boolean; dir: boolean }
  | { op: "release"; fh: number; flags: number; releaseFlags: number; dir: boolean }
  | { op: "statfs" }
  | { op: "access"; mask: number }
  | { op: "create"; name: string; flags: number; mode: number; umask: number }
  | { op: "interrupt"; target: number }
  | { op: "fallocate"; fh: number; offset: number; length: number; mode: number }
  | { op: "lseek"; fh: number; offset: number; whence: number }
  | { op: "getxattr"; name: string; size: number }
  | { op: "listxattr"; size: number }
  | { op: "setxattr"; name: string; value: Uint8Array; flags: number }
  | { op: "removexattr"; name: string }
  | { op: "unknown" };

/** A decoded request: header plus body. */
export interface FuseRequest {
  /** The request header. */
  header: InHeader;
  /** The opcode-specific body. */
  body: RequestBody;
}

/** An error in a request's bytes (truncated or malformed); the session answers EINVAL/EIO. */
export class ProtocolError extends Error {
  /** Creates a protocol error with a message naming what is wrong. */
  constructor(message: string) {
    super(message);
    this.name = "ProtocolError";
  }
}

/** 2^32, to split and join 64-bit values without BigInt. */
const TWO_32 = 0x1_0000_0000;

/**
 * Reads a little-endian u64 as a number (values above 2^53 round as `Number(bigint)` does)
 * without allocating a BigInt: this runs for every request.
 */
function u64(dv: DataView, off: number): number {
  return dv.getUint32(off + 4, true) * TWO_32 + dv.getUint32(off, true);
}

/**
 * Writes an integer as a little-endian u64 without allocating a BigInt (the reply encoders run
 * for every request and every READDIRPLUS entry). Exact for |v| < 2^53; a negative value is
 * written in two's complement, as `setBigUint64(BigInt(v))` would.
 */
function putU64(dv: DataView, off: number, v: number): void {
  dv.setUint32(off, v >>> 0, true);
  dv.setUint32(off + 4, Math.floor(v / TWO_32) >>> 0, true);
}

/** Reads a NUL-terminated string at `off`; returns it and the offset after the NUL. */
export function readCString(buf: Uint8Array, off: number, end = buf.length): [string, number] {
  const nul = buf.subarray(off, end).indexOf(0);
  if (nul < 0) throw new ProtocolError(`unterminated name at offset ${off}`);
  return [dec.decode(buf.subarray(off, off + nul)), off + nul + 1];
}

/** Decodes `struct fuse_in_header` from the start of `buf`. */
export function decodeInHeader(buf: Uint8Array): InHeader {
  if (buf.length < IN_HEADER_SIZE) {
    throw new ProtocolError(`request of ${buf.length} bytes is shorter than its header`);
  }
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  return {
    len: dv.getUint32(0, true),
    opcode: dv.getUint32(4, true),
    unique: u64(dv, 8),
    nodeid: u64(dv, 16),
    uid: dv.getUint32(24, true),
    gid: dv.getUint32(28, true),
    pid: dv.getUint32(32, true),
  };
}

function msOf(sec: number, nsec: number): number {
  return sec * 1000 + Math.floor(nsec / 1e6);
}

/**
 * Decodes a whole request. `buf` must hold exactly the bytes read (its length is the read
 * count). A WRITE's payload is a view of `buf` (not copied: a 1 MiB copy per WRITE was a fifth
 * of a sequential write's CPU), so `buf` must not be reused until the WRITE is done with it (the
 * session switches to another receive buffer); names and xattr values are copied.
 */
export function decodeRequest(buf: Uint8Array): FuseRequest {
  const header = decodeInHeader(buf);
  if (header.len > buf.length) {
    throw new ProtocolError(`request claims ${header.len} bytes but ${buf.length} were read`);
  }
  const end = header.len;
  const b = IN_HEADER_SIZE;
  const dv = new DataView(buf.buffer, buf.byteOffset, end);
  const need = (n: number) => {
    if (b + n > end) {
      throw new ProtocolError(`request ${header.opcode} body shorter than ${n} bytes`);
    }
  };
  const name = (off: number) => readCString(buf, off, end)[0];
  let body: RequestBody;
  switch (header.opcode) {
    case Op.INIT:
      need(16);
      body = {
        op: "init",
        major: dv.getUint32(b, true),
        minor: dv.getUint32(b + 4, true),
        maxReadahead: dv.getUint32(b + 8, true),
        flags: dv.getUint32(b + 12, true),
      };
      break;
    case Op.DESTROY:
      body = { op: "destroy" };
      break;
    case Op.LOOKUP:
      body = { op: "lookup", name: name(b) };
      break;
    case Op.FORGET:
      need(8);
      body = { op: "forget", nlookup: u64(dv, b) };
      break;
    case Op.BATCH_FORGET: {
      need(8);
      const count = dv.getUint32(b, true);
      need(8 + count * 16);
      const items = [];
      for (let i = 0; i < count; i++) {
        const o = b + 8 + i * 16;
        items.push({ nodeid: u64(dv, o), nlookup: u64(dv, o + 8) });
      }
      body = { op: "batch_forget", items };
      break;
    }
    case Op.GETATTR:
      need(16);
      body = { op: "getattr", flags: dv.getUint32(b, true), fh: u64(dv, b + 8) };
      break;
    case Op.SETATTR: {
      need(88);
      const valid = dv.getUint32(b, true);
      const attr: SetattrIn = { valid };
      if (valid & Fattr.FH) attr.fh = u64(dv, b + 8);
      if (valid & Fattr.SIZE) attr.size = u64(dv, b + 16);
      if (valid & Fattr.ATIME_NOW) attr.atimeMs = "now";
      else if (valid & Fattr.ATIME) {
        attr.atimeMs = msOf(u64(dv, b + 32), dv.getUint32(b + 56, true));
      }
      if (valid & Fattr.MTIME_NOW) attr.mtimeMs = "now";
      else if (valid & Fattr.MTIME) {
        attr.mtimeMs = msOf(u64(dv, b + 40), dv.getUint32(b + 60, true));
      }
      if (valid & Fattr.MODE) attr.mode = dv.getUint32(b + 68, true);
      if (valid & Fattr.UID) attr.uid = dv.getUint32(b + 76, true);
      if (valid & Fattr.GID) attr.gid = dv.getUint32(b + 80, true);
      body = { op: "setattr", attr };
      break;
    }
    case Op.MKDIR:
      need(8);
      body = {
        op: "mkdir",
        mode: dv.getUint32(b, true),
        umask: dv.getUint32(b + 4, true),
        name: name(b + 8),
      };
      break;
    case Op.MKNOD:
      need(16);
      body = {
        op: "mknod",
        mode: dv.getUint32(b, true),
        rdev: dv.getUint32(b + 4, true),
        umask: dv.getUint32(b + 8, true),
        name: name(b + 16),
      };
      break;
    case Op.UNLINK:
      body = { op: "unlink", name: name(b) };
      break;
    case Op.RMDIR:
      body = { op: "rmdir", name: name(b) };
      break;
    case Op.RENAME: {
      need(8);
      const [oldname, next] = readCString(buf, b + 8, end);
      body = { op: "rename", newdir: u64(dv, b), oldname, newname: name(next), flags: 0 };
      break;
    }
    case Op.RENAME2: {
      need(16);
      const [oldname, next] = readCString(buf, b + 16, end);
      body = {
        op: "rename",
        newdir: u64(dv, b),
        flags: dv.getUint32(b + 8, true),
        oldname,
        newname: name(next),
      };
      break;
    }
    case Op.OPEN:
    case Op.OPENDIR:
      need(8);
      body = { op: header.opcode === Op.OPEN ? "open" : "opendir", flags: dv.getUint32(b, true) };
      break;
    case Op.READ:
      need(24);
      body = {
        op: "read",
        fh: u64(dv, b),
        offset: u64(dv, b + 8),
        size: dv.getUint32(b + 16, true),
        flags: end >= b + 40 ? dv.getUint32(b + 32, true) : 0,
      };
      break;
    case Op.READDIR:
    case Op.READDIRPLUS:
      need(24);
      body = {
        op: "readdir",
        fh: u64(dv, b),
        offset: u64(dv, b + 8),
        size: dv.getUint32(b + 16, true),
        plus: header.opcode === Op.READDIRPLUS,
      };
      break;
    case Op.WRITE: {
      need(WRITE_IN_SIZE);
      const size = dv.getUint32(b + 16, true);
      const start = b + WRITE_IN_SIZE;
      if (start + size > end) throw new ProtocolError(`WRITE of ${size} bytes is truncated`);
      body = {
        op: "write",
        fh: u64(dv, b),
        offset: u64(dv, b + 8),
        writeFlags: dv.getUint32(b + 20, true),
        flags: dv.getUint32(b + 32, true),
        // a view, not a copy: see decodeRequest's doc for who keeps it valid
        data: buf.subarray(start, start + size),
      };
      break;
    }
    case Op.FLUSH:
      need(8);
      body = { op: "flush", fh: u64(dv, b) };
      break;
    case Op.FSYNC:
    case Op.FSYNCDIR:
      need(16);
      body = {
        op: "fsync",
        fh: u64(dv, b),
        datasync: (dv.getUint32(b + 8, true) & FSYNC_FDATASYNC) !== 0,
        dir: header.opcode === Op.FSYNCDIR,
      };
      break;
    case Op.RELEASE:
    case Op.RELEASEDIR:
      need(16);
      body = {
        op: "release",
        fh: u64(dv, b),
        flags: dv.getUint32(b + 8, true),
        releaseFlags: dv.getUint32(b + 12, true),
        dir: header.opcode === Op.RELEASEDIR,
      };
      break;
    case Op.STATFS:
      body = { op: "statfs" };
      break;
    case Op.ACCESS:
      need(8);
      body = { op: "access", mask: dv.getUint32(b, true) };
      break;
    case Op.CREATE:
      need(16);
      body = {
        op: "create",
        flags: dv.getUint32(b, true),
        mode: dv.getUint32(b + 4, true),
        umask: dv.getUint32(b + 8, true),
        name: name(b + 16),
      };
      break;
    case Op.INTERRUPT:
      need(8);
      body = { op: "interrupt", target: u64(dv, b) };
      break;
    case Op.FALLOCATE:
      need(32);
      body = {
        op: "fallocate",
        fh: u64(dv, b),
        offset: u64(dv, b + 8),
        length: u64(dv, b + 16),
        mode: dv.getUint32(b + 24, true),
      };
      break;
    case Op.LSEEK:
      need(24);
      body = {
        op: "lseek",
        fh: u64(dv, b),
        offset: Number(dv.getBigInt64(b + 8, true)),
        whence: dv.getUint32(b + 16, true),
      };
      break;
    case Op.GETXATTR:
      need(8);
      body = { op: "getxattr", size: dv.getUint32(b, true), name: name(b + 8) };
      break;
    case Op.LISTXATTR:
      need(8);
      body = { op: "listxattr", size: dv.getUint32(b, true) };
      break;
    case Op.SETXATTR: {
      need(8);
      // Without FUSE_SETXATTR_EXT (never negotiated) the header is the 8-byte compat form.
      const size = dv.getUint32(b, true);
      const [xname, next] = readCString(buf, b + 8, end);
      body = {
        op: "setxattr",
        flags: dv.getUint32(b + 4, true),
        name: xname,
        value: buf.slice(next, Math.min(end, next + size)),
      };
      break;
    }
    case Op.REMOVEXATTR:
      body = { op: "removexattr", name: name(b) };
      break;
    default:
      body = { op: "unknown" };
  }
  return { header, body };
}

/** Attributes of one node as sent to the kernel (`struct fuse_attr`). Times in ms. */
export interface FuseAttr {
  /** Inode number. */
  ino: number;
  /** Size in bytes. */
  size: number;
  /** Full `st_mode` (type and permission bits). */
  mode: number;
  /** Link count (default 1). */
  nlink?: number;
  /** Owner. */
  uid: number;
  /** Group. */
  gid: number;
  /** Access time, ms since the epoch. */
  atimeMs: number;
  /** Modification time, ms since the epoch. */
  mtimeMs: number;
  /** Change time, ms since the epoch. */
  ctimeMs: number;
  /** Preferred I/O size (default 4096). */
  blksize?: number;
}

function putTime(dv: DataView, secOff: number, nsecOff: number, ms: number): void {
  const t = Number.isFinite(ms) && ms > 0 ? ms : 0;
  const sec = Math.floor(t / 1000);
  putU64(dv, secOff, sec);
  dv.setUint32(nsecOff, Math.floor((t - sec * 1000) * 1e6), true);
}

/** Writes a `struct fuse_attr` (88 bytes) at `off`. */
export function putAttr(dv: DataView, off: number, a: FuseAttr): void {
  putU64(dv, off, a.ino);
  putU64(dv, off + 8, a.size);
  putU64(dv, off + 16, Math.ceil(a.size / 512));
  putTime(dv, off + 24, off + 48, a.atimeMs);
  putTime(dv, off + 32, off + 52, a.mtimeMs);
  putTime(dv, off + 40, off + 56, a.ctimeMs);
  dv.setUint32(off + 60, a.mode, true);
  dv.setUint32(off + 64, a.nlink ?? 1, true);
  dv.setUint32(off + 68, a.uid, true);
  dv.setUint32(off + 72, a.gid, true);
  dv.setUint32(off + 76, 0, true);
  dv.setUint32(off + 80, a.blksize ?? 4096, true);
  dv.setUint32(off + 84, 0, true);
}

/** Writes a timeout given in ms as a u64 seconds at `secOff` and u32 nanoseconds at `nsecOff`. */
function putTimeout(dv: DataView, secOff: number, nsecOff: number, ms: number): void {
  putTime(dv, secOff, nsecOff, Math.max(0, ms));
}

/** An entry reply (LOOKUP, MKDIR, CREATE, READDIRPLUS): node id, cache timeouts and attributes. */
export interface EntryOut {
  /** Attributes; `attr.ino` is also the node id. 0 = negative entry. */
  attr: FuseAttr;
  /** Generation number (default 0). */
  generation?: number;
  /** How long the kernel may cache the name, ms. */
  entryTimeoutMs: number;
  /** How long the kernel may cache the attributes, ms. */
  attrTimeoutMs: number;
}

/** Writes a `struct fuse_entry_out` (128 bytes) at `off`. */
export function putEntryOut(dv: DataView, off: number, e: EntryOut): void {
  putU64(dv, off, e.attr.ino);
  putU64(dv, off + 8, e.generation ?? 0);
  putTimeout(dv, off + 16, off + 32, e.entryTimeoutMs);
  putTimeout(dv, off + 24, off + 36, e.attrTimeoutMs);
  putAttr(dv, off + 40, e.attr);
}

function newBody(n: number): [Uint8Array, DataView] {
  const b = new Uint8Array(n);
  return [b, new DataView(b.buffer)];
}

/** Encodes a `struct fuse_entry_out`. */
export function encodeEntryOut(e: EntryOut): Uint8Array {
  const [b, dv] = newBody(ENTRY_OUT_SIZE);
  putEntryOut(dv, 0, e);
  return b;
}

/** Encodes a `struct fuse_attr_out` (104 bytes). */
export function encodeAttrOut(attr: FuseAttr, attrTimeoutMs: number): Uint8Array {
  const [b, dv] = newBody(ATTR_OUT_SIZE);
  putTimeout(dv, 0, 8, attrTimeoutMs);
  putAttr(dv, 16, attr);
  return b;
}

/** Encodes a `struct fuse_open_out` (16 bytes). */
export function encodeOpenOut(fh: number, openFlags: number): Uint8Array {
  const [b, dv] = newBody(OPEN_OUT_SIZE);
  putU64(dv, 0, fh);
  dv.setUint32(8, openFlags, true);
  return b;
}

/** Encodes the CREATE reply: `fuse_entry_out` followed by `fuse_open_out`. */
export function encodeCreateOut(e: EntryOut, fh: number, openFlags: number): Uint8Array {
  const [b, dv] = newBody(ENTRY_OUT_SIZE + OPEN_OUT_SIZE);
  putEntryOut(dv, 0, e);
  putU64(dv, ENTRY_OUT_SIZE, fh);
  dv.setUint32(ENTRY_OUT_SIZE + 8, openFlags, true);
  return b;
}

/** The negotiated INIT reply values. */
export interface InitOut {
  /** Protocol major (7). */
  major: number;
  /** Protocol minor answered. */
  minor: number;
  /** Maximum readahead in bytes. */
  maxReadahead: number;
  /** Capability flags ({@link InitFlag}). */
  flags: number;
  /** Maximum number of background requests. */
  maxBackground: number;
  /** Background requests at which the kernel marks the bdi congested. */
  congestionThreshold: number;
  /** Largest WRITE payload in bytes. */
  maxWrite: number;
  /** Timestamp granularity in ns. */
  timeGran: number;
  /** Largest request in pages (with MAX_PAGES). */
  maxPages: number;
}

/** Encodes a `struct fuse_init_out`; its length depends on the kernel's minor version. */
export function encodeInitOut(o: InitOut, kernelMinor: number): Uint8Array {
  const [b, dv] = newBody(INIT_OUT_SIZE);
  dv.setUint32(0, o.major, true);
  dv.setUint32(4, o.minor, true);
  dv.setUint32(8, o.maxReadahead, true);
  dv.setUint32(12, o.flags >>> 0, true);
  dv.setUint16(16, o.maxBackground, true);
  dv.setUint16(18, o.congestionThreshold, true);
  dv.setUint32(20, o.maxWrite, true);
  dv.setUint32(24, o.timeGran, true);
  dv.setUint16(28, o.maxPages, true);
  const len = kernelMinor < 5 ? 8 : kernelMinor < 23 ? 24 : INIT_OUT_SIZE;
  return b.subarray(0, len);
}

/** Encodes a `struct fuse_write_out` (8 bytes). */
export function encodeWriteOut(size: number): Uint8Array {
  const [b, dv] = newBody(8);
  dv.setUint32(0, size, true);
  return b;
}

/** File system figures for STATFS (`struct fuse_kstatfs`). */
export interface StatfsOut {
  /** Total blocks of `bsize`. */
  blocks: number;
  /** Free blocks. */
  bfree: number;
  /** Free blocks for unprivileged users. */
  bavail: number;
  /** Total inodes. */
  files: number;
  /** Free inodes. */
  ffree: number;
  /** Block size. */
  bsize: number;
  /** Longest name. */
  namelen: number;
  /** Fragment size (default bsize). */
  frsize?: number;
}

/** Encodes a `struct fuse_statfs_out` (80 bytes). */
export function encodeStatfsOut(s: StatfsOut): Uint8Array {
  const [b, dv] = newBody(STATFS_OUT_SIZE);
  const u = (off: number, v: number) => putU64(dv, off, Math.max(0, Math.floor(v)));
  u(0, s.blocks);
  u(8, s.bfree);
  u(16, s.bavail);
  u(24, s.files);
  u(32, s.ffree);
  dv.setUint32(40, s.bsize, true);
  dv.setUint32(44, s.namelen, true);
  dv.setUint32(48, s.frsize ?? s.bsize, true);
  return b;
}

/** Encodes a `struct fuse_lseek_out` (8 bytes). */
export function encodeLseekOut(offset: number): Uint8Array {
  const [b, dv] = newBody(8);
  putU64(dv, 0, offset);
  return b;
}

/** Encodes a `struct fuse_getxattr_out` (8 bytes): the size a GETXATTR/LISTXATTR needs. */
export function encodeGetxattrOut(size: number): Uint8Array {
  const [b, dv] = newBody(8);
  dv.setUint32(0, size, true);
  return b;
}

/**
 * Writes a `struct fuse_out_header` (16 bytes) at the start of `dv`: the reply's total length
 * (header plus a body of `bodyLength` bytes), the error as a negated errno, and `unique`.
 */
export function putOutHeader(
  dv: DataView,
  unique: number,
  errno: number,
  bodyLength: number,
): void {
  dv.setUint32(0, OUT_HEADER_SIZE + bodyLength, true);
  dv.setInt32(4, -errno, true);
  putU64(dv, 8, unique);
}

/** Encodes a whole reply: `struct fuse_out_header` (error as a positive errno) plus body. */
export function encodeReply(unique: number, errno: number, body?: Uint8Array): Uint8Array {
  const bodyLength = errno === 0 && body ? body.length : 0;
  const out = new Uint8Array(OUT_HEADER_SIZE + bodyLength);
  putOutHeader(new DataView(out.buffer), unique, errno, bodyLength);
  if (bodyLength > 0) out.set(body!, OUT_HEADER_SIZE);
  return out;
}

/** One directory entry to pack into a READDIR/READDIRPLUS reply. */
export interface DirentIn {
  /** Inode number (for READDIRPLUS, must match `entry.attr.ino` unless 0). */
  ino: number;
  /** Offset of the *next* entry (what the kernel passes back to continue). */
  off: number;
  /** File name. */
  name: string;
  /** Full `st_mode` or just the type bits. */
  mode: number;
  /** The entry reply for READDIRPLUS (ignored for plain READDIR). */
  entry?: EntryOut;
}

/**
 * Packs dirents (or direntplus records) into a reply buffer of at most `size` bytes.
 * {@link DirentBuffer.add} returns false once an entry no longer fits. Names are UTF-8 encoded
 * straight into the reply buffer, once per entry (checked by {@link DirentBuffer.fits} and
 * reused by the following `add` of the same name): listings run this for every entry.
 */
export class DirentBuffer {
  #buf: Uint8Array;
  #dv: DataView;
  #used = 0;
  #plus: boolean;
  /** The name last encoded in place at {@link #used} by `fits`, and its length in bytes. */
  #placed: string | undefined;
  #placedLen = 0;

  /** Creates a buffer for a reply of at most `size` bytes; `plus` selects direntplus. */
  constructor(size: number, plus: boolean) {
    this.#buf = new Uint8Array(size);
    this.#dv = new DataView(this.#buf.buffer);
    this.#plus = plus;
  }

  #fixed(): number {
    return (this.#plus ? ENTRY_OUT_SIZE : 0) + DIRENT_HEADER_SIZE;
  }

  /** Whether an entry with this name would still fit (the name is encoded in place). */
  fits(name: string): boolean {
    this.#placed = undefined;
    const buf = this.#buf;
    const at = this.#used + this.#fixed();
    if (at >= buf.length) return false;
    const n = name.length;
    let written = -1;
    if (at + n <= buf.length) {
      // ASCII names (the usual case) are copied by hand: no view and no encoder call per entry
      let i = 0;
      for (; i < n; i++) {
        const c = name.charCodeAt(i);
        if (c >= 0x80) break;
        buf[at + i] = c;
      }
      if (i === n) written = n;
    }
    if (written < 0) {
      const r = enc.encodeInto(name, buf.subarray(at));
      if (r.read < n) return false;
      written = r.written;
    }
    if (this.#used + ((this.#fixed() + written + 7) & ~7) > buf.length) return false;
    this.#placed = name;
    this.#placedLen = written;
    return true;
  }

  /** Appends an entry; false (and nothing written) if it does not fit. */
  add(e: DirentIn): boolean {
    if (this.#placed !== e.name && !this.fits(e.name)) return false;
    this.#placed = undefined;
    const nameLen = this.#placedLen;
    const reclen = (this.#fixed() + nameLen + 7) & ~7;
    if (this.#used + reclen > this.#buf.length) return false;
    let o = this.#used;
    if (this.#plus) {
      if (e.entry) putEntryOut(this.#dv, o, e.entry);
      o += ENTRY_OUT_SIZE;
    }
    putU64(this.#dv, o, e.ino);
    putU64(this.#dv, o + 8, e.off);
    this.#dv.setUint32(o + 16, nameLen, true);
    this.#dv.setUint32(o + 20, (e.mode & S_IFMT) >>> 12, true);
    // the name is already in place; padding up to reclen must be zero (a failed fit may have
    // left bytes there)
    this.#buf.fill(0, o + DIRENT_HEADER_SIZE + nameLen, this.#used + reclen);
    this.#used += reclen;
    return true;
  }

  /** Number of bytes used so far. */
  get length(): number {
    return this.#used;
  }

  /** The packed records. */
  bytes(): Uint8Array {
    return this.#buf.subarray(0, this.#used);
  }
}

import {
  decodeRequest,
  DirentBuffer,
  encodeAttrOut,
  encodeEntryOut,
  encodeInitOut,
  encodeOpenOut,
  encodeReply,
  encodeStatfsOut,
  encodeWriteOut,
  ProtocolError,
} from "./protocol.ts";
import { Fattr, Op, RenameFlag } from "./opcodes.ts";

function assertEq(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: got ${a}, want ${e}`);
}

/** Builds a request by hand: a 40-byte header then `body` (little-endian, like the kernel). */
function request(opcode: number, nodeid: number, body: number[]): Uint8Array {
  const len = 40 + body.length;
  const b = new Uint8Array(len);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, len, true);
  dv.setUint32(4, opcode, true);
  dv.setBigUint64(8, 0x1234n, true);
  dv.setBigUint64(16, BigInt(nodeid), true);
  dv.setUint32(24, 1000, true); // uid
  dv.setUint32(28, 100, true); // gid
  dv.setUint32(32, 4242, true); // pid
  b.set(body, 40);
  return b;
}
const le32 = (v: number) => [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255];
const le64 = (v: number) => [...le32(v % 2 ** 32), ...le32(Math.floor(v / 2 ** 32))];
const cstr = (s: string) => [...new TextEncoder().encode(s), 0];

Deno.test("decodeRequest() reads the header and an INIT body", () => {
  const r = decodeRequest(
    request(Op.INIT, 0, [...le32(7), ...le32(45), ...le32(131072), ...le32(0x3fffffff)]),
  );
  assertEq(r.header, {
    len: 56,
    opcode: Op.INIT,
    unique: 0x1234,
    nodeid: 0,
    uid: 1000,
    gid: 100,
    pid: 4242,
  }, "header");
  assertEq(r.body, {
    op: "init",
    major: 7,
    minor: 45,
    maxReadahead: 131072,
    flags: 0x3fffffff,
  }, "body");
});

Deno.test("decodeRequest() reads LOOKUP, MKDIR and RENAME2 names", () => {
  assertEq(decodeRequest(request(Op.LOOKUP, 1, cstr("héllo"))).body, {
    op: "lookup",
    name: "héllo",
  }, "lookup");
  assertEq(
    decodeRequest(request(Op.MKDIR, 5, [...le32(0o755), ...le32(0o22), ...cstr("d")])).body,
    { op: "mkdir", mode: 0o755, umask: 0o22, name: "d" },
    "mkdir",
  );
  const r2 = decodeRequest(
    request(Op.RENAME2, 3, [
      ...le64(9),
      ...le32(RenameFlag.NOREPLACE),
      ...le32(0),
      ...cstr("a"),
      ...cstr("b"),
    ]),
  );
  assertEq(r2.body, { op: "rename", newdir: 9, flags: 1, oldname: "a", newname: "b" }, "rename2");
  const r1 = decodeRequest(request(Op.RENAME, 3, [...le64(2), ...cstr("x"), ...cstr("y")]));
  assertEq(r1.body, { op: "rename", newdir: 2, oldname: "x", newname: "y", flags: 0 }, "rename");
});

Deno.test("decodeRequest() gives WRITE data as a view of the read buffer", () => {
  const buf = request(Op.WRITE, 7, [
    ...le64(11), // fh
    ...le64(4096), // offset
    ...le32(3), // size
    ...le32(0), // write_flags
    ...le64(0), // lock_owner
    ...le32(0o2), // flags
    ...le32(0), // padding
    1,
    2,
    3,
  ]);
  const r = decodeRequest(buf);
  if (r.body.op !== "write") throw new Error("not a write");
  assertEq([r.body.fh, r.body.offset, r.body.flags], [11, 4096, 2], "write fields");
  assertEq([...r.body.data], [1, 2, 3], "write data");
  if (r.body.data.buffer !== buf.buffer) throw new Error("the payload was copied");
  buf.fill(0);
  assertEq([...r.body.data], [0, 0, 0], "so the session must not reuse the buffer meanwhile");
});

Deno.test("decodeRequest() reads SETATTR fields only for set valid bits", () => {
  const body = new Array(88).fill(0);
  const put = (off: number, bytes: number[]) => body.splice(off, bytes.length, ...bytes);
  put(0, le32(Fattr.SIZE | Fattr.MTIME | Fattr.ATIME_NOW));
  put(16, le64(12345)); // size
  put(40, le64(1_700_000_000)); // mtime sec
  put(60, le32(500_000_000)); // mtime nsec
  put(68, le32(0o100600)); // mode (not valid)
  const r = decodeRequest(request(Op.SETATTR, 2, body));
  assertEq(r.body, {
    op: "setattr",
    attr: {
      valid: Fattr.SIZE | Fattr.MTIME | Fattr.ATIME_NOW,
      size: 12345,
      atimeMs: "now",
      mtimeMs: 1_700_000_000_500,
    },
  }, "setattr");
});

Deno.test("decodeRequest() reads BATCH_FORGET and rejects truncated bodies", () => {
  const r = decodeRequest(
    request(Op.BATCH_FORGET, 0, [
      ...le32(2),
      ...le32(0),
      ...le64(5),
      ...le64(3),
      ...le64(6),
      ...le64(1),
    ]),
  );
  assertEq(r.body, {
    op: "batch_forget",
    items: [{ nodeid: 5, nlookup: 3 }, { nodeid: 6, nlookup: 1 }],
  }, "batch_forget");
  let threw = false;
  try {
    decodeRequest(request(Op.READ, 2, le64(1)));
  } catch (e) {
    threw = e instanceof ProtocolError;
  }
  assertEq(threw, true, "truncated READ throws ProtocolError");
  assertEq(decodeRequest(request(9999, 1, [])).body, { op: "unknown" }, "unknown opcode");
});

const ATTR = {
  ino: 42,
  size: 1000,
  mode: 0o100644,
  uid: 1000,
  gid: 100,
  atimeMs: 1_700_000_000_250,
  mtimeMs: 1_700_000_001_000,
  ctimeMs: 1_700_000_002_999,
};

Deno.test("encodeEntryOut() lays out fuse_entry_out and fuse_attr", () => {
  const b = encodeEntryOut({ attr: ATTR, entryTimeoutMs: 1500, attrTimeoutMs: 2000 });
  const dv = new DataView(b.buffer);
  assertEq(b.length, 128, "size");
  assertEq(Number(dv.getBigUint64(0, true)), 42, "nodeid");
  assertEq(Number(dv.getBigUint64(16, true)), 1, "entry_valid");
  assertEq(dv.getUint32(32, true), 500_000_000, "entry_valid_nsec");
  assertEq(Number(dv.getBigUint64(24, true)), 2, "attr_valid");
  const a = 40;
  assertEq(Number(dv.getBigUint64(a, true)), 42, "attr.ino");
  assertEq(Number(dv.getBigUint64(a + 8, true)), 1000, "attr.size");
  assertEq(Number(dv.getBigUint64(a + 16, true)), 2, "attr.blocks");
  assertEq(Number(dv.getBigUint64(a + 24, true)), 1_700_000_000, "atime");
  assertEq(dv.getUint32(a + 48, true), 250_000_000, "atimensec");
  assertEq(dv.getUint32(a + 56, true), 999_000_000, "ctimensec");
  assertEq(dv.getUint32(a + 60, true), 0o100644, "mode");
  assertEq(dv.getUint32(a + 64, true), 1, "nlink");
  assertEq([dv.getUint32(a + 68, true), dv.getUint32(a + 72, true)], [1000, 100], "uid/gid");
  assertEq(dv.getUint32(a + 80, true), 4096, "blksize");
});

Deno.test("encodeAttrOut(), encodeOpenOut(), encodeWriteOut() and encodeStatfsOut() sizes", () => {
  const ao = encodeAttrOut(ATTR, 1000);
  assertEq(ao.length, 104, "attr_out size");
  assertEq(Number(new DataView(ao.buffer).getBigUint64(0, true)), 1, "attr_valid");
  const oo = new DataView(encodeOpenOut(77, 2).buffer);
  assertEq([Number(oo.getBigUint64(0, true)), oo.getUint32(8, true)], [77, 2], "open_out");
  assertEq([...encodeWriteOut(513)], [1, 2, 0, 0, 0, 0, 0, 0], "write_out");
  const st = encodeStatfsOut({
    blocks: 10,
    bfree: 5,
    bavail: 4,
    files: 3,
    ffree: 2,
    bsize: 4096,
    namelen: 255,
  });
  const sv = new DataView(st.buffer);
  assertEq(st.length, 80, "statfs size");
  assertEq([sv.getUint32(40, true), sv.getUint32(44, true), sv.getUint32(48, true)], [
    4096,
    255,
    4096,
  ], "bsize/namelen/frsize");
});

Deno.test("encodeInitOut() sizes the reply by the kernel's minor version", () => {
  const o = {
    major: 7,
    minor: 31,
    maxReadahead: 1 << 20,
    flags: 0x400021,
    maxBackground: 64,
    congestionThreshold: 48,
    maxWrite: 1 << 20,
    timeGran: 1,
    maxPages: 256,
  };
  assertEq(encodeInitOut(o, 45).length, 64, "7.45");
  assertEq(encodeInitOut(o, 22).length, 24, "7.22");
  const dv = new DataView(encodeInitOut(o, 45).buffer);
  assertEq([dv.getUint32(0, true), dv.getUint32(4, true)], [7, 31], "version");
  assertEq(dv.getUint32(20, true), 1 << 20, "max_write");
  assertEq(dv.getUint16(28, true), 256, "max_pages");
});

Deno.test("encodeReply() writes the out header with a negated errno", () => {
  const ok = encodeReply(0x1234, 0, new Uint8Array([9, 9]));
  const dv = new DataView(ok.buffer);
  assertEq([dv.getUint32(0, true), dv.getInt32(4, true)], [18, 0], "ok header");
  assertEq(Number(dv.getBigUint64(8, true)), 0x1234, "unique");
  const err = encodeReply(5, 2, new Uint8Array([1]));
  const ev = new DataView(err.buffer);
  assertEq([ev.getUint32(0, true), ev.getInt32(4, true)], [16, -2], "error carries no body");
});

Deno.test("DirentBuffer packs 8-byte aligned dirents and stops when full", () => {
  const d = new DirentBuffer(64, false);
  assertEq(d.add({ ino: 5, off: 1, name: "abc", mode: 0o100644 }), true, "first fits");
  assertEq(d.length, 32, "24 + 3 rounded to 32");
  assertEq(d.add({ ino: 6, off: 2, name: "0123456789", mode: 0o040755 }), false, "second is 40");
  assertEq(d.add({ ino: 6, off: 2, name: "dir", mode: 0o040755 }), true, "third fits");
  const dv = new DataView(d.bytes().buffer);
  assertEq(
    [Number(dv.getBigUint64(32, true)), Number(dv.getBigUint64(40, true))],
    [6, 2],
    "ino/off",
  );
  assertEq([dv.getUint32(48, true), dv.getUint32(52, true)], [3, 4], "namelen/type DT_DIR");
  const p = new DirentBuffer(4096, true);
  p.add({
    ino: 42,
    off: 3,
    name: "f",
    mode: ATTR.mode,
    entry: { attr: ATTR, entryTimeoutMs: 1000, attrTimeoutMs: 1000 },
  });
  assertEq(p.length, 160, "direntplus = 128 + 24 + 1 rounded");
  const pv = new DataView(p.bytes().buffer);
  assertEq(Number(pv.getBigUint64(0, true)), 42, "entry nodeid");
  assertEq(pv.getUint32(128 + 20, true), 8, "DT_REG");
});

Deno.test("64-bit fields above 2^32 round-trip without BigInt", () => {
  const big = 5 * 2 ** 32 + 7; // e.g. a 20 GiB file
  const req = decodeRequest(
    request(Op.GETATTR, big, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
  );
  assertEq(req.header.nodeid, big, "nodeid decoded");
  const b = encodeEntryOut({
    attr: { ...ATTR, ino: big, size: big },
    entryTimeoutMs: 1000,
    attrTimeoutMs: 1000,
  });
  const dv = new DataView(b.buffer);
  assertEq(String(dv.getBigUint64(0, true)), String(BigInt(big)), "nodeid");
  assertEq(String(dv.getBigUint64(40 + 8, true)), String(BigInt(big)), "size");
  assertEq(String(dv.getBigUint64(40 + 16, true)), String(BigInt(Math.ceil(big / 512))), "blocks");
  assertEq(String(dv.getBigUint64(40 + 32, true)), String(1_700_000_001n), "mtime seconds");
  const r = encodeReply(2 ** 40 + 2, 0);
  assertEq(String(new DataView(r.buffer).getBigUint64(8, true)), String(2n ** 40n + 2n), "unique");
});

Deno.test("DirentBuffer: UTF-8 names, fits() then add(), zero padding after a failed fit", () => {
  const d = new DirentBuffer(72, false);
  const name = "é😀"; // 2 + 4 bytes
  assertEq(d.fits(name), true, "fits");
  assertEq(d.add({ ino: 2 ** 33, off: 1, name, mode: 0o100644 }), true, "added");
  assertEq(d.length, 32, "24 + 6 rounded to 32");
  // 24 + 17 > 40 left: does not fit, though part of it was encoded in place
  assertEq(d.fits("abcdefghijklmnopq"), false, "too long");
  assertEq(d.add({ ino: 3, off: 2, name: "x", mode: 0o040755 }), true, "short one fits");
  const bytes = d.bytes();
  const dv = new DataView(bytes.buffer);
  assertEq(String(dv.getBigUint64(0, true)), String(2n ** 33n), "ino");
  assertEq(dv.getUint32(16, true), 6, "namelen in bytes");
  assertEq(new TextDecoder().decode(bytes.subarray(24, 30)), name, "name");
  assertEq(dv.getUint32(32 + 16, true), 1, "second namelen");
  assertEq([...bytes.subarray(32 + 24, 64)], [120, 0, 0, 0, 0, 0, 0, 0], "name and zero padding");
  assertEq(d.fits("y"), false, "full");
});

Deno.test("DirentBuffer: ASCII names copied by hand, a name turning non-ASCII midway, exact fit", () => {
  const d = new DirentBuffer(96, false);
  assertEq(d.add({ ino: 5, off: 1, name: "abcdefgh", mode: 0o100644 }), true, "ascii");
  assertEq(d.add({ ino: 6, off: 2, name: "ab😀c", mode: 0o100644 }), true, "mixed");
  assertEq(d.fits("abcdefghijklmnopq"), false, "24 + 17 > 32 left");
  assertEq(d.add({ ino: 7, off: 3, name: "12345678", mode: 0o100644 }), true, "exactly fills");
  assertEq(d.length, 96, "32 + 32 + 32");
  const bytes = d.bytes();
  const dv = new DataView(bytes.buffer);
  const dec = new TextDecoder();
  assertEq(dv.getUint32(16, true), 8, "first namelen");
  assertEq(dec.decode(bytes.subarray(24, 32)), "abcdefgh", "first name");
  assertEq(dv.getUint32(32 + 16, true), 7, "2 + 4 + 1 bytes");
  assertEq(dec.decode(bytes.subarray(56, 63)), "ab😀c", "second name");
  assertEq(bytes[63], 0, "padding");
  assertEq(dec.decode(bytes.subarray(88, 96)), "12345678", "third name");
  assertEq(d.fits("z"), false, "full");
});

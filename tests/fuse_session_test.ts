/**
 * Real-mount tests of the FUSE session with a tiny in-memory FuseOps defined here: INIT,
 * lookup/getattr/readdir/read, xattr answers, ENOSYS for missing ops, INTERRUPT, and the
 * session ending when the file system is unmounted from outside. All I/O against the mount runs
 * in subprocesses (this thread serves the mount).
 */

import { Errno, FsError, NotFoundError } from "../lib/errors.ts";
import { mountFuse, unmountFuse } from "../lib/fuse/mount.ts";
import { ROOT_ID, S_IFDIR, S_IFREG } from "../lib/fuse/opcodes.ts";
import type { FuseAttr, FuseOps, RequestContext } from "../lib/fuse/ops.ts";
import { DirentBuffer } from "../lib/fuse/protocol.ts";
import { FuseSession } from "../lib/fuse/session.ts";

const root = Deno.uid() === 0;
const CONTENT = new TextEncoder().encode("hello from fuse\n");

/** A read-only fs: `/hello` (CONTENT) and `/slow` (reads wait until interrupted). */
class TinyOps implements FuseOps {
  forgets = 0;
  interrupted = 0;
  destroyed = false;
  #attr(ino: number): FuseAttr {
    const now = 1_700_000_000_000;
    const base = { uid: 0, gid: 0, atimeMs: now, mtimeMs: now, ctimeMs: now };
    if (ino === ROOT_ID) return { ...base, ino, size: 0, mode: S_IFDIR | 0o755, nlink: 2 };
    if (ino === 2) return { ...base, ino, size: CONTENT.length, mode: S_IFREG | 0o644 };
    if (ino === 3) return { ...base, ino, size: 1 << 20, mode: S_IFREG | 0o644 };
    throw new NotFoundError(String(ino));
  }
  lookup(_ctx: RequestContext, parent: number, name: string) {
    const ino = parent === ROOT_ID ? { hello: 2, slow: 3 }[name] : undefined;
    if (!ino) return Promise.reject(new NotFoundError(name));
    return Promise.resolve({ attr: this.#attr(ino), entryTimeoutMs: 1000, attrTimeoutMs: 1000 });
  }
  forget(_ino: number, _n: number) {
    this.forgets++;
  }
  getattr(_ctx: RequestContext, ino: number) {
    return Promise.resolve({ attr: this.#attr(ino), attrTimeoutMs: 1000 });
  }
  open(_ctx: RequestContext, _ino: number, _flags: number) {
    return Promise.resolve({ fh: 7 });
  }
  read(ctx: RequestContext, ino: number, _fh: number, offset: number, size: number) {
    if (ino === 2) return Promise.resolve(CONTENT.slice(offset, offset + size));
    return new Promise<Uint8Array>((_res, rej) => {
      ctx.signal.addEventListener("abort", () => {
        this.interrupted++;
        rej(new FsError("interrupted", Errno.EINTR));
      });
    });
  }
  release() {
    return Promise.resolve();
  }
  mkdir(): Promise<never> {
    return new Promise(() => {}); // a stuck backend that ignores the abort signal
  }
  opendir() {
    return Promise.resolve({ fh: 1 });
  }
  releasedir() {
    return Promise.resolve();
  }
  readdir(
    _ctx: RequestContext,
    _ino: number,
    _fh: number,
    offset: number,
    size: number,
    plus: boolean,
  ) {
    const all = [
      { name: ".", ino: 1 },
      { name: "..", ino: 1 },
      { name: "hello", ino: 2 },
      { name: "slow", ino: 3 },
    ];
    const buf = new DirentBuffer(size, plus);
    for (let i = offset; i < all.length; i++) {
      const e = all[i]!;
      const attr = this.#attr(e.ino);
      const entry = plus && i >= 2
        ? { attr, entryTimeoutMs: 1000, attrTimeoutMs: 1000 }
        : undefined;
      if (!buf.add({ ino: e.ino, off: i + 1, name: e.name, mode: attr.mode, entry })) break;
    }
    return Promise.resolve(buf.bytes());
  }
  destroy() {
    this.destroyed = true;
  }
}

async function sh(script: string): Promise<{ code: number; out: string; err: string }> {
  const r = await new Deno.Command("sh", { args: ["-c", script], stdin: "null" }).output();
  const d = new TextDecoder();
  return { code: r.code, out: d.decode(r.stdout), err: d.decode(r.stderr) };
}

async function withTinyMount(
  fn: (mnt: string, ops: TinyOps, session: FuseSession) => Promise<void>,
  interruptGraceMs?: number,
): Promise<void> {
  const mnt = await Deno.makeTempDir({ prefix: "denoclone-fuse-session-" });
  const ops = new TinyOps();
  const km = await mountFuse(mnt, { fsname: "tiny", subtype: "rclone" });
  const session = new FuseSession(km.fd, ops, { name: mnt, interruptGraceMs });
  session.start();
  try {
    await session.initialized;
    await fn(mnt, ops, session);
  } finally {
    await unmountFuse(mnt, { deadlineMs: 2000 });
    await session.closed;
    await Deno.remove(mnt);
  }
}

Deno.test({
  name: "FuseSession serves lookup, getattr, readdir and read on a real mount",
  ignore: !root,
  fn: () =>
    withTinyMount(async (mnt) => {
      const r = await sh(`cat ${mnt}/hello && ls -a ${mnt} && stat -c '%s %a %F' ${mnt}/hello`);
      if (r.code !== 0) throw new Error(`shell failed: ${r.err}`);
      const lines = r.out.split("\n");
      if (lines[0] !== "hello from fuse") throw new Error(`bad content ${lines[0]}`);
      const names = lines.slice(1, 5).join(" ");
      if (names !== ". .. hello slow") throw new Error(`bad listing ${names}`);
      if (lines[5] !== `${CONTENT.length} 644 regular file`) throw new Error(`stat: ${lines[5]}`);
      const mi = await Deno.readTextFile("/proc/self/mountinfo");
      if (!mi.split("\n").some((l) => l.includes(` ${mnt} `) && l.includes(" fuse.rclone tiny "))) {
        throw new Error("mount not listed as fuse.rclone with source tiny");
      }
    }),
});

Deno.test({
  name: "FuseSession answers xattr calls cleanly and ENOSYS for missing ops",
  ignore: !root,
  fn: () =>
    withTinyMount(async (mnt) => {
      // ls -l asks for security.selinux / ACL xattrs: it must print no error
      const ls = await sh(`ls -l ${mnt}`);
      if (ls.code !== 0 || ls.err !== "") throw new Error(`ls -l: ${ls.code} ${ls.err}`);
      const w = await sh(`echo x > ${mnt}/newfile`);
      if (w.code === 0 || !/not implemented/i.test(w.err)) {
        throw new Error(`create should fail with ENOSYS: ${w.err}`);
      }
    }),
});

Deno.test({
  name: "FuseSession aborts an interrupted read and answers EINTR",
  ignore: !root,
  fn: () =>
    withTinyMount(async (mnt, ops) => {
      const start = Date.now();
      // SIGINT to a blocked reader makes the kernel send FUSE_INTERRUPT
      const r = await sh(
        `timeout -k 3 -s INT 1 dd if=${mnt}/slow iflag=direct of=/dev/null bs=4k count=1`,
      );
      if (r.code === 0) throw new Error("the slow read should not succeed");
      if (Date.now() - start > 8000) throw new Error("interrupt took too long");
      if (ops.interrupted < 1) throw new Error("the op's abort signal was not fired");
    }),
});

Deno.test({
  name: "FuseSession ends cleanly when unmounted from outside",
  ignore: !root,
  fn: async () => {
    const mnt = await Deno.makeTempDir({ prefix: "denoclone-fuse-session-" });
    const ops = new TinyOps();
    const km = await mountFuse(mnt, { fsname: "tiny" });
    const session = new FuseSession(km.fd, ops, { name: mnt });
    session.start();
    try {
      await session.initialized;
      const r = await sh(`cat ${mnt}/hello >/dev/null && umount ${mnt}`);
      if (r.code !== 0) throw new Error(`umount failed: ${r.err}`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        session.closed,
        new Promise((_, rej) => {
          timer = setTimeout(() => rej(new Error("session did not end")), 5000);
        }),
      ]).finally(() => clearTimeout(timer));
      if (!ops.destroyed) throw new Error("destroy() was not called");
    } finally {
      await unmountFuse(mnt, { deadlineMs: 1000 });
      await session.stop();
      await Deno.remove(mnt);
    }
  },
});

Deno.test({
  name: "FuseSession answers EINTR to an interrupted change whose op never returns",
  ignore: !root,
  fn: () =>
    withTinyMount(async (mnt) => {
      const start = Date.now();
      const r = await sh(`timeout -k 10 -s INT 1 mkdir ${mnt}/stuck`);
      if (r.code === 0) throw new Error("mkdir should not succeed");
      if (Date.now() - start > 8000) throw new Error("the interrupted mkdir hung");
    }, 300),
});

/**
 * @module
 * The FUSE session: reads requests from a `/dev/fuse` fd (through the shared {@link fdPoller},
 * so one blocking-pool thread serves every mount of the process), negotiates INIT, dispatches
 * each request concurrently to a {@link FuseOps} and writes the reply (large bodies with writev,
 * uncopied). A WRITE the op accepts synchronously (`FuseOps.acceptWrite`) is answered first and
 * stored right after, before the next request is read, so the writer's next write(2) overlaps
 * our storing of this one. Otherwise a big WRITE's payload is lent to the op as a view of the
 * receive buffer, uncopied, while later requests are read into a spare buffer from a small
 * lazily filled {@link BufferPool}. After a reply with nothing else in flight the JS thread
 * tries a few nonblocking reads, then sleeps up to 200 µs in ppoll on the fd, so a caller
 * working file by file gets its next request taken at once, as by a thread blocked in read(2),
 * without the poller's round trip. INTERRUPT aborts the request's signal (read-only requests
 * are answered EINTR at once, others after a grace period if still running); FORGET and
 * BATCH_FORGET are passed on without reply; ENODEV (unmounted) ends the session cleanly. Any
 * thrown value becomes an errno through {@link errnoOf}: never a crash, never an unanswered
 * request.
 */

import { Errno, errnoOf, FsError } from "../errors.ts";
import { log } from "../util/log.ts";
import { BufferPool } from "./buffer_pool.ts";
import { fdPoller } from "./fd_poller.ts";
import * as libc from "./libc.ts";
import {
  IN_HEADER_SIZE,
  InitFlag,
  KERNEL_MINOR_VERSION,
  KERNEL_VERSION,
  Op,
  opName,
  OUT_HEADER_SIZE,
  PAGE_SIZE,
} from "./opcodes.ts";
import type { ConnInfo, FuseOps, RequestContext } from "./ops.ts";
import {
  decodeInHeader,
  decodeRequest,
  encodeAttrOut,
  encodeCreateOut,
  encodeEntryOut,
  encodeGetxattrOut,
  encodeInitOut,
  encodeLseekOut,
  encodeOpenOut,
  encodeReply,
  encodeStatfsOut,
  encodeWriteOut,
  type FuseRequest,
  putOutHeader,
} from "./protocol.ts";

/** Tunables of a session, all optional. */
export interface SessionOptions {
  /** Largest WRITE payload to negotiate (bytes, multiple of 4096, at most 1 MiB). */
  maxWrite?: number;
  /** Readahead to announce in INIT (bytes; the kernel takes the minimum with its own). */
  maxReadahead?: number;
  /** Let the kernel issue several READs of one file at once (default true). */
  asyncRead?: boolean;
  /** Kernel write-back caching (default false). */
  writebackCache?: boolean;
  /** Offer READDIRPLUS (default true). */
  readdirplus?: boolean;
  /** Maximum background requests the kernel may queue (default 64). */
  maxBackground?: number;
  /** Log every request and reply at DEBUG. */
  debug?: boolean;
  /** A label for log lines (the mountpoint). */
  name?: string;
  /** How long an interrupted request that changes something may run on before EINTR (10 s). */
  interruptGraceMs?: number;
}

/** Opcodes answered EINTR as soon as the kernel interrupts them (they change nothing). */
const READ_ONLY_OPS = new Set<number>([
  Op.LOOKUP,
  Op.GETATTR,
  Op.READ,
  Op.READDIR,
  Op.READDIRPLUS,
  Op.OPENDIR,
  Op.STATFS,
  Op.ACCESS,
  Op.LSEEK,
  Op.GETXATTR,
  Op.LISTXATTR,
]);

/**
 * WRITE payloads at least this long are lent to the op as a view of the receive buffer; shorter
 * ones are copied, so many small WRITEs in flight never hold a whole receive buffer each.
 */
const WRITE_VIEW_MIN = 128 * 1024;

/** Spare receive buffers a session keeps after WRITEs (each is max_write + 64 KiB). */
const SPARE_BUFFERS = 4;

/** The largest max_write (and the default): FUSE's limit of 256 pages per request. */
export const MAX_WRITE = 1 << 20;
/** Room in a receive buffer beyond max_write for the request header and `fuse_write_in`. */
const RECEIVE_HEADROOM = 64 * 1024;
/** Size of a session's receive buffer with the default max_write. */
export const RECEIVE_BUFFER_SIZE = MAX_WRITE + RECEIVE_HEADROOM;

/** Reply bodies at least this long are written with writev behind the header (no copy). */
const WRITEV_MIN = 4096;

/** Nonblocking reads tried after a reply before sleeping in ppoll (about a microsecond each). */
const SPIN_READS = 40;
/**
 * How long the JS thread waits (asleep in ppoll, not spinning) for a follow-up request after a
 * reply when nothing else is in flight, in µs.
 */
const NEXT_WAIT_US = 200;
/** Requests taken that way in a row before going back to the event loop and the poller. */
const SPIN_STREAK_MAX = 64;

/** The request methods of {@link FuseOps}. */
type OpName = Exclude<keyof FuseOps, "init" | "destroy" | "forget">;

interface InFlight {
  /** Made when an op first asks for its signal, or at the interrupt (most requests never do). */
  ac?: AbortController;
  /** The kernel interrupted this request. */
  interrupted: boolean;
  opcode: number;
  answered: boolean;
}

/** A request's context whose abort signal is created only when an op reads it. */
class LazyContext implements RequestContext {
  readonly unique: number;
  readonly uid: number;
  readonly gid: number;
  readonly pid: number;
  readonly #f: InFlight;

  constructor(unique: number, uid: number, gid: number, pid: number, f: InFlight) {
    this.unique = unique;
    this.uid = uid;
    this.gid = gid;
    this.pid = pid;
    this.#f = f;
  }

  get signal(): AbortSignal {
    const f = this.#f;
    if (!f.ac) {
      f.ac = new AbortController();
      if (f.interrupted) f.ac.abort(new FsError("interrupted", Errno.EINTR));
    }
    return f.ac.signal;
  }
}

/** A running FUSE session on one `/dev/fuse` connection. */
export class FuseSession {
  #fd: number;
  #ops: FuseOps;
  #opts: Required<SessionOptions>;
  #buf: Uint8Array<ArrayBuffer>;
  /** Receive buffers for when a WRITE's handler holds the current one; filled lazily. */
  #pool: BufferPool;
  #inflight = new Map<number, InFlight>();
  #inited = false;
  #ended = false;
  #initResolve!: (c: ConnInfo) => void;
  #closedResolve!: () => void;
  #closeHooks: (() => void)[] = [];
  #spinStreak = 0;
  readonly #head = libc.offHeap(OUT_HEADER_SIZE);
  readonly #headView = new DataView(this.#head.buffer);

  /** Resolves with the negotiated parameters once INIT is answered. */
  readonly initialized: Promise<ConnInfo>;
  /** Resolves when the session has ended (unmount, connection abort, or {@link stop}). */
  readonly closed: Promise<void>;

  /** Creates a session on an open `/dev/fuse` fd; the session owns and finally closes it. */
  constructor(fd: number, ops: FuseOps, opts: SessionOptions = {}) {
    this.#fd = fd;
    this.#ops = ops;
    const maxWrite = Math.min(MAX_WRITE, Math.max(PAGE_SIZE, opts.maxWrite ?? MAX_WRITE));
    this.#opts = {
      maxWrite: maxWrite - (maxWrite % PAGE_SIZE),
      maxReadahead: opts.maxReadahead ?? 1 << 20,
      asyncRead: opts.asyncRead ?? true,
      writebackCache: opts.writebackCache ?? false,
      readdirplus: opts.readdirplus ?? true,
      maxBackground: opts.maxBackground ?? 64,
      debug: opts.debug ?? false,
      name: opts.name ?? `fd ${fd}`,
      interruptGraceMs: opts.interruptGraceMs ?? 10_000,
    };
    // a WRITE request is header + fuse_write_in + max_write payload; leave generous room
    this.#pool = new BufferPool(this.#opts.maxWrite + RECEIVE_HEADROOM, SPARE_BUFFERS);
    this.#buf = this.#pool.take();
    this.initialized = new Promise((r) => (this.#initResolve = r));
    this.closed = new Promise((r) => (this.#closedResolve = r));
  }

  /**
   * Starts serving: the fd is made nonblocking, what is queued already is served, and the fd is
   * registered with the shared poller.
   */
  start(): void {
    libc.setNonblock(this.#fd);
    // After mount(2) the kernel's INIT is already queued: take it now rather than after a trip
    // through the poller's thread (a Docker Mount answers sooner).
    if (!this.#onReady(0)) return;
    fdPoller.add(this.#fd, (revents) => this.#onReady(revents));
  }

  /** Registers a function called once when the session ends. */
  onClose(fn: () => void): void {
    if (this.#ended) fn();
    else this.#closeHooks.push(fn);
  }

  /** Ends the session from our side: stops reading and closes the fd (aborts the connection). */
  async stop(): Promise<void> {
    if (this.#ended) return await this.closed;
    await fdPoller.remove(this.#fd);
    this.#end("stopped");
    await this.closed;
  }

  #onReady(revents: number): boolean {
    this.#spinStreak = 0;
    for (let i = 0; i < 64; i++) {
      const n = libc.read(this.#fd, this.#buf);
      if (n < 0) {
        const e = -n;
        if (e === libc.Sys.EAGAIN) {
          if (revents & (libc.Sys.POLLERR | libc.Sys.POLLHUP | libc.Sys.POLLNVAL)) break;
          return true;
        }
        if (e === libc.Sys.EINTR || e === libc.Sys.ENOENT) continue;
        this.#end(e === libc.Sys.ENODEV ? "unmounted" : `read failed: ${libc.strerror(e)}`);
        return false;
      }
      if (n === 0) continue;
      this.#handle(n);
    }
    if (revents & (libc.Sys.POLLERR | libc.Sys.POLLHUP | libc.Sys.POLLNVAL)) {
      if (libc.pollNow(this.#fd, libc.Sys.POLLIN) & libc.Sys.POLLERR) {
        this.#end("connection closed");
        return false;
      }
    }
    return true;
  }

  /**
   * Called after a reply when nothing else is in flight: a process that works through files one
   * call at a time (stat, create, unlink loops) sends its next request within microseconds, so
   * the JS thread first tries {@link SPIN_READS} nonblocking reads (about a microsecond each:
   * on an idle machine the request often arrives before a sleeping thread could even be woken,
   * and waking an idle virtual CPU costs tens of µs), then sleeps in ppoll on this fd for up to
   * {@link NEXT_WAIT_US} and takes the request at once (as rclone's goroutine blocked in read(2)
   * does), without the round trip through the poller's thread. Measured on this 2-core VM,
   * 10,000 stats with the attribute cache expired: ppoll alone 9–14k/s, spin then ppoll
   * 22–33k/s idle and 26–50k/s with two busy loops running (rclone 7–15k/s). Bounded per wait
   * and per streak, so the event loop (other mounts, timers) still gets its turns.
   */
  #spin(): void {
    if (this.#fd < 0 || this.#spinStreak >= SPIN_STREAK_MAX) return;
    for (let i = 0; i < SPIN_READS; i++) {
      const n = libc.read(this.#fd, this.#buf);
      if (n > 0) {
        this.#spinStreak++;
        this.#handle(n);
        return;
      }
      // EAGAIN: nothing yet; anything else (ENODEV, EINTR…) is left to the poller's path
      if (n < 0 && -n !== libc.Sys.EAGAIN) return;
    }
    if ((libc.pollWait(this.#fd, libc.Sys.POLLIN, NEXT_WAIT_US) & libc.Sys.POLLIN) === 0) return;
    const n = libc.read(this.#fd, this.#buf);
    // EAGAIN (another reader was quicker) or an error (ENODEV…) is left to the poller's path
    if (n <= 0) return;
    this.#spinStreak++;
    this.#handle(n);
  }

  /**
   * Decodes the request of `n` bytes in the read buffer and dispatches it. A big WRITE's data
   * stays a view of that buffer: the buffer goes to the WRITE (back to the pool when its op has
   * settled) and later requests are read into a spare one.
   */
  #handle(n: number): void {
    let req: FuseRequest;
    const buf = this.#buf;
    try {
      req = decodeRequest(buf.subarray(0, n));
    } catch (err) {
      log.error(`fuse ${this.#opts.name}: bad request: ${(err as Error).message}`);
      if (n >= IN_HEADER_SIZE) {
        const h = decodeInHeader(this.#buf.subarray(0, n));
        if (h.opcode !== Op.FORGET && h.opcode !== Op.BATCH_FORGET) {
          this.#send(h.unique, Errno.EIO);
        }
      }
      return;
    }
    if (req.body.op === "write" && this.#ops.acceptWrite && this.#inited && this.#accept(req)) {
      return;
    }
    let held: Uint8Array<ArrayBuffer> | undefined;
    if (req.body.op === "write") {
      if (req.body.data.length < WRITE_VIEW_MIN) req.body.data = req.body.data.slice();
      else {
        held = buf;
        this.#buf = this.#pool.take();
      }
    }
    this.#dispatch(req, held).catch((err) => {
      log.error(`fuse ${this.#opts.name}: dispatch failed: ${(err as Error)?.stack ?? err}`);
    });
  }

  /**
   * The synchronous WRITE path ({@link FuseOps.acceptWrite}): when the op accepts the write,
   * the reply goes out first and the op's `commit` stores the data right after, in this same
   * JS turn: the writer's kernel thread copies its next request while we store this one, and
   * no later request (READ, SETATTR, FLUSH, FSYNC) is read before the data is stored. The data
   * stays a view of the receive buffer, which is not read into again before `commit` returns.
   * False when the op wants the async path.
   */
  #accept(req: FuseRequest): boolean {
    const { header: h, body } = req;
    if (body.op !== "write") return false;
    let accepted;
    try {
      accepted = this.#ops.acceptWrite!(h.nodeid, body.fh, body.offset, body.data);
    } catch (err) {
      const errno = errnoOf(err);
      if (errno === Errno.EIO) log.error(`fuse WRITE: ${(err as Error)?.message ?? err}`);
      if (this.#opts.debug) log.debug(`fuse: -> WRITE #${h.unique} errno ${errno} (accept)`);
      this.#send(h.unique, errno);
      if (this.#inflight.size === 0) this.#spin();
      return true;
    }
    if (!accepted) return false;
    if (this.#opts.debug) {
      log.debug(
        `fuse: <- WRITE #${h.unique} node ${h.nodeid} ${body.data.length}B at ${body.offset}, ` +
          `accepted ${accepted.count}B`,
      );
    }
    this.#send(h.unique, 0, encodeWriteOut(accepted.count));
    try {
      accepted.commit();
    } catch (err) {
      // the contract says commit never throws; never let one break the session
      log.error(`fuse WRITE commit failed: ${(err as Error)?.stack ?? err}`);
    }
    if (this.#inflight.size === 0) this.#spin();
    return true;
  }

  #end(why: string): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#opts.debug) log.debug(`fuse ${this.#opts.name}: session ended (${why})`);
    for (const f of this.#inflight.values()) {
      f.interrupted = true;
      f.ac?.abort();
    }
    this.#inflight.clear();
    libc.close(this.#fd);
    this.#fd = -1;
    const done = () => {
      for (const h of this.#closeHooks) {
        try {
          h();
        } catch { /* a hook must not stop the others */ }
      }
      this.#closedResolve();
    };
    Promise.resolve()
      .then(() => this.#ops.destroy?.())
      .catch((err) => log.error(`fuse ${this.#opts.name}: destroy failed: ${err}`))
      .finally(done);
  }

  #send(unique: number, errno: number, body?: Uint8Array): void {
    if (this.#fd < 0) return;
    let w: number;
    if (errno === 0 && body && body.length >= WRITEV_MIN) {
      // a READ's data goes out behind the header without being copied next to it first
      putOutHeader(this.#headView, unique, 0, body.length);
      w = libc.writev2(this.#fd, this.#head, body);
    } else w = libc.write(this.#fd, encodeReply(unique, errno, body) as Uint8Array<ArrayBuffer>);
    if (w < 0 && -w !== libc.Sys.ENOENT && this.#opts.debug) {
      // ENOENT: the request was interrupted and is gone; anything else is worth a line
      log.debug(`fuse ${this.#opts.name}: reply ${unique} failed: ${libc.strerror(-w)}`);
    }
  }

  /** Runs a request and replies; `held` (a WRITE's receive buffer) is pooled once the op settles. */
  async #dispatch(req: FuseRequest, held?: Uint8Array<ArrayBuffer>): Promise<void> {
    const { header: h, body } = req;
    const debug = this.#opts.debug;
    if (debug) {
      const extra = body.op === "write"
        ? ` ${body.data.length}B at ${body.offset}`
        : body.op === "read"
        ? ` ${body.size}B at ${body.offset}`
        : "name" in body
        ? ` ${JSON.stringify(body.name)}`
        : "";
      log.debug(`fuse: <- ${opName(h.opcode)} #${h.unique} node ${h.nodeid}${extra}`);
    }
    switch (body.op) {
      case "init":
        return this.#init(h.unique, body);
      case "forget":
        this.#forget(h.nodeid, body.nlookup);
        return;
      case "batch_forget":
        for (const it of body.items) this.#forget(it.nodeid, it.nlookup);
        return;
      case "interrupt": {
        const f = this.#inflight.get(body.target);
        if (!f) return;
        f.interrupted = true;
        f.ac?.abort(new FsError("interrupted", Errno.EINTR));
        const answer = () => {
          if (f.answered || !this.#inflight.has(body.target)) return;
          f.answered = true;
          this.#send(body.target, Errno.EINTR);
        };
        if (READ_ONLY_OPS.has(f.opcode)) answer();
        else {
          // a change may still complete: give the op time to honour the signal, but never
          // leave the interrupted caller waiting forever on a stuck backend
          Deno.unrefTimer(setTimeout(answer, this.#opts.interruptGraceMs));
        }
        return;
      }
      case "destroy":
        this.#send(h.unique, 0);
        return;
    }
    if (!this.#inited) {
      if (held) this.#pool.give(held);
      this.#send(h.unique, Errno.EIO);
      return;
    }
    const f: InFlight = { interrupted: false, opcode: h.opcode, answered: false };
    this.#inflight.set(h.unique, f);
    const ctx = new LazyContext(h.unique, h.uid, h.gid, h.pid, f);
    let errno = 0;
    let out: Uint8Array | undefined;
    try {
      out = await this.#call(ctx, req);
    } catch (err) {
      errno = f.interrupted ? Errno.EINTR : errnoOf(err);
      // EIO is a real failure (remote down, retries exhausted…): the user must see why.
      if (errno === Errno.EIO) {
        log.error(`fuse ${opName(h.opcode)}: ${(err as Error)?.message ?? err}`);
      }
    } finally {
      this.#inflight.delete(h.unique);
      if (held) this.#pool.give(held);
    }
    if (debug) {
      log.debug(`fuse: -> ${opName(h.opcode)} #${h.unique} errno ${errno} ${out?.length ?? 0}B`);
    }
    if (!f.answered) {
      this.#send(h.unique, errno, out);
      if (this.#inflight.size === 0) this.#spin();
    }
  }

  #forget(ino: number, nlookup: number): void {
    try {
      this.#ops.forget?.(ino, nlookup);
    } catch (err) {
      log.error(`fuse FORGET ${ino}: ${(err as Error)?.message ?? err}`);
    }
  }

  #init(
    unique: number,
    b: { major: number; minor: number; maxReadahead: number; flags: number },
  ): void {
    if (b.major < KERNEL_VERSION) {
      this.#send(unique, Errno.EIO);
      return;
    }
    const o = this.#opts;
    const minor = b.major > KERNEL_VERSION ? KERNEL_MINOR_VERSION : Math.min(b.minor, 31);
    let want = InitFlag.BIG_WRITES | InitFlag.MAX_PAGES | InitFlag.PARALLEL_DIROPS |
      InitFlag.ATOMIC_O_TRUNC | InitFlag.AUTO_INVAL_DATA;
    if (o.asyncRead) want |= InitFlag.ASYNC_READ;
    if (o.readdirplus) want |= InitFlag.DO_READDIRPLUS | InitFlag.READDIRPLUS_AUTO;
    if (o.writebackCache) want |= InitFlag.WRITEBACK_CACHE;
    const flags = (b.flags & want) >>> 0;
    const body = encodeInitOut({
      major: KERNEL_VERSION,
      minor,
      maxReadahead: Math.min(b.maxReadahead, o.maxReadahead),
      flags,
      maxBackground: o.maxBackground,
      congestionThreshold: Math.floor(o.maxBackground * 3 / 4),
      maxWrite: o.maxWrite,
      timeGran: 1,
      maxPages: o.maxWrite / PAGE_SIZE,
    }, b.minor);
    this.#send(unique, 0, body);
    if (b.major > KERNEL_VERSION) return; // the kernel retries INIT with our major
    this.#inited = true;
    const conn: ConnInfo = { kernelMinor: b.minor, flags, maxWrite: o.maxWrite };
    if (o.debug) {
      log.debug(
        `fuse ${o.name}: INIT 7.${b.minor} flags 0x${b.flags.toString(16)} -> 0x${
          flags.toString(16)
        }`,
      );
    }
    try {
      this.#ops.init?.(conn);
    } finally {
      this.#initResolve(conn);
    }
  }

  /** Calls the op for a request and encodes its reply body. */
  async #call(ctx: RequestContext, req: FuseRequest): Promise<Uint8Array | undefined> {
    const ops = this.#ops;
    const ino = req.header.nodeid;
    const body = req.body;
    const nosys = (): never => {
      throw new FsError(`${opName(req.header.opcode)} not implemented`, Errno.ENOSYS);
    };
    // The op's method, called with `.call(ops, …)` (no bound function per request).
    const need = <K extends OpName>(k: K): NonNullable<FuseOps[K]> => ops[k] ?? nosys();
    switch (body.op) {
      case "lookup":
        return encodeEntryOut(await need("lookup").call(ops, ctx, ino, body.name));
      case "getattr": {
        const r = await need("getattr").call(ops, ctx, ino, body.flags & 1 ? body.fh : undefined);
        return encodeAttrOut(r.attr, r.attrTimeoutMs);
      }
      case "setattr": {
        const r = await need("setattr").call(ops, ctx, ino, body.attr);
        return encodeAttrOut(r.attr, r.attrTimeoutMs);
      }
      case "mkdir":
        return encodeEntryOut(
          await need("mkdir").call(ops, ctx, ino, body.name, body.mode, body.umask),
        );
      case "mknod":
        return encodeEntryOut(
          await need("mknod").call(ops, ctx, ino, body.name, body.mode, body.umask),
        );
      case "unlink":
        await need("unlink").call(ops, ctx, ino, body.name);
        return;
      case "rmdir":
        await need("rmdir").call(ops, ctx, ino, body.name);
        return;
      case "rename":
        await need("rename").call(
          ops,
          ctx,
          ino,
          body.oldname,
          body.newdir,
          body.newname,
          body.flags,
        );
        return;
      case "open": {
        const r = await need("open").call(ops, ctx, ino, body.flags);
        return encodeOpenOut(r.fh, r.openFlags ?? 0);
      }
      case "opendir": {
        const r = await need("opendir").call(ops, ctx, ino, body.flags);
        return encodeOpenOut(r.fh, r.openFlags ?? 0);
      }
      case "read": {
        const data = await need("read").call(ops, ctx, ino, body.fh, body.offset, body.size);
        return data.length > body.size ? data.subarray(0, body.size) : data;
      }
      case "write": {
        const n = await need("write").call(ops, ctx, ino, body.fh, body.offset, body.data);
        return encodeWriteOut(n);
      }
      case "flush":
        await need("flush").call(ops, ctx, ino, body.fh);
        return;
      case "fsync":
        await need("fsync").call(ops, ctx, ino, body.fh, body.datasync, body.dir);
        return;
      case "release":
        await need(body.dir ? "releasedir" : "release").call(ops, ctx, ino, body.fh);
        return;
      case "readdir":
        return await need("readdir").call(
          ops,
          ctx,
          ino,
          body.fh,
          body.offset,
          body.size,
          body.plus,
        );
      case "statfs":
        return encodeStatfsOut(
          ops.statfs ? await ops.statfs(ctx, ino) : {
            blocks: 0,
            bfree: 0,
            bavail: 0,
            files: 0,
            ffree: 0,
            bsize: 4096,
            namelen: 255,
          },
        );
      case "access":
        await need("access").call(ops, ctx, ino, body.mask);
        return;
      case "create": {
        const r = await need("create").call(
          ops,
          ctx,
          ino,
          body.name,
          body.mode,
          body.flags,
          body.umask,
        );
        return encodeCreateOut(r.entry, r.fh, r.openFlags ?? 0);
      }
      case "fallocate":
        await need("fallocate").call(ops, ctx, ino, body.fh, body.offset, body.length, body.mode);
        return;
      case "lseek":
        return encodeLseekOut(
          await need("lseek").call(ops, ctx, ino, body.fh, body.offset, body.whence),
        );
      // Extended attributes are not stored: never EIO (ls -l asks for security.selinux and
      // friends on every file). GETXATTR gets ENOSYS: the kernel then answers every later
      // getxattr(2) of this mount EOPNOTSUPP itself (what rclone's mount answers), including
      // the security.capability check before each write, which saves a round trip per write.
      case "getxattr":
        throw new FsError("xattrs are not supported", Errno.ENOSYS);
      case "listxattr":
        return body.size === 0 ? encodeGetxattrOut(0) : new Uint8Array(0);
      case "setxattr":
        throw new FsError("xattrs are not supported", Errno.ENOTSUP);
      case "removexattr":
        throw new FsError(`no xattr ${body.name}`, Errno.ENODATA);
      default:
        return nosys();
    }
  }
}

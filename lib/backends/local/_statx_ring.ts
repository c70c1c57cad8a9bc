/**
 * @module
 * Many `statx(2)` calls relative to one directory descriptor at once, through an io_uring
 * (`IORING_OP_STATX`, Linux 5.6+) set up with raw syscalls through libc's `syscall` and `mmap`.
 *
 * Why: listing a big directory whose inodes are not in memory (after `drop_caches`, or the first
 * listing after a mount) spends most of its time in the kernel building those inodes inside
 * statx (10,000 cold files: ~85 of ~130 ms of the backend's listing here), one call after the
 * other on the JS thread. The kernel runs every `IORING_OP_STATX` in its io-wq worker threads,
 * so a batch spreads that work over all cores and overlaps the inode-table reads (the caller,
 * `_dir_stat.ts`, keeps statting from the other end of its list meanwhile). Waiting for a full
 * ring blocks the JS thread in `io_uring_enter`, like the synchronous statx calls it replaces,
 * so it is only for the directories where those are allowed (`_meta_calls.ts`).
 *
 * How: one ring per process, made on first use and kept (its buffers live as long as the
 * process, so a request the kernel still holds can never write into freed memory). Each of its
 * {@link RING_SLOTS} slots owns a name buffer, a 256-byte statx buffer and one SQE prefilled once
 * with the opcode, both buffer addresses, the mask, `AT_SYMLINK_NOFOLLOW` and the slot as its
 * user data; submitting a name is encoding it into a free slot, writing the directory
 * descriptor into the slot's SQE and the slot's index into the submission array. At most
 * {@link RING_SLOTS} requests are in flight and the completion ring holds twice that, so it
 * never overflows.
 *
 * Every failure falls back, never surfaces: no ring (another libc, a kernel without io_uring,
 * `kernel.io_uring_disabled`, a seccomp filter) makes {@link statxRing} undefined; a name that
 * doesn't fit a slot or a failed request leaves that one entry to the caller; an
 * `io_uring_enter` error or an unsupported opcode retires the ring for the process and leaves
 * the rest of the batch to the caller.
 */

import { lazyLibc } from "../../util/lazy_libc.ts";
import { lastErrno } from "../../util/libc_errno.ts";

const SYMBOLS = {
  io_uring_setup: { name: "syscall", parameters: ["i64", "u32", "buffer"], result: "i64" },
  io_uring_enter: {
    name: "syscall",
    parameters: ["i64", "i32", "u32", "u32", "u32", "pointer", "usize"],
    result: "i64",
  },
  mmap: { parameters: ["pointer", "usize", "i32", "i32", "i32", "i64"], result: "pointer" },
  close: { parameters: ["i32"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

const ringLibc = lazyLibc(SYMBOLS);

/** The same syscall numbers on every Linux architecture Deno runs on (the unified table). */
const SYS_IO_URING_SETUP = 425n;
const SYS_IO_URING_ENTER = 426n;
const IORING_OP_STATX = 21;
const IORING_ENTER_GETEVENTS = 1;
const IORING_FEAT_SINGLE_MMAP = 1;
const IORING_OFF_SQ_RING = 0n;
const IORING_OFF_CQ_RING = 0x8000000n;
const IORING_OFF_SQES = 0x10000000n;
const PROT_READ_WRITE = 0x1 | 0x2;
const MAP_SHARED_POPULATE = 0x01 | 0x8000;
const AT_SYMLINK_NOFOLLOW = 0x100;
const EINTR = 4;
const EAGAIN = 11;
const EBUSY = 16;
const EINVAL = 22;
const EOPNOTSUPP = 95;
const ENAMETOOLONG = 36;
/** `struct io_uring_params` and the offsets of its `sq_off` / `cq_off` members. */
const PARAMS_SIZE = 120;
const SQ_OFF = 40;
const CQ_OFF = 80;
const SQE_SIZE = 64;
const CQE_SIZE = 16;
/** `struct statx` is 256 bytes on every architecture. */
export const STATX_BUF_SIZE = 256;
/** Room for a name: NAME_MAX (255 bytes) and its NUL. */
const NAME_ROOM = 256;
/** Requests in flight at most (and submission ring entries). */
export const RING_SLOTS = 256;

/**
 * Receives one finished statx of a batch: `index` into the names, `res` 0 or a negated errno,
 * and on success the statx buffer as `view` at byte offset `off` (valid during the call only).
 */
export type StatxSink = (index: number, res: number, view: DataView, off: number) => void;

/** A batch of statx calls under way on a {@link StatxRing}. */
export interface StatxBatch {
  /**
   * Queues the statx of `name` as entry `index`; when every slot is busy it first waits for
   * some to complete. False when the ring failed: this and later names are the caller's.
   */
  add(index: number, name: string): boolean;
  /**
   * True when {@link add} would not wait: a slot is free once the completions already posted
   * are taken (handed to the sink, without a syscall). False too when the ring failed.
   */
  hasRoom(): boolean;
  /** Hands what was added to the kernel without waiting; false when the ring failed. */
  submit(): boolean;
  /** Waits for every request added; false when the ring failed (results may be missing). */
  finish(): boolean;
}

/** An io_uring used only for batches of statx(2); see the module doc. */
export class StatxRing {
  readonly #c: NonNullable<ReturnType<typeof ringLibc>>;
  readonly #fd: number;
  readonly #slots: number;
  readonly #sq: DataView;
  readonly #sqTail: Uint32Array;
  readonly #sqMask: number;
  readonly #sqArray: number;
  readonly #cq: DataView;
  readonly #cqHead: Uint32Array;
  readonly #cqTail: Uint32Array;
  readonly #cqMask: number;
  readonly #cqes: number;
  readonly #sqes: DataView;
  readonly #names: Uint8Array<ArrayBuffer>;
  readonly #nameRooms: Uint8Array[];
  readonly #stats: Uint8Array<ArrayBuffer>;
  readonly #statView: DataView;
  /** Entry index of the request in each slot. */
  readonly #owner: Int32Array;
  readonly #free: number[] = [];
  #retired = false;
  // the batch under way (see batch())
  #dirFd = -1;
  #mask = 0;
  #sink: StatxSink = () => {};
  #inFlight = 0;
  #unsubmitted = 0;

  private constructor(
    c: NonNullable<ReturnType<typeof ringLibc>>,
    fd: number,
    slots: number,
    p: DataView,
  ) {
    this.#c = c;
    this.#fd = fd;
    const sqEntries = p.getUint32(0, true);
    const cqEntries = p.getUint32(4, true);
    const features = p.getUint32(20, true);
    const sqOff = (k: number) => p.getUint32(SQ_OFF + 4 * k, true);
    const cqOff = (k: number) => p.getUint32(CQ_OFF + 4 * k, true);
    const sqSize = sqOff(6) + sqEntries * 4;
    const cqSize = cqOff(5) + cqEntries * CQE_SIZE;
    const single = (features & IORING_FEAT_SINGLE_MMAP) !== 0;
    const sqP = this.#map(single ? Math.max(sqSize, cqSize) : sqSize, IORING_OFF_SQ_RING);
    const cqP = single ? sqP : this.#map(cqSize, IORING_OFF_CQ_RING);
    const sqeP = this.#map(sqEntries * SQE_SIZE, IORING_OFF_SQES);
    this.#sq = new DataView(
      Deno.UnsafePointerView.getArrayBuffer(sqP, single ? Math.max(sqSize, cqSize) : sqSize),
    );
    this.#cq = single ? this.#sq : new DataView(Deno.UnsafePointerView.getArrayBuffer(cqP, cqSize));
    this.#sqes = new DataView(Deno.UnsafePointerView.getArrayBuffer(sqeP, sqEntries * SQE_SIZE));
    this.#sqTail = new Uint32Array(this.#sq.buffer, sqOff(1), 1);
    this.#sqMask = this.#sq.getUint32(sqOff(2), true);
    this.#sqArray = sqOff(6);
    this.#cqHead = new Uint32Array(this.#cq.buffer, cqOff(0), 1);
    this.#cqTail = new Uint32Array(this.#cq.buffer, cqOff(1), 1);
    this.#cqMask = this.#cq.getUint32(cqOff(2), true);
    this.#cqes = cqOff(5);
    this.#slots = Math.min(slots, sqEntries, cqEntries >>> 1);
    // buffers the kernel reads or writes must never move: explicit ArrayBuffers
    this.#names = new Uint8Array(new ArrayBuffer(this.#slots * NAME_ROOM));
    this.#stats = new Uint8Array(new ArrayBuffer(this.#slots * STATX_BUF_SIZE));
    this.#statView = new DataView(this.#stats.buffer);
    this.#owner = new Int32Array(this.#slots);
    this.#nameRooms = [];
    const namesAt = addressOf(this.#names);
    const statsAt = addressOf(this.#stats);
    for (let s = 0; s < this.#slots; s++) {
      // the last byte of each room is left for the NUL
      this.#nameRooms.push(this.#names.subarray(s * NAME_ROOM, (s + 1) * NAME_ROOM - 1));
      const o = s * SQE_SIZE;
      for (let b = 0; b < SQE_SIZE; b += 4) this.#sqes.setUint32(o + b, 0, true);
      this.#sqes.setUint8(o, IORING_OP_STATX);
      setU64(this.#sqes, o + 8, statsAt + s * STATX_BUF_SIZE); // addr2: the statx buffer
      setU64(this.#sqes, o + 16, namesAt + s * NAME_ROOM); // addr: the path
      this.#sqes.setUint32(o + 28, AT_SYMLINK_NOFOLLOW, true); // statx_flags
      setU64(this.#sqes, o + 32, s); // user_data
      this.#free.push(s);
    }
    // never collected: a request the kernel still holds may write into this ring's buffers
    everyRing.push(this);
  }

  /**
   * A new ring with room for `slots` requests in flight, or undefined when io_uring can't be set
   * up here. Production code uses the shared {@link statxRing}.
   */
  static create(slots: number = RING_SLOTS): StatxRing | undefined {
    const c = ringLibc();
    if (!c) return undefined;
    const p = new Uint8Array(PARAMS_SIZE);
    const fd = Number(c.io_uring_setup(SYS_IO_URING_SETUP, slots, p));
    if (fd < 0) return undefined;
    try {
      return new StatxRing(c, fd, slots, new DataView(p.buffer));
    } catch {
      // a failed mmap: the ring was never used
      c.close(fd);
      return undefined;
    }
  }

  /** False once an error retired the ring (every later batch is left to the caller). */
  get usable(): boolean {
    return !this.#retired;
  }

  /**
   * Stats `names[i]` for every `i` of `indices`, relative to the open directory `dirFd`, not
   * following symlinks, asking for `mask`; `sink` gets each result as it completes (in any
   * order). Blocks the calling thread until every request is done. Returns false when the ring
   * failed (it is then retired): the indices `sink` did not get are the caller's to stat.
   */
  statAll(
    dirFd: number,
    names: readonly string[],
    indices: ArrayLike<number>,
    mask: number,
    sink: StatxSink,
  ): boolean {
    const b = this.batch(dirFd, mask, sink);
    if (!b) return false;
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k]!;
      if (!b.add(i, names[i]!)) return false;
    }
    return b.finish();
  }

  /**
   * Starts a batch of statx calls relative to `dirFd` (see {@link statAll}) to which names are
   * added as they come, so that the kernel stats the first ones while the caller is still
   * reading the directory; undefined when the ring is retired. One batch at a time: finish it
   * before starting another.
   */
  batch(dirFd: number, mask: number, sink: StatxSink): StatxBatch | undefined {
    // a batch given up half way (its caller threw): its requests must not reach the new sink
    this.#sink = () => {};
    if (!this.#finish()) return undefined;
    this.#dirFd = dirFd;
    this.#mask = mask;
    this.#sink = sink;
    return {
      add: (index, name) => this.#add(index, name),
      hasRoom: () => {
        this.#reap();
        return this.#free.length > 0 && !this.#retired;
      },
      submit: () => this.#enter(0),
      finish: () => this.#finish(),
    };
  }

  #add(index: number, name: string): boolean {
    if (this.#retired) return false;
    while (this.#free.length === 0) {
      // all slots busy: wait for half of them, so that the workers keep requests queued (the
      // wait may end early, on a signal)
      if (!this.#enter(this.#slots >>> 1)) return false;
    }
    const s = this.#free[this.#free.length - 1]!;
    const r = encoder.encodeInto(name, this.#nameRooms[s]!);
    if (r.read < name.length) {
      this.#sink(index, -ENAMETOOLONG, this.#statView, 0);
      return true;
    }
    this.#names[s * NAME_ROOM + r.written] = 0;
    this.#free.pop();
    this.#owner[s] = index;
    const o = s * SQE_SIZE;
    this.#sqes.setInt32(o + 4, this.#dirFd, true);
    this.#sqes.setUint32(o + 24, this.#mask, true);
    const tail = this.#sqTail[0]!;
    this.#sq.setUint32(this.#sqArray + 4 * (tail & this.#sqMask), s, true);
    Atomics.store(this.#sqTail, 0, (tail + 1) >>> 0);
    this.#unsubmitted++;
    this.#inFlight++;
    return true;
  }

  /** Waits for every request of the batch; false when the ring failed (see {@link statAll}). */
  #finish(): boolean {
    while (this.#inFlight > 0) {
      if (!this.#enter(this.#inFlight)) return false;
    }
    return !this.#retired;
  }

  /**
   * Submits what was added and waits until `wait` requests (at most those in flight) have
   * completed, then reaps; false when the ring failed.
   */
  #enter(wait: number): boolean {
    if (this.#retired) return false;
    const want = Math.min(wait, this.#inFlight);
    if (this.#unsubmitted === 0 && want === 0) return true;
    const n = Number(
      this.#c.io_uring_enter(
        SYS_IO_URING_ENTER,
        this.#fd,
        this.#unsubmitted,
        want,
        want > 0 ? IORING_ENTER_GETEVENTS : 0,
        null,
        0n,
      ),
    );
    if (n < 0) {
      const e = lastErrno(this.#c);
      if (e !== EINTR && e !== EAGAIN && e !== EBUSY) return this.#retire();
    } else {
      this.#unsubmitted -= Math.min(n, this.#unsubmitted);
    }
    this.#reap();
    return !this.#retired;
  }

  /**
   * Hands every completion already in the ring to the batch's sink (no syscall: io-wq workers
   * post them to the shared completion ring directly). The ring's own state is brought up to
   * date before each call of the sink, so a sink that throws leaves it consistent.
   */
  #reap(): void {
    const cq = this.#cq;
    const tail = Atomics.load(this.#cqTail, 0);
    let head = this.#cqHead[0]!;
    while (head !== tail) {
      const o = this.#cqes + (head & this.#cqMask) * CQE_SIZE;
      const s = cq.getUint32(o, true);
      const res = cq.getInt32(o + 8, true);
      head = (head + 1) >>> 0;
      Atomics.store(this.#cqHead, 0, head);
      this.#inFlight--;
      this.#free.push(s);
      if (res === -EINVAL || res === -EOPNOTSUPP) {
        // IORING_OP_STATX not supported (or refused): stat with the other path from now on
        this.#retired = true;
      }
      // the slot is free again, but nothing can take it before the sink has read its buffer
      this.#sink(this.#owner[s]!, res, this.#statView, s * STATX_BUF_SIZE);
    }
  }

  /** Marks the ring unusable and returns false. Its memory stays mapped (see the module doc). */
  #retire(): false {
    this.#retired = true;
    return false;
  }

  #map(length: number, offset: bigint): Deno.PointerObject {
    const p = this.#c.mmap(
      null,
      BigInt(length),
      PROT_READ_WRITE,
      MAP_SHARED_POPULATE,
      this.#fd,
      offset,
    );
    // MAP_FAILED is (void *)-1
    if (p === null || BigInt(Deno.UnsafePointer.value(p)) === 0xffff_ffff_ffff_ffffn) {
      throw new Error("io_uring mmap failed");
    }
    return p;
  }
}

const encoder = new TextEncoder();
/** Every ring made, kept reachable for the life of the process (see the constructor). */
const everyRing: StatxRing[] = [];

/** The address of `b`'s first byte (user-space addresses are below 2^53). */
function addressOf(b: Uint8Array<ArrayBuffer>): number {
  return Number(Deno.UnsafePointer.value(Deno.UnsafePointer.of(b)));
}

/** Writes the non-negative integer `v` (< 2^53) as a little-endian u64. */
function setU64(dv: DataView, off: number, v: number): void {
  dv.setUint32(off, v % 0x1_0000_0000, true);
  dv.setUint32(off + 4, Math.floor(v / 0x1_0000_0000), true);
}

let shared: StatxRing | null | undefined;

/** The process's ring, set up on first use; undefined when io_uring isn't available or retired. */
export function statxRing(): StatxRing | undefined {
  if (shared === undefined) shared = StatxRing.create() ?? null;
  return shared?.usable ? shared : undefined;
}

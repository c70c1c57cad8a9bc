/**
 * @module
 * The few libc calls FUSE needs, through `Deno.dlopen("libc.so.6")`: open/close/read/write,
 * poll, eventfd, mount/umount2, socketpair/recvmsg/fcntl, errno, and glibc's malloc tuning
 * (mallopt, malloc_trim: `libc.so.6` is glibc, whose malloc Deno and V8 use). Synchronous
 * calls run on the JS thread, so `errno` is read right after them; the only calls marked
 * `nonblocking` (poll, recvmsg) run on Deno's blocking pool, where errno is lost, so callers
 * only use their return value. Every buffer handed to a nonblocking call or referenced by a raw
 * pointer is made from an explicit `ArrayBuffer` (off the V8 heap, it never moves).
 */

import { cstr } from "../util/c_string.ts";

const SYMBOLS = {
  open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  writev: { parameters: ["i32", "buffer", "i32"], result: "isize" },
  poll: { parameters: ["buffer", "u64", "i32"], result: "i32", nonblocking: true },
  poll_now: { name: "poll", parameters: ["buffer", "u64", "i32"], result: "i32" },
  ppoll: { parameters: ["buffer", "u64", "buffer", "pointer"], result: "i32" },
  eventfd: { parameters: ["u32", "i32"], result: "i32" },
  mount: { parameters: ["buffer", "buffer", "buffer", "u64", "buffer"], result: "i32" },
  umount2: { parameters: ["buffer", "i32"], result: "i32", nonblocking: true },
  socketpair: { parameters: ["i32", "i32", "i32", "buffer"], result: "i32" },
  recvmsg: { parameters: ["i32", "buffer", "i32"], result: "isize", nonblocking: true },
  fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
  strerror: { parameters: ["i32"], result: "pointer" },
  mallopt: { parameters: ["i32", "i32"], result: "i32" },
  malloc_trim: { parameters: ["usize"], result: "i32" },
} as const;

let lib: Deno.DynamicLibrary<typeof SYMBOLS> | undefined;

function libc(): Deno.DynamicLibrary<typeof SYMBOLS>["symbols"] {
  lib ??= Deno.dlopen("libc.so.6", SYMBOLS);
  return lib.symbols;
}

/** Linux constants used with these calls. */
export const Sys = {
  O_WRONLY: 1,
  O_RDWR: 2,
  O_NONBLOCK: 0o4000,
  O_CLOEXEC: 0o2000000,
  EFD_NONBLOCK: 0o4000,
  EFD_CLOEXEC: 0o2000000,
  POLLIN: 0x001,
  POLLERR: 0x008,
  POLLHUP: 0x010,
  POLLNVAL: 0x020,
  MS_RDONLY: 1,
  MS_NOSUID: 2,
  MS_NODEV: 4,
  MNT_DETACH: 2,
  AF_UNIX: 1,
  SOCK_STREAM: 1,
  SOCK_CLOEXEC: 0o2000000,
  SOL_SOCKET: 1,
  SCM_RIGHTS: 1,
  MSG_CMSG_CLOEXEC: 0x40000000,
  F_SETFD: 2,
  F_SETFL: 4,
  EINTR: 4,
  EAGAIN: 11,
  ENOENT: 2,
  ENODEV: 19,
  EBUSY: 16,
  EINVAL: 22,
} as const;

/** A failed libc call: the message names the call and its target, `errno` is the raw value. */
export class SysError extends Error {
  /** The errno of the failed call. */
  readonly errno: number;
  /** Creates an error for `call` failing with `errno`. */
  constructor(call: string, errno: number) {
    super(`${call}: ${strerror(errno)} (errno ${errno})`);
    this.name = "SysError";
    this.errno = errno;
  }
}

/** A NUL-terminated C string in a buffer that never moves (`lib/util/c_string.ts`). */
export { cstr };

/** A zeroed byte buffer whose memory never moves (safe for raw pointers and async FFI calls). */
export function offHeap(n: number): Uint8Array<ArrayBuffer> {
  return new Uint8Array(new ArrayBuffer(n));
}

/** A view of the JS thread's errno (its address never changes for a thread). */
let errnoView: Deno.UnsafePointerView | undefined;

/** errno of the last synchronous libc call on this thread. */
export function errno(): number {
  if (!errnoView) {
    const p = libc().__errno_location();
    if (!p) return 0;
    errnoView = new Deno.UnsafePointerView(p);
  }
  return errnoView.getInt32();
}

/** The text of an errno (`strerror`). */
export function strerror(e: number): string {
  const p = libc().strerror(e);
  return p ? Deno.UnsafePointerView.getCString(p) : `errno ${e}`;
}

/** open(2); throws {@link SysError}. */
export function open(path: string, flags: number, mode = 0): number {
  const fd = libc().open(cstr(path), flags, mode);
  if (fd < 0) throw new SysError(`open ${path}`, errno());
  return fd;
}

/** close(2), ignoring errors. */
export function close(fd: number): void {
  if (fd >= 0) libc().close(fd);
}

/** read(2) into `buf`; returns the count, or `-errno` on failure. */
export function read(fd: number, buf: Uint8Array<ArrayBuffer>): number {
  const n = Number(libc().read(fd, buf, BigInt(buf.length)));
  return n < 0 ? -errno() : n;
}

/**
 * Reads a whole file with open/read/close, for `/proc` and `/dev` paths: Deno's fs API refuses
 * those without `--allow-all`, while the program runs with named permissions.
 */
export function readTextFileSync(path: string): string {
  const fd = open(path, Sys.O_CLOEXEC);
  try {
    const buf = offHeap(65536);
    const parts: Uint8Array[] = [];
    for (;;) {
      const n = read(fd, buf);
      if (n === -Sys.EINTR) continue;
      if (n < 0) throw new SysError(`read ${path}`, -n);
      if (n === 0) break;
      parts.push(buf.slice(0, n));
    }
    const all = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.length;
    }
    return new TextDecoder().decode(all);
  } finally {
    close(fd);
  }
}

/** write(2) of all of `buf`; returns the count, or `-errno` on failure. */
export function write(fd: number, buf: Uint8Array<ArrayBuffer>): number {
  const n = Number(libc().write(fd, buf, BigInt(buf.length)));
  return n < 0 ? -errno() : n;
}

const iov = offHeap(32);
const iovView = new DataView(iov.buffer);

/**
 * writev(2) of `head` then `body` in one call, so a large reply is not copied behind its header
 * first; returns the count, or `-errno` on failure. Raw pointers to both go into the iovec, so
 * both must live off the V8 heap: `head` made by {@link offHeap}, `body` longer than 64 bytes
 * (V8 keeps only typed arrays of at most 64 bytes on its heap, where they may move).
 */
export function writev2(fd: number, head: Uint8Array<ArrayBuffer>, body: Uint8Array): number {
  if (body.length <= 64) throw new RangeError("writev2: body must be longer than 64 bytes");
  const h = Deno.UnsafePointer.value(Deno.UnsafePointer.of(head));
  const b = Deno.UnsafePointer.value(Deno.UnsafePointer.of(body as Uint8Array<ArrayBuffer>));
  iovView.setBigUint64(0, BigInt(h), true);
  iovView.setBigUint64(8, BigInt(head.length), true);
  iovView.setBigUint64(16, BigInt(b), true);
  iovView.setBigUint64(24, BigInt(body.length), true);
  const n = Number(libc().writev(fd, iov, 2));
  return n < 0 ? -errno() : n;
}

/**
 * poll(2) on the blocking pool: `fds` is an off-heap array of `struct pollfd` (8 bytes each).
 * Resolves to poll's return value (errno is not available).
 */
export async function pollAsync(fds: Uint8Array<ArrayBuffer>, timeoutMs: number): Promise<number> {
  return await libc().poll(fds, BigInt(fds.length / 8), timeoutMs);
}

/** Non-waiting poll(2) of one fd; returns its `revents`. */
export function pollNow(fd: number, events: number): number {
  const p = offHeap(8);
  const dv = new DataView(p.buffer);
  dv.setInt32(0, fd, true);
  dv.setInt16(4, events, true);
  libc().poll_now(p, 1n, 0);
  return dv.getInt16(6, true);
}

const waitFds = offHeap(8);
const waitFdsView = new DataView(waitFds.buffer);
const waitTime = offHeap(16);
const waitTimeView = new DataView(waitTime.buffer);

/**
 * ppoll(2) of one fd on the JS thread, asleep in the kernel for at most `timeoutUs`
 * microseconds: the thread wakes as soon as the fd is ready, and the event loop waits meanwhile.
 * Returns its `revents` (0 on timeout, EINTR or failure).
 */
export function pollWait(fd: number, events: number, timeoutUs: number): number {
  waitFdsView.setInt32(0, fd, true);
  waitFdsView.setInt16(4, events, true);
  waitFdsView.setInt16(6, 0, true);
  waitTimeView.setUint32(0, Math.floor(timeoutUs / 1e6), true);
  waitTimeView.setUint32(4, 0, true);
  waitTimeView.setUint32(8, (timeoutUs % 1e6) * 1000, true);
  waitTimeView.setUint32(12, 0, true);
  const r = libc().ppoll(waitFds, 1n, waitTime, null);
  return r > 0 ? waitFdsView.getInt16(6, true) : 0;
}

/** eventfd(2), nonblocking and close-on-exec; throws {@link SysError}. */
export function eventfd(): number {
  const fd = libc().eventfd(0, Sys.EFD_NONBLOCK | Sys.EFD_CLOEXEC);
  if (fd < 0) throw new SysError("eventfd", errno());
  return fd;
}

/** mount(2); throws {@link SysError} naming the target. */
export function mount(
  source: string,
  target: string,
  fstype: string,
  flags: number,
  data: string,
): void {
  const r = libc().mount(cstr(source), cstr(target), cstr(fstype), BigInt(flags), cstr(data));
  if (r !== 0) throw new SysError(`mount ${target}`, errno());
}

/**
 * umount2(2) on the blocking pool (unmounting a FUSE file system can wait for requests this
 * very thread must answer). Resolves true on success; errno is not available.
 */
export async function umount2(target: string, flags: number): Promise<boolean> {
  const path = cstr(target);
  const r = await libc().umount2(path, flags);
  return r === 0;
}

/** socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC); throws {@link SysError}. */
export function socketpair(): [number, number] {
  const sv = offHeap(8);
  if (libc().socketpair(Sys.AF_UNIX, Sys.SOCK_STREAM | Sys.SOCK_CLOEXEC, 0, sv) !== 0) {
    throw new SysError("socketpair", errno());
  }
  const dv = new DataView(sv.buffer);
  return [dv.getInt32(0, true), dv.getInt32(4, true)];
}

/** Sets O_NONBLOCK on `fd` (keeping O_RDWR). */
export function setNonblock(fd: number): void {
  if (libc().fcntl(fd, Sys.F_SETFL, Sys.O_RDWR | Sys.O_NONBLOCK) !== 0) {
    throw new SysError("fcntl F_SETFL", errno());
  }
}

/** Clears FD_CLOEXEC on `fd` so a child process inherits it. */
export function clearCloexec(fd: number): void {
  if (libc().fcntl(fd, Sys.F_SETFD, 0) !== 0) throw new SysError("fcntl F_SETFD", errno());
}

function addr(b: Uint8Array<ArrayBuffer>): bigint {
  return BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(b)));
}

/**
 * Receives one file descriptor sent with SCM_RIGHTS over a unix socket (on the blocking pool).
 * Returns the fd, or -1 if the peer closed or sent none.
 */
export async function recvFd(sock: number): Promise<number> {
  const data = offHeap(8);
  const iov = offHeap(16);
  const ctrl = offHeap(64);
  const msg = offHeap(56);
  const iv = new DataView(iov.buffer);
  iv.setBigUint64(0, addr(data), true);
  iv.setBigUint64(8, 1n, true);
  const mv = new DataView(msg.buffer);
  mv.setBigUint64(16, addr(iov), true); // msg_iov
  mv.setBigUint64(24, 1n, true); // msg_iovlen
  mv.setBigUint64(32, addr(ctrl), true); // msg_control
  mv.setBigUint64(40, BigInt(ctrl.length), true); // msg_controllen
  // MSG_CMSG_CLOEXEC: the received /dev/fuse fd must not leak into later child processes
  const n = Number(await libc().recvmsg(sock, msg, Sys.MSG_CMSG_CLOEXEC));
  // keep the pointed-to buffers alive until the call returned
  void [data, iov, ctrl];
  if (n <= 0) return -1;
  const cv = new DataView(ctrl.buffer);
  const clen = Number(cv.getBigUint64(0, true));
  if (clen < 20 || cv.getInt32(8, true) !== Sys.SOL_SOCKET) return -1;
  if (cv.getInt32(12, true) !== Sys.SCM_RIGHTS) return -1;
  return cv.getInt32(16, true);
}

/** glibc's `mallopt` parameter numbers (malloc.h). */
export const Malloc = {
  M_TRIM_THRESHOLD: -1,
  M_MMAP_THRESHOLD: -3,
} as const;

/** glibc `mallopt(param, value)`; returns true if glibc accepted it. */
export function mallopt(param: number, value: number): boolean {
  return libc().mallopt(param, value) === 1;
}

/**
 * glibc `malloc_trim(0)`: gives the free memory of every malloc arena back to the kernel (the
 * top of the heap is shrunk, free pages inside it are discarded with MADV_DONTNEED). Returns
 * true if any memory was released.
 */
export function mallocTrim(): boolean {
  return libc().malloc_trim(0n) === 1;
}

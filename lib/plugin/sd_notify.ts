/**
 * @module
 * systemd's notify protocol: one datagram (`READY=1`, `STOPPING=1`) sent to the unix socket
 * named by `$NOTIFY_SOCKET` (a path, or `@name` for the abstract namespace). Sent through libc
 * (`socket`/`sendto`) so no unstable Deno API is needed.
 */

const SYMBOLS = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  sendto: {
    parameters: ["i32", "buffer", "usize", "i32", "buffer", "u32"],
    result: "isize",
  },
  close: { parameters: ["i32"], result: "i32" },
} as const;

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const MSG_NOSIGNAL = 0x4000;

/** Builds a `sockaddr_un` for `path` (`@x` = abstract); returns the buffer and its length. */
export function sockaddrUn(path: string): { addr: Uint8Array; len: number } {
  const name = new TextEncoder().encode(path);
  if (name.length === 0 || name.length > 107) {
    throw new Error(`invalid NOTIFY_SOCKET path ${JSON.stringify(path)}`);
  }
  const addr = new Uint8Array(110);
  new DataView(addr.buffer).setUint16(0, AF_UNIX, true);
  addr.set(name, 2);
  if (path.startsWith("@")) {
    addr[2] = 0;
    return { addr, len: 2 + name.length };
  }
  return { addr, len: 2 + name.length + 1 };
}

/**
 * Sends `state` to `$NOTIFY_SOCKET`. Returns false when there is no notify socket; throws if
 * sending fails.
 */
export function sdNotify(
  state: string,
  env: Record<string, string | undefined> = Deno.env.toObject(),
): boolean {
  const path = env.NOTIFY_SOCKET;
  if (!path) return false;
  const { addr, len } = sockaddrUn(path);
  const lib = Deno.dlopen("libc.so.6", SYMBOLS);
  try {
    const fd = lib.symbols.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw new Error("failed to notify systemd: socket() failed");
    try {
      const msg = new TextEncoder().encode(state);
      const n = lib.symbols.sendto(fd, msg, BigInt(msg.length), MSG_NOSIGNAL, addr, len);
      if (Number(n) !== msg.length) {
        throw new Error(`failed to notify systemd: sendto ${path} failed`);
      }
    } finally {
      lib.symbols.close(fd);
    }
  } finally {
    lib.close();
  }
  return true;
}

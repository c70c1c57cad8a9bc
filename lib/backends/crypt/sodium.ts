/**
 * @module
 * NaCl secretbox (XSalsa20-Poly1305, 24-byte nonce, 16-byte tag in front of the ciphertext)
 * from the system's libsodium (`libsodium.so.23`, Debian's `libsodium23`) through Deno FFI:
 * the construction rclone's crypt seals its 64 KiB blocks with, run natively.
 *
 * A batch of consecutive blocks is sealed or opened by one message to a worker thread, which
 * makes one synchronous libsodium call per block, so the cipher runs on the other core while
 * the JS thread keeps serving FUSE. (A `nonblocking` FFI call per block was measured first: it
 * costs the JS thread ~25 µs per call, about what the 64 KiB block costs to seal.) The input
 * buffer is transferred to the worker, not copied; the output is allocated there and
 * transferred back. Batches of at most {@link INLINE_BYTES} (small files) run on the JS thread,
 * where they cost less than the round trip.
 *
 * The worker says when it has opened the library; requests wait for that. If it cannot start,
 * they run the same loop synchronously on the JS thread; if it dies later, requests under way
 * fail with EIO (their buffers went with it) and later ones run on the JS thread. {@link loadSodium} returns undefined when the
 * library cannot be opened (not installed, no FFI permission, `DENOCLONE_NO_SODIUM=1`); callers
 * then use the pure-JS cipher, which produces the same bytes.
 */

import { Worker } from "node:worker_threads";
import { Errno, FsError } from "../../errors.ts";
import { log } from "../../util/log.ts";

/** Batches of at most this many bytes are sealed or opened on the JS thread (a few µs). */
export const INLINE_BYTES = 16 * 1024;

/** The soname of the library, resolved by the dynamic loader's usual search path. */
export const SODIUM_LIBRARY = "libsodium.so.23";

const SYMBOLS = {
  sodium_init: { parameters: [], result: "i32" },
  seal: {
    name: "crypto_secretbox_easy",
    parameters: ["buffer", "buffer", "u64", "buffer", "buffer"],
    result: "i32",
  },
  open: {
    name: "crypto_secretbox_open_easy",
    parameters: ["buffer", "buffer", "u64", "buffer", "buffer"],
    result: "i32",
  },
} as const;

/** The symbols the block loops call (the same in the worker and on the JS thread). */
interface SecretboxSymbols {
  seal(c: Uint8Array, m: Uint8Array, mlen: bigint, n: Uint8Array, k: Uint8Array): number;
  open(m: Uint8Array, c: Uint8Array, clen: bigint, n: Uint8Array, k: Uint8Array): number;
}

/** Block layout passed to the loops (they run in the worker too, so they take no imports). */
interface Layout {
  /** Plaintext bytes per block. */
  data: number;
  /** Tag bytes in front of each sealed block. */
  tag: number;
}

// The two loops below are also the worker's code (via Function.prototype.toString): they must
// not refer to anything outside their own bodies.

/**
 * Seals `input` cut into blocks of `l.data` bytes, block i with `nonce` + i (little-endian),
 * into a new array holding `prefix` then the sealed blocks.
 */
function sealLoop(
  s: SecretboxSymbols,
  l: Layout,
  key: Uint8Array,
  nonce: Uint8Array,
  input: Uint8Array,
  prefix: Uint8Array,
): Uint8Array {
  const count = Math.ceil(input.length / l.data);
  const out = new Uint8Array(new ArrayBuffer(prefix.length + input.length + count * l.tag));
  out.set(prefix);
  const n = nonce.slice();
  for (let i = 0; i < count; i++) {
    const m = input.subarray(i * l.data, (i + 1) * l.data);
    const at = prefix.length + i * (l.data + l.tag);
    s.seal(out.subarray(at, at + l.tag + m.length), m, BigInt(m.length), n, key);
    for (let j = 0; j < n.length && ++n[j]! === 256; j++) n[j] = 0;
  }
  return out;
}

/**
 * Opens `input` cut into sealed blocks of `l.data + l.tag` bytes (the last may be short, each
 * longer than the tag), block i with `nonce` + i. Returns the plaintexts and, per block, 1 if
 * it authenticated (its bytes are left zero otherwise).
 */
function openLoop(
  s: SecretboxSymbols,
  l: Layout,
  key: Uint8Array,
  nonce: Uint8Array,
  input: Uint8Array,
): { plain: Uint8Array; ok: Uint8Array } {
  const size = l.data + l.tag;
  const count = Math.ceil(input.length / size);
  const plain = new Uint8Array(new ArrayBuffer(input.length - count * l.tag));
  const ok = new Uint8Array(count);
  const n = nonce.slice();
  for (let i = 0; i < count; i++) {
    const c = input.subarray(i * size, (i + 1) * size);
    const m = plain.subarray(i * l.data, i * l.data + c.length - l.tag);
    ok[i] = s.open(m, c, BigInt(c.length), n, key) === 0 ? 1 : 0;
    for (let j = 0; j < n.length && ++n[j]! === 256; j++) n[j] = 0;
  }
  return { plain, ok };
}

/** A request to the worker. */
interface Request {
  id: number;
  seal: boolean;
  layout: Layout;
  key: Uint8Array;
  nonce: Uint8Array;
  buf: ArrayBuffer;
  offset: number;
  length: number;
  prefix: Uint8Array;
}

/** The worker's reply: the output (and per-block results when opening), or an error. */
interface Reply {
  /** The request's id; absent in the one "ready" message after the library is open. */
  id?: number;
  out?: Uint8Array;
  ok?: Uint8Array;
  error?: string;
}

/** The worker's code: open the library, then run each request's loop. */
function workerSource(library: string): string {
  return `"use strict";
const { parentPort } = require("node:worker_threads");
const lib = Deno.dlopen(${JSON.stringify(library)}, ${JSON.stringify(SYMBOLS)});
if (lib.symbols.sodium_init() < 0) throw new Error("sodium_init failed");
const sealLoop = ${sealLoop.toString()};
const openLoop = ${openLoop.toString()};
// Self-test before saying ready (a broken build of the loops must not fail real requests).
const probe = sealLoop(lib.symbols, { data: 64, tag: 16 }, new Uint8Array(32), new Uint8Array(24),
  new Uint8Array(1), new Uint8Array(0));
if (openLoop(lib.symbols, { data: 64, tag: 16 }, new Uint8Array(32), new Uint8Array(24),
  probe).ok[0] !== 1) throw new Error("libsodium self-test failed");
parentPort.postMessage({});
parentPort.on("message", (r) => {
  try {
    const input = new Uint8Array(r.buf, r.offset, r.length);
    if (r.seal) {
      const out = sealLoop(lib.symbols, r.layout, r.key, r.nonce, input, r.prefix);
      parentPort.postMessage({ id: r.id, out }, [out.buffer]);
    } else {
      const { plain, ok } = openLoop(lib.symbols, r.layout, r.key, r.nonce, input);
      parentPort.postMessage({ id: r.id, out: plain, ok }, [plain.buffer]);
    }
  } catch (err) {
    parentPort.postMessage({ id: r.id, error: String(err) });
  }
});
`;
}

/** What {@link Sodium.openBlocks} returns. */
export interface OpenedPlain {
  /** The plaintexts, in order; a block that did not authenticate is left as zeros. */
  plain: Uint8Array;
  /** Per block: 1 if it authenticated, 0 if not. */
  ok: Uint8Array;
}

/** Options of a {@link Sodium}. */
export interface SodiumOptions {
  /** Run the loops on a worker thread (default true); false runs them on the JS thread. */
  worker?: boolean;
}

/** libsodium's secretbox, sealing and opening batches of blocks on a worker thread. */
export class Sodium {
  #symbols: SecretboxSymbols;
  #useWorker: boolean;
  #worker: Worker | undefined;
  #ready: Promise<boolean> | undefined;
  #pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  #nextId = 0;

  /** Wraps an opened library. */
  constructor(lib: Deno.DynamicLibrary<typeof SYMBOLS>, options: SodiumOptions = {}) {
    this.#symbols = lib.symbols as unknown as SecretboxSymbols;
    this.#useWorker = options.worker ?? true;
  }

  /** Whether requests go to the worker thread (false after it failed, or when not wanted). */
  get usesWorker(): boolean {
    return this.#useWorker;
  }

  /**
   * Starts the worker on first use (it does not keep the process alive while idle); resolves
   * to whether it is serving requests.
   */
  #workerReady(): Promise<boolean> {
    if (this.#ready !== undefined) return this.#ready;
    let ready!: (ok: boolean) => void;
    this.#ready = new Promise<boolean>((resolve) => ready = resolve);
    let w: Worker;
    try {
      w = new Worker(workerSource(SODIUM_LIBRARY), { eval: true });
    } catch (err) {
      this.#fail(`crypt: cannot start the libsodium worker: ${err}`);
      ready(false);
      return this.#ready;
    }
    // Referenced until it is ready, and afterwards while requests are under way.
    w.on("message", (reply: Reply) => {
      if (reply.id === undefined) {
        if (this.#pending.size === 0) w.unref();
        return ready(true);
      }
      const p = this.#pending.get(reply.id);
      if (p === undefined) return;
      this.#pending.delete(reply.id);
      if (this.#pending.size === 0) w.unref();
      if (reply.error !== undefined) p.reject(new FsError(`libsodium: ${reply.error}`, Errno.EIO));
      else p.resolve(reply);
    });
    const failed = (why: string) => {
      this.#fail(why);
      ready(false);
    };
    w.on("error", (err: unknown) => failed(`crypt: libsodium worker failed: ${err}`));
    w.on("exit", () => failed("crypt: libsodium worker exited"));
    this.#worker = w;
    return this.#ready;
  }

  /**
   * Whether a request for `bytes` goes to the worker (started and still healthy): small ones
   * cost less on the JS thread than a round trip to the worker.
   */
  async #viaWorker(bytes: number): Promise<boolean> {
    if (bytes <= INLINE_BYTES) return false;
    return this.#useWorker && await this.#workerReady() && this.#useWorker;
  }

  /** Stops using the worker: requests under way fail with EIO, later ones run inline. */
  #fail(why: string, quiet = false): void {
    if (!this.#useWorker) return;
    this.#useWorker = false;
    if (!quiet) log.error(`${why}; sealing and opening on the main thread from now on`);
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(new FsError(why, Errno.EIO));
    void this.#worker?.terminate();
  }

  /** Sends one request to the started worker; `req.buf` is transferred (detached here). */
  #request(req: Omit<Request, "id">): Promise<Reply> {
    const w = this.#worker!;
    const id = this.#nextId++;
    return new Promise<Reply>((resolve, reject) => {
      if (this.#pending.size === 0) w.ref();
      this.#pending.set(id, { resolve, reject });
      w.postMessage({ ...req, id }, [req.buf]);
    });
  }

  /**
   * Seals `input` in blocks of `layout.data` bytes, block i with `nonce` + i; resolves to
   * `prefix` followed by the sealed blocks. `input` is consumed: when it spans its whole
   * ArrayBuffer that buffer is handed to the worker and detached.
   */
  async sealBlocks(
    layout: Layout,
    key: Uint8Array,
    nonce: Uint8Array,
    input: Uint8Array,
    prefix: Uint8Array,
  ): Promise<Uint8Array> {
    if (!await this.#viaWorker(input.length)) {
      return sealLoop(this.#symbols, layout, key, nonce, input, prefix);
    }
    const own = owned(input);
    const reply = await this.#request({
      seal: true,
      layout,
      key,
      nonce,
      buf: own.buffer as ArrayBuffer,
      offset: own.byteOffset,
      length: own.length,
      prefix,
    });
    return reply.out!;
  }

  /**
   * Opens `input` in sealed blocks of `layout.data + layout.tag` bytes, block i with
   * `nonce` + i. `input` is consumed like {@link sealBlocks}'s.
   */
  async openBlocks(
    layout: Layout,
    key: Uint8Array,
    nonce: Uint8Array,
    input: Uint8Array,
  ): Promise<OpenedPlain> {
    if (!await this.#viaWorker(input.length)) {
      return openLoop(this.#symbols, layout, key, nonce, input);
    }
    const own = owned(input);
    const reply = await this.#request({
      seal: false,
      layout,
      key,
      nonce,
      buf: own.buffer as ArrayBuffer,
      offset: own.byteOffset,
      length: own.length,
      prefix: EMPTY,
    });
    return { plain: reply.out!, ok: reply.ok! };
  }

  /** Stops the worker (requests under way fail); later requests run on the JS thread. */
  async close(): Promise<void> {
    this.#fail("crypt: libsodium worker closed", true);
    await this.#worker?.terminate();
  }
}

const EMPTY = new Uint8Array(0);

/**
 * `data` itself when it spans its whole (non-shared) ArrayBuffer, so the buffer can be
 * transferred; otherwise a copy that does.
 */
function owned(data: Uint8Array): Uint8Array {
  const b = data.buffer;
  if (b instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === b.byteLength) {
    return data;
  }
  return data.slice();
}

let loaded: Sodium | null | undefined;

/** Opens the library; undefined when it cannot be opened or initialised. */
export function openSodium(options: SodiumOptions = {}): Sodium | undefined {
  let lib: Deno.DynamicLibrary<typeof SYMBOLS>;
  try {
    lib = Deno.dlopen(SODIUM_LIBRARY, SYMBOLS);
  } catch {
    return undefined;
  }
  // 0: initialised now, 1: already initialised; -1: failure.
  if (lib.symbols.sodium_init() < 0) {
    lib.close();
    return undefined;
  }
  return new Sodium(lib, options);
}

/**
 * The process's libsodium secretbox, opened once, or undefined when the library cannot be
 * opened (or `DENOCLONE_NO_SODIUM=1` asks for the pure-JS cipher).
 */
export function loadSodium(): Sodium | undefined {
  if (loaded !== undefined) return loaded ?? undefined;
  loaded = null;
  try {
    if (Deno.env.get("DENOCLONE_NO_SODIUM") === "1") return undefined;
  } catch {
    // No env permission: the setting cannot have been asked for.
  }
  loaded = openSodium() ?? null;
  return loaded ?? undefined;
}

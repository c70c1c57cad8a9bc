/**
 * @module
 * NaCl secretbox (XSalsa20-Poly1305, 24-byte nonce, 16-byte tag in front of the ciphertext)
 * from the system's libsodium (`libsodium.so.23`, Debian's `libsodium23`) through Deno FFI:
 * the construction rclone's crypt seals its 64 KiB blocks with, run natively (~1 GB/s here,
 * against ~50-100 MB/s for the pure-JS cipher).
 *
 * The calls are synchronous, on the JS thread. Two ways off that thread were measured on the
 * 2-core bench machine and were not faster end to end: a `nonblocking` FFI call per block
 * costs the JS thread ~25 µs per call (about what sealing the 64 KiB block costs), and a worker
 * thread fed one message per 512 KiB batch spends about as much CPU on the messages as it
 * saves, with sequential reads and writes through the mount no better than inline.
 *
 * {@link loadSodium} returns undefined when the library cannot be opened (not installed, no FFI
 * permission, `DENOCLONE_NO_SODIUM=1`); callers then use the pure-JS cipher, which produces the
 * same bytes.
 */

import { dlopenSodium, sodiumDisabled } from "../_libsodium.ts";

const SYMBOLS = {
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

/** Block layout of a batch: plaintext bytes per block and tag bytes in front of each. */
export interface BlockLayout {
  /** Plaintext bytes per block. */
  data: number;
  /** Tag bytes in front of each sealed block. */
  tag: number;
}

/** What {@link Sodium.openBlocks} returns. */
export interface OpenedPlain {
  /** The plaintexts, in order; a block that did not authenticate is left as zeros. */
  plain: Uint8Array;
  /** Per block: 1 if it authenticated, 0 if not. */
  ok: Uint8Array;
}

/** libsodium's secretbox over batches of consecutive blocks. */
export class Sodium {
  #lib: Deno.DynamicLibrary<typeof SYMBOLS>;

  /** Wraps an opened and initialised library. */
  constructor(lib: Deno.DynamicLibrary<typeof SYMBOLS>) {
    this.#lib = lib;
  }

  /**
   * Seals `input` cut into blocks of `l.data` bytes (the last may be short), block i with
   * `nonce` + i (little-endian, carrying through all 24 bytes), into a new array holding
   * `prefix` then the sealed blocks.
   */
  sealBlocks(
    l: BlockLayout,
    key: Uint8Array,
    nonce: Uint8Array,
    input: Uint8Array,
    prefix: Uint8Array,
  ): Uint8Array {
    const seal = this.#lib.symbols.seal;
    const count = Math.ceil(input.length / l.data);
    const out = new Uint8Array(prefix.length + input.length + count * l.tag);
    out.set(prefix);
    const n = nonce.slice();
    for (let i = 0; i < count; i++) {
      const m = input.subarray(i * l.data, (i + 1) * l.data);
      const at = prefix.length + i * (l.data + l.tag);
      seal(out.subarray(at, at + l.tag + m.length), m, BigInt(m.length), n, key);
      increment(n);
    }
    return out;
  }

  /**
   * Opens `input` cut into sealed blocks of `l.data + l.tag` bytes (the last may be short,
   * each longer than the tag), block i with `nonce` + i.
   */
  openBlocks(l: BlockLayout, key: Uint8Array, nonce: Uint8Array, input: Uint8Array): OpenedPlain {
    const open = this.#lib.symbols.open;
    const size = l.data + l.tag;
    const count = Math.ceil(input.length / size);
    const plain = new Uint8Array(input.length - count * l.tag);
    const ok = new Uint8Array(count);
    const n = nonce.slice();
    for (let i = 0; i < count; i++) {
      const c = input.subarray(i * size, (i + 1) * size);
      const m = plain.subarray(i * l.data, i * l.data + c.length - l.tag);
      // libsodium checks the tag first and writes nothing when it does not match.
      ok[i] = open(m, c, BigInt(c.length), n, key) === 0 ? 1 : 0;
      increment(n);
    }
    return { plain, ok };
  }
}

/** Adds 1 to a little-endian nonce in place. */
function increment(n: Uint8Array): void {
  for (let j = 0; j < n.length; j++) {
    n[j] = (n[j]! + 1) & 0xff;
    if (n[j] !== 0) return;
  }
}

let loaded: Sodium | null | undefined;

/** Opens the library; undefined when it cannot be opened or initialised. */
export function openSodium(): Sodium | undefined {
  const lib = dlopenSodium(SYMBOLS);
  return lib ? new Sodium(lib) : undefined;
}

/**
 * The process's libsodium secretbox, opened once, or undefined when the library cannot be
 * opened (or `DENOCLONE_NO_SODIUM=1` asks for the pure-JS cipher).
 */
export function loadSodium(): Sodium | undefined {
  if (loaded !== undefined) return loaded ?? undefined;
  loaded = null;
  if (sodiumDisabled()) return undefined;
  loaded = openSodium() ?? null;
  return loaded ?? undefined;
}

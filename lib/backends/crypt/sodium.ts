/**
 * @module
 * NaCl secretbox (XSalsa20-Poly1305, 24-byte nonce, 16-byte tag in front of the ciphertext)
 * from the system's libsodium (`libsodium.so.23`, Debian's `libsodium23`) through Deno FFI.
 * It is the same construction rclone's crypt seals its 64 KiB blocks with, run natively: the
 * `nonblocking` variants run on Deno's blocking thread pool, so several blocks are sealed or
 * opened at once on other cores while the JS thread keeps serving FUSE requests.
 *
 * {@link loadSodium} returns undefined when the library cannot be opened (not installed, no FFI
 * permission, `DENOCLONE_NO_SODIUM=1`); callers then use the pure-JS cipher, which produces the
 * same bytes.
 *
 * Every buffer handed to a nonblocking call must live off the V8 heap (V8 may move small
 * on-heap typed arrays during a GC while another thread writes them): use {@link offHeap} for
 * buffers, and keep a reference to each buffer until the call's promise settles.
 */

const SYMBOLS = {
  sodium_init: { parameters: [], result: "i32" },
  crypto_secretbox_easy: {
    parameters: ["buffer", "buffer", "u64", "buffer", "buffer"],
    result: "i32",
    nonblocking: true,
  },
  crypto_secretbox_open_easy: {
    parameters: ["buffer", "buffer", "u64", "buffer", "buffer"],
    result: "i32",
    nonblocking: true,
  },
} as const;

/** The soname of the library, resolved by the dynamic loader's usual search path. */
export const SODIUM_LIBRARY = "libsodium.so.23";

/** libsodium's secretbox, sealing and opening on the blocking thread pool. */
export interface Sodium {
  /**
   * Seals `plain` with `nonce` (24 bytes) and `key` (32 bytes) into `out`
   * (`plain.length + 16` bytes: tag, then ciphertext). Resolves when done.
   */
  seal(out: Uint8Array, plain: Uint8Array, nonce: Uint8Array, key: Uint8Array): Promise<void>;
  /**
   * Opens `sealed` (tag then ciphertext) into `out` (`sealed.length - 16` bytes); resolves to
   * false, with `out` left untouched, when the block does not authenticate.
   */
  open(out: Uint8Array, sealed: Uint8Array, nonce: Uint8Array, key: Uint8Array): Promise<boolean>;
}

let loaded: Sodium | null | undefined;

/** A zeroed byte array of `size` bytes backed by its own (off-heap) ArrayBuffer. */
export function offHeap(size: number): Uint8Array {
  return new Uint8Array(new ArrayBuffer(size));
}

/**
 * libsodium's secretbox, opened once per process, or undefined when the library cannot be
 * opened or initialised (or `DENOCLONE_NO_SODIUM=1` asks for the pure-JS cipher).
 */
export function loadSodium(): Sodium | undefined {
  if (loaded !== undefined) return loaded ?? undefined;
  loaded = null;
  try {
    if (Deno.env.get("DENOCLONE_NO_SODIUM") === "1") return undefined;
  } catch {
    // No env permission: the setting cannot have been asked for.
  }
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
  const s = lib.symbols;
  loaded = {
    async seal(out, plain, nonce, key) {
      // The arguments stay referenced by this frame until the call returns.
      await s.crypto_secretbox_easy(out, plain, BigInt(plain.length), nonce, key);
    },
    async open(out, sealed, nonce, key) {
      const rc = await s.crypto_secretbox_open_easy(
        out,
        sealed,
        BigInt(sealed.length),
        nonce,
        key,
      );
      return rc === 0;
    },
  };
  return loaded;
}

/**
 * @module
 * Opens glibc (`libc.so.6`) through Deno FFI on first use, for modules that call a few libc
 * functions of their own and must work on without them (another libc, no FFI permission).
 */

/**
 * A loader of `symbols` from `libc.so.6`: the first call opens the library, later calls return
 * the same symbols; null (remembered) when the library or a symbol can't be loaded.
 */
export function lazyLibc<const S extends Deno.ForeignLibraryInterface>(
  symbols: S,
): () => Deno.DynamicLibrary<S>["symbols"] | null {
  let loaded: Deno.DynamicLibrary<S>["symbols"] | null | undefined;
  return () => {
    if (loaded === undefined) {
      try {
        loaded = Deno.dlopen("libc.so.6", symbols).symbols;
      } catch {
        loaded = null;
      }
    }
    return loaded;
  };
}

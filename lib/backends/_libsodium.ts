/**
 * @module
 * Opening the system's libsodium (`libsodium.so.23`, Debian's `libsodium23`) through Deno FFI,
 * shared by crypt's data blocks (`crypt/sodium.ts`) and the SFTP backend's SSH packets
 * (`sftp/ssh_sodium.ts`): each opens it with the functions it needs.
 * `DENOCLONE_NO_SODIUM=1` asks both for their JavaScript code paths instead.
 */

/** The soname of the library, resolved by the dynamic loader's usual search path. */
export const SODIUM_LIBRARY = "libsodium.so.23";

const INIT = { sodium_init: { parameters: [], result: "i32" } } as const;

/** Whether `DENOCLONE_NO_SODIUM=1` asks for the JavaScript code paths. */
export function sodiumDisabled(): boolean {
  try {
    return Deno.env.get("DENOCLONE_NO_SODIUM") === "1";
  } catch {
    // No env permission: the setting cannot have been asked for.
    return false;
  }
}

/**
 * Opens the library with `symbols` and initialises it (`sodium_init`, through a second handle
 * on the same library); undefined when it cannot be opened (not installed, no FFI permission)
 * or initialised.
 */
export function dlopenSodium<S extends Deno.ForeignLibraryInterface>(
  symbols: S,
): Deno.DynamicLibrary<S> | undefined {
  let lib: Deno.DynamicLibrary<S>;
  let init: Deno.DynamicLibrary<typeof INIT>;
  try {
    lib = Deno.dlopen(SODIUM_LIBRARY, symbols);
  } catch {
    return undefined;
  }
  try {
    init = Deno.dlopen(SODIUM_LIBRARY, INIT);
  } catch {
    lib.close();
    return undefined;
  }
  // 0: initialised now, 1: already initialised; -1: failure.
  const ok = init.symbols.sodium_init() >= 0;
  init.close();
  if (!ok) {
    lib.close();
    return undefined;
  }
  return lib;
}

/**
 * @module
 * Minimal assertions for the VFS tests (JSR's `@std/assert` is not reachable here).
 */

/** Throws unless `cond` is truthy. */
export function assert(cond: unknown, msg = "assertion failed"): asserts cond {
  if (!cond) throw new Error(msg);
}

/** Deep equality via a canonical JSON rendering (enough for the plain data the tests compare). */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${msg ? msg + ": " : ""}expected ${e}, got ${a}`);
}

/** Byte-array equality with a short report of the first difference. */
export function assertBytes(actual: Uint8Array, expected: Uint8Array, msg = "bytes differ"): void {
  if (actual.byteLength !== expected.byteLength) {
    throw new Error(`${msg}: length ${actual.byteLength} != ${expected.byteLength}`);
  }
  for (let i = 0; i < actual.byteLength; i++) {
    if (actual[i] !== expected[i]) throw new Error(`${msg}: first difference at byte ${i}`);
  }
}

/** Awaits `fn` and checks that it rejects (with an instance of `cls` when given). */
export async function assertRejects(
  fn: () => Promise<unknown>,
  // deno-lint-ignore no-explicit-any
  cls?: new (...args: any[]) => Error,
  includes?: string,
): Promise<Error> {
  try {
    await fn();
  } catch (err) {
    if (cls && !(err instanceof cls)) {
      throw new Error(
        `expected ${cls.name}, got ${(err as Error)?.name}: ${(err as Error)?.message}`,
      );
    }
    if (includes && !String((err as Error)?.message).includes(includes)) {
      throw new Error(
        `expected message containing ${JSON.stringify(includes)}, got ${(err as Error)?.message}`,
      );
    }
    return err as Error;
  }
  throw new Error(`expected a rejection${cls ? ` with ${cls.name}` : ""}`);
}

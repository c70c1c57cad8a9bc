/**
 * @module
 * Small assertion and stream helpers shared by the crypt unit tests (no `@std/assert` here).
 */

/** Throws unless `actual` and `expected` are equal (deep, via JSON for plain data). */
export function assertEquals(actual: unknown, expected: unknown, msg = ""): void {
  const a = actual instanceof Uint8Array ? [...actual] : actual;
  const e = expected instanceof Uint8Array ? [...expected] : expected;
  const sa = JSON.stringify(a);
  const se = JSON.stringify(e);
  if (sa !== se) throw new Error(`${msg ? msg + ": " : ""}expected ${se}, got ${sa}`);
}

/** Throws unless two byte arrays are identical (compact message for big arrays). */
export function assertBytes(actual: Uint8Array, expected: Uint8Array, msg = ""): void {
  if (actual.length !== expected.length) {
    throw new Error(`${msg}: length ${actual.length} != expected ${expected.length}`);
  }
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== expected[i]) throw new Error(`${msg}: first difference at byte ${i}`);
  }
}

/** Expects `fn` to throw (or reject) an error of class `cls`; returns it. */
export async function assertRejects<T extends Error>(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  cls: new (...args: any[]) => T,
  includes?: string,
): Promise<T> {
  try {
    await fn();
  } catch (err) {
    if (!(err instanceof cls)) {
      throw new Error(`expected ${cls.name}, got ${(err as Error)?.constructor?.name}: ${err}`);
    }
    if (includes && !err.message.includes(includes)) {
      throw new Error(`expected message with ${JSON.stringify(includes)}, got ${err.message}`);
    }
    return err;
  }
  throw new Error(`expected ${cls.name}, but nothing was thrown`);
}

export { patternBytes } from "../../../tests/helpers/xorshift_bytes.ts";

/** A stream yielding `data` in chunks of `chunk` bytes. */
export function streamOf(data: Uint8Array, chunk = 7919): ReadableStream<Uint8Array> {
  let off = 0;
  return new ReadableStream({
    pull(c) {
      if (off >= data.length) return c.close();
      c.enqueue(data.slice(off, off + chunk));
      off += chunk;
    },
  });
}

/** Hex to bytes. */
export function hex(s: string): Uint8Array {
  return new Uint8Array(s.match(/../g)!.map((h) => parseInt(h, 16)));
}

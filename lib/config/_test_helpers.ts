/**
 * @module
 * Test-only helpers shared by the config tests: catch a thrown error and check its class, so a
 * test can assert the exact message.
 */

/** Calls `fn`, requires it to throw an instance of `cls`, and returns that error. */
export function throwsError<E extends Error>(
  fn: () => unknown,
  cls: new (...args: never[]) => E,
): E {
  try {
    fn();
  } catch (err) {
    if (err instanceof cls) return err;
    throw new Error(`expected ${cls.name}, got ${String(err)}`, { cause: err });
  }
  throw new Error(`expected ${cls.name} to be thrown, nothing was`);
}

/** Awaits `fn`, requires it to reject with an instance of `cls`, and returns that error. */
export async function rejectsError<E extends Error>(
  fn: () => Promise<unknown>,
  cls: new (...args: never[]) => E,
): Promise<E> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof cls) return err;
    throw new Error(`expected ${cls.name}, got ${String(err)}`, { cause: err });
  }
  throw new Error(`expected ${cls.name} to be thrown, nothing was`);
}

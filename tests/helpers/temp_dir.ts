/**
 * @module
 * A temporary directory that lives exactly as long as one test body.
 */

/** Runs `fn` with a fresh temporary directory named `<prefix>…`, removed afterwards. */
export async function withTempDir(
  prefix: string,
  fn: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

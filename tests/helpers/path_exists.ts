/**
 * @module
 * Whether a path exists, for test assertions about files, sockets and mountpoints.
 */

/** True when `path` exists (a dangling symlink counts: it is `lstat`ed, not followed). */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

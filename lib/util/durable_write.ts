/**
 * @module
 * Durable file writes: write a whole buffer and fsync it, and fsync a directory so a rename or
 * creation inside it survives a crash. The building blocks of atomic replace (temp file, fsync,
 * rename, fsync of the directory) used by rclone.conf and the plugin's state file.
 */

/** How {@link writeSynced} opens the file (it always opens for writing). */
export interface WriteSyncedOptions {
  /** Create the file when it does not exist. */
  create?: boolean;
  /** Fail when the file already exists. */
  createNew?: boolean;
  /** Truncate an existing file first. */
  truncate?: boolean;
  /** Permission bits of a newly created file. */
  mode?: number;
}

/** Writes all of `data` to `path`, opened with `opts`, then fsyncs and closes the file. */
export async function writeSynced(
  path: string,
  data: Uint8Array,
  opts: WriteSyncedOptions,
): Promise<void> {
  const file = await Deno.open(path, {
    write: true,
    create: opts.create,
    createNew: opts.createNew,
    truncate: opts.truncate,
    mode: opts.mode,
  });
  try {
    let off = 0;
    while (off < data.length) off += await file.write(data.subarray(off));
    await file.sync();
  } finally {
    file.close();
  }
}

/** Fsyncs directory `dir`; best effort, since some file systems cannot fsync a directory. */
export async function syncDir(dir: string): Promise<void> {
  try {
    const d = await Deno.open(dir, { read: true });
    try {
      await d.sync();
    } finally {
      d.close();
    }
  } catch {
    // Best effort: some file systems cannot fsync a directory.
  }
}

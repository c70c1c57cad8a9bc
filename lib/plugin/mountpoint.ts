/**
 * @module
 * Mountpoint housekeeping for volumes: create `<base-dir>/<name>` (0700), refuse a directory
 * that is already a mountpoint or not empty, detach a stale FUSE mount left by a killed
 * plugin, and remove the directory again when the volume goes away.
 */
import { readTextFileSync } from "../fuse/libc.ts";
import { log } from "../util/log.ts";
import { rmdir } from "./rmdir.ts";

/** One line of `/proc/self/mountinfo` reduced to what we need. */
export interface MountInfo {
  /** Mount point path (octal escapes decoded). */
  mountpoint: string;
  /** File system type, e.g. `fuse.rclone`. */
  fstype: string;
}

function unescapeMountinfo(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Parses `/proc/self/mountinfo` text. */
export function parseMountinfo(text: string): MountInfo[] {
  const out: MountInfo[] = [];
  for (const line of text.split("\n")) {
    if (!line) continue;
    const fields = line.split(" ");
    const dash = fields.indexOf("-");
    if (dash < 0 || fields.length < dash + 2 || fields.length < 5) continue;
    out.push({ mountpoint: unescapeMountinfo(fields[4]!), fstype: fields[dash + 1]! });
  }
  return out;
}

/** `path` escaped as mountinfo writes it (space, tab, newline and backslash as `\ooo`). */
export function escapeMountinfo(path: string): string {
  return path.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, "0")}`);
}

/**
 * The mount at exactly `path`, if any (the last one, i.e. the visible one). The table is
 * parsed only when the escaped path appears in it as a whole field (the common answer, "not
 * mounted", costs one read and one substring search).
 */
export function mountAt(path: string): Promise<MountInfo | undefined> {
  return Promise.resolve(mountAtSync(path));
}

function mountAtSync(path: string): MountInfo | undefined {
  const text = readTextFileSync("/proc/self/mountinfo");
  if (!text.includes(` ${escapeMountinfo(path)} `)) return undefined;
  return parseMountinfo(text).filter((m) => m.mountpoint === path).pop();
}

/** Lazily detaches whatever is mounted at `path` (`umount -l`). */
export async function detachMount(path: string): Promise<void> {
  const out = await new Deno.Command("umount", { args: ["-l", path], stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(
      `failed to detach ${path}: ${new TextDecoder().decode(out.stderr).trim()}`,
    );
  }
}

/**
 * Creates `path` itself (its parents too, mode 0700); false if that fails for any reason.
 * Synchronous: mkdir(2) of a name in the local base dir takes microseconds, and never enters
 * a file system mounted on `path` (an existing name is EEXIST from the parent's lookup).
 */
function mkdirLeaf(path: string): boolean {
  try {
    Deno.mkdirSync(path, { mode: 0o700 });
    return true;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) return false;
  }
  const parent = path.slice(0, path.lastIndexOf("/"));
  if (!parent) return false;
  try {
    Deno.mkdirSync(parent, { recursive: true, mode: 0o700 });
    Deno.mkdirSync(path, { mode: 0o700 });
    return true;
  } catch {
    return false;
  }
}

/**
 * Makes `path` ready to be a mountpoint: created (mode 0700, parents too) if missing. With
 * `detachStale`, a FUSE mount found there (a plugin killed while mounted) is detached first.
 * Throws `non-empty mountpoint already exists: <path>` if something is mounted there or the
 * directory has entries. Returns true if the directory was created now.
 */
export async function prepareMountpoint(
  path: string,
  opts: { detachStale?: boolean } = {},
): Promise<boolean> {
  // Fast path: a directory created just now is empty and nothing is mounted on it.
  if (mkdirLeaf(path)) return true;
  let created = false;
  try {
    const st = await Deno.lstat(path);
    if (!st.isDirectory) throw new Error(`mountpoint is not a directory: ${path}`);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) {
      const m = opts.detachStale ? await mountAt(path) : undefined;
      if (!m?.fstype.startsWith("fuse")) throw err;
    } else {
      try {
        await Deno.mkdir(path, { recursive: true, mode: 0o700 });
        created = true;
      } catch (e) {
        throw new Error(`failed to create mountpoint: ${path}: ${(e as Error).message}`);
      }
    }
  }
  let m = await mountAt(path);
  if (m && opts.detachStale && m.fstype.startsWith("fuse")) {
    log.notice(`Detaching stale ${m.fstype} mount at ${path}`);
    await detachMount(path);
    m = await mountAt(path);
  }
  if (m) throw new Error(`non-empty mountpoint already exists: ${path}`);
  for await (const _ of Deno.readDir(path)) {
    throw new Error(`non-empty mountpoint already exists: ${path}`);
  }
  return created;
}

/**
 * Removes a volume's mountpoint directory if it is empty and not mounted (best effort). The
 * removal is a bare rmdir(2) on Deno's thread pool ({@link rmdir}), under way when this
 * returns, so it runs alongside whatever the caller does next (Remove writes the state file
 * then: on a busy ext4 rmdir(2) waits for the journal as long as the state file's rename
 * does, and the two waits overlap). A mounted directory is never entered (rmdir(2) of a
 * mountpoint fails with EBUSY from the parent's entry; no stat first): a hung FUSE server
 * there can't block us. Only when rmdir fails does the mount table say why: mounted (left
 * alone, silently), already gone (fine) or anything else (logged).
 */
export async function removeMountpoint(path: string): Promise<void> {
  if (await rmdir(path)) return;
  try {
    if (mountAtSync(path)) return;
    await Deno.remove(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) {
      log.notice(`Left mountpoint ${path} in place: ${(err as Error).message}`);
    }
  }
}

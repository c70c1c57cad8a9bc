/**
 * @module
 * The plugin's state file, `<cache-dir>/docker-plugin.state`: rclone's JSON shape (a compact
 * array of volume objects sorted by name, spec §4) with a `version` field on each volume.
 * A corrupt file is moved aside instead of failing the plugin.
 *
 * Saving is atomic at once and durable right after:
 * - {@link StateFile.save} writes a temp file (mode 0600), starts its write-back and swaps it
 *   with the state file before it resolves ({@link FileReplacer}: the first save of a process,
 *   or one without libc, renames instead), with synchronous calls (~0.1 ms for a small local
 *   file; the cache dir is local disk); the old copy is unlinked in the background. So when
 *   Docker gets its answer the file holds the change and is never half-written: a plugin
 *   killed at any moment (kill -9, OOM, crash) restarts with either the old or the new
 *   complete file, never a torn one.
 * - The fsyncs that make it survive a power loss (the file's data, then the directory entry)
 *   run in the background {@link SYNC_DELAY_MS} after the first unsynced save, batched: saves
 *   made in that window share that sync, saves made while a sync runs share the next one,
 *   {@link SYNC_DELAY_MS} after it (at most one sync per delay). The delay keeps a burst or
 *   a steady stream of API calls (Docker Compose creating or removing volumes one after the
 *   other) from meeting a journal commit on every call: a sync started right after each
 *   answer (or after the previous sync) made the next call's file creation, rename and rmdir
 *   wait for it (ext4 orders them behind the commit), ~0.3 ms each. {@link StateFile.durable}
 *   skips the delays and waits for the syncs (the exit sequence calls it).
 *
 * What this gives up compared with fsync-before-answer: a power loss (or kernel crash) within
 * {@link SYNC_DELAY_MS} plus the time of two syncs between an answer and its fsync can bring back
 * the previous state, or —
 * on a file system that does not order a rename after the data it replaces (ext4 does, in its
 * default `data=ordered` mode, for data whose write-back started before the swap, which the save
 * starts just as ext4's `auto_da_alloc` does for a rename over a file) — an empty file, which
 * {@link StateFile.load} moves aside.
 * Docker's own volume metadata is written independently of ours, so the worst case is the
 * one a power loss gives anyway: volumes to recreate by hand. rclone 1.60 rewrites the file
 * in place with no fsync at all (torn by a crash mid-write). Each save costs ~3.5 ms less
 * (two fsyncs and five thread-pool round trips on the answer path).
 */
import { syncDir } from "../util/durable_write.ts";
import { log } from "../util/log.ts";
import { dirName } from "../util/os_path.ts";
import { FileReplacer } from "./replace_file.ts";

const encoder = new TextEncoder();

/** How long after the first unsynced save the background fsyncs start (see the module doc). */
export const SYNC_DELAY_MS = 50;

/** Version written into every volume object. */
export const STATE_VERSION = 1;

/** One volume as the state file records it. */
export interface StateVolume {
  /** Volume name. */
  name: string;
  /** Absolute mountpoint. */
  mountpoint: string;
  /** Creation time (RFC 3339, possibly with nanoseconds). */
  created: string;
  /** The `remote`/`fs` option as given (`""` when created with `type`). */
  fs: string;
  /** The `type` option, omitted when empty. */
  type?: string;
  /** The `path` option, omitted when empty (kept on restore, unlike rclone). */
  path?: string;
  /** Every other option, verbatim. */
  options: Record<string, string>;
  /** Docker mount IDs registered when the state was written, sorted. */
  mounts: string[];
  /** denoclone's state format version (absent in files written by rclone). */
  version?: number;
}

function isStringRecord(v: unknown): v is Record<string, string> {
  return typeof v === "object" && v !== null && !Array.isArray(v) &&
    Object.values(v).every((x) => typeof x === "string");
}

function checkVolume(v: unknown): StateVolume | undefined {
  if (typeof v !== "object" || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o.name !== "string" || o.name === "") return undefined;
  const options = o.options ?? {};
  const mounts = o.mounts ?? [];
  if (!isStringRecord(options)) return undefined;
  if (!Array.isArray(mounts) || !mounts.every((m) => typeof m === "string")) return undefined;
  for (const k of ["mountpoint", "created", "fs", "type", "path"]) {
    if (o[k] !== undefined && typeof o[k] !== "string") return undefined;
  }
  return {
    name: o.name,
    mountpoint: (o.mountpoint as string | undefined) ?? "",
    created: (o.created as string | undefined) ?? "",
    fs: (o.fs as string | undefined) ?? "",
    ...(o.type ? { type: o.type as string } : {}),
    ...(o.path ? { path: o.path as string } : {}),
    options: options,
    mounts: mounts as string[],
    ...(typeof o.version === "number" ? { version: o.version } : {}),
  };
}

/**
 * A volume's entry in the state file up to its mounts, as JSON without the closing brace: the
 * part that changes only when the volume is created or updated, so the driver encodes it once
 * per volume and {@link encodeEntry} completes it on every save.
 */
export function encodeHead(v: Omit<StateVolume, "mounts" | "version">): string {
  return JSON.stringify({
    name: v.name,
    mountpoint: v.mountpoint,
    created: v.created,
    fs: v.fs,
    ...(v.type ? { type: v.type } : {}),
    ...(v.path ? { path: v.path } : {}),
    options: v.options,
  }).slice(0, -1);
}

/** One entry of the state file: `head` ({@link encodeHead}), the sorted mounts, the version. */
export function encodeEntry(head: string, mounts: Iterable<string>): string {
  const m = [...mounts];
  return `${head},"mounts":${
    m.length ? JSON.stringify(m.sort()) : "[]"
  },"version":${STATE_VERSION}}`;
}

/** Orders volumes (or anything named) by name, as the state file lists them. */
export function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Serialises volumes exactly as the file holds them (compact, sorted by name). */
export function encodeState(volumes: readonly StateVolume[]): string {
  return `[${
    [...volumes].sort(byName).map((v) => encodeEntry(encodeHead(v), v.mounts)).join(",")
  }]`;
}

/** Reads and writes the state file. */
export class StateFile {
  /** Path of the state file. */
  readonly path: string;
  #file: FileReplacer;
  #syncing?: Promise<void>;
  #startSync?: () => void;
  #unsynced = false;
  #hurry = false;
  #dirReady = false;
  #syncRounds = 0;

  /** A state file at `path` (nothing is read or written yet). */
  constructor(path: string) {
    this.path = path;
    this.#file = new FileReplacer(path);
  }

  /**
   * Loads the saved volumes (after removing temp copies a crash left beside the file). A missing
   * file gives `[]`. An unreadable or invalid file is
   * renamed to `<path>.corrupt-<time>` and gives `[]`; malformed entries are skipped (and the
   * file is copied aside) while the good ones load.
   */
  async load(): Promise<StateVolume[]> {
    const leftovers = await this.#file.removeLeftovers();
    if (leftovers) {
      log.info(`Removed ${leftovers} temporary copies of ${this.path} left by a crash`);
    }
    let text: string;
    try {
      text = await Deno.readTextFile(this.path);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return [];
      log.error(`Failed to read plugin state ${this.path}: ${(err as Error).message}`);
      await this.#moveAside(false);
      return [];
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      log.error(`Failed to restore plugin state: ${(err as Error).message}`);
      await this.#moveAside(false);
      return [];
    }
    if (!Array.isArray(parsed)) {
      log.error("Failed to restore plugin state: not a JSON array");
      await this.#moveAside(false);
      return [];
    }
    const out: StateVolume[] = [];
    let bad = 0;
    for (const item of parsed) {
      const v = checkVolume(item);
      if (v) out.push(v);
      else bad++;
    }
    if (bad > 0) {
      log.error(`Plugin state has ${bad} malformed volume entries; they are skipped`);
      await this.#moveAside(true);
    }
    return out;
  }

  async #moveAside(copy: boolean): Promise<void> {
    const aside = `${this.path}.corrupt-${new Date().toISOString().replaceAll(":", "")}`;
    try {
      if (copy) await Deno.copyFile(this.path, aside);
      else await Deno.rename(this.path, aside);
      log.notice(`Kept the unreadable plugin state as ${aside}`);
    } catch (err) {
      log.error(`Failed to move the plugin state aside: ${(err as Error).message}`);
    }
  }

  /**
   * Atomically replaces the file with `volumes` (temp file + rename, done when this resolves)
   * and starts the background fsyncs that make it durable (see the module doc). Rejects with
   * `failed to save state: …` if the file could not be replaced; the old file is then intact.
   */
  save(volumes: readonly StateVolume[]): Promise<void> {
    return this.#commit(encodeState(volumes));
  }

  /**
   * {@link StateFile.save} of entries already encoded ({@link encodeEntry}), in name order
   * ({@link byName}): the driver's path, which reuses each volume's {@link encodeHead}.
   */
  saveEntries(entries: readonly string[]): Promise<void> {
    return this.#commit(`[${entries.join(",")}]`);
  }

  #commit(text: string): Promise<void> {
    try {
      this.#replace(text);
    } catch (err) {
      return Promise.reject(err);
    }
    this.#unsynced = true;
    this.#syncing ??= this.#syncLoop();
    return Promise.resolve();
  }

  /** Whether a save is not yet known to be on stable storage (its fsync is due or running). */
  get syncPending(): boolean {
    return this.#syncing !== undefined;
  }

  /** How many background sync rounds (file data, then directory) have started so far. */
  get syncRounds(): number {
    return this.#syncRounds;
  }

  /**
   * Resolves once every save made so far is on stable storage (fsynced), without delay, and
   * the old copies it replaced are unlinked.
   */
  async durable(): Promise<void> {
    while (this.#syncing) {
      this.#hurry = true;
      this.#startSync?.();
      await this.#syncing;
    }
    await this.#file.settled();
  }

  #dir(): string {
    return dirName(this.path);
  }

  #replace(text: string): void {
    try {
      if (!this.#dirReady) {
        Deno.mkdirSync(this.#dir(), { recursive: true, mode: 0o700 });
        this.#dirReady = true;
      }
      this.#file.replace(encoder.encode(text));
    } catch (err) {
      this.#dirReady = false;
      throw new Error(`failed to save state: ${(err as Error).message}`, { cause: err });
    }
  }

  /**
   * Fsyncs the file's data and its directory, each round {@link SYNC_DELAY_MS} after the
   * previous one ended (at once when {@link StateFile.durable} asks), until no save is left
   * unsynced. The pause between rounds keeps a steady stream of saves (a Remove every
   * millisecond) from meeting a journal commit on every call, as the first delay does for a
   * burst: back to back, the fsyncs made each save's rename wait for them.
   */
  async #syncLoop(): Promise<void> {
    try {
      while (this.#unsynced) {
        if (!this.#hurry) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, SYNC_DELAY_MS);
            this.#startSync = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          this.#startSync = undefined;
        }
        this.#unsynced = false;
        this.#syncRounds++;
        try {
          const f = await Deno.open(this.path, { read: true });
          try {
            await f.syncData();
          } finally {
            f.close();
          }
          await syncDir(this.#dir());
        } catch (err) {
          log.error(`Failed to sync plugin state ${this.path}: ${(err as Error).message}`);
        }
      }
    } finally {
      this.#syncing = undefined;
      this.#hurry = false;
    }
  }
}

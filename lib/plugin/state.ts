/**
 * @module
 * The plugin's state file, `<cache-dir>/docker-plugin.state`: rclone's JSON shape (a compact
 * array of volume objects sorted by name, spec §4) with a `version` field on each volume.
 * Writes are atomic (temp file, fsync, rename, directory fsync, mode 0600) and coalesced; a corrupt file is
 * moved aside instead of failing the plugin.
 */
import { syncDir, writeSynced } from "../util/durable_write.ts";
import { log } from "../util/log.ts";

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

/** Serialises volumes exactly as the file holds them (compact, sorted by name). */
export function encodeState(volumes: readonly StateVolume[]): string {
  const sorted = [...volumes].sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  return JSON.stringify(sorted.map((v) => ({
    name: v.name,
    mountpoint: v.mountpoint,
    created: v.created,
    fs: v.fs,
    ...(v.type ? { type: v.type } : {}),
    ...(v.path ? { path: v.path } : {}),
    options: v.options,
    mounts: [...v.mounts].sort(),
    version: STATE_VERSION,
  })));
}

/** Reads and writes the state file. */
export class StateFile {
  /** Path of the state file. */
  readonly path: string;
  #inFlight?: Promise<void>;
  #waiting?: Promise<void>;
  #nextText?: string;
  #dirReady = false;

  /** A state file at `path` (nothing is read or written yet). */
  constructor(path: string) {
    this.path = path;
  }

  /**
   * Loads the saved volumes. A missing file gives `[]`. An unreadable or invalid file is
   * renamed to `<path>.corrupt-<time>` and gives `[]`; malformed entries are skipped (and the
   * file is copied aside) while the good ones load.
   */
  async load(): Promise<StateVolume[]> {
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
   * Atomically and durably replaces the file with `volumes`. Saves are coalesced: one write is
   * in flight and at most one waits; a call made while a write waits replaces that write's
   * content (the newer snapshot includes the older one's changes) and shares its promise. So
   * the returned promise resolves only after a durable write that includes this call's volumes.
   */
  save(volumes: readonly StateVolume[]): Promise<void> {
    this.#nextText = encodeState(volumes);
    if (this.#waiting) return this.#waiting;
    const run = async (): Promise<void> => {
      await this.#inFlight?.catch(() => {});
      this.#waiting = undefined;
      const text = this.#nextText!;
      this.#nextText = undefined;
      await this.#write(text);
    };
    const p = run();
    this.#waiting = p;
    this.#inFlight = p;
    const done = () => {
      if (this.#inFlight === p) this.#inFlight = undefined;
    };
    p.then(done, done);
    return p;
  }

  async #write(text: string): Promise<void> {
    const dir = this.path.slice(0, this.path.lastIndexOf("/")) || "/";
    if (!this.#dirReady) {
      await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
      this.#dirReady = true;
    }
    const tmp = `${this.path}.tmp-${Deno.pid}`;
    try {
      await writeSynced(tmp, new TextEncoder().encode(text), {
        create: true,
        truncate: true,
        mode: 0o600,
      });
      await Deno.rename(tmp, this.path);
    } catch (err) {
      this.#dirReady = false;
      await Deno.remove(tmp).catch(() => {});
      throw new Error(`failed to save state: ${(err as Error).message}`, { cause: err });
    }
    await syncDir(dir);
  }
}

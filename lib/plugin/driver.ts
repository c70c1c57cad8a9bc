/**
 * @module
 * The volume driver: Docker's volume operations on a map of volumes, each with its own lock
 * (a slow or dead remote only delays its own volume), reference counting by Docker's mount
 * ID, a flush of every pending write before the last Unmount answers, a warm VFS for a grace
 * period after it (each `docker run` costs two Mount/Unmount cycles), the state file, the
 * background restore with retries, and the exit sequence.
 */
import { addSecret, log } from "../util/log.ts";
import { RcloneConf } from "../config/rclone_conf.ts";
import { isEncryptedConfig } from "../config/config_marker.ts";
import { envRemoteType } from "../config/remote_env.ts";
import type { OptionValue } from "../config/option_schema.ts";
import { Msg, type VolumeInfo } from "./api.ts";
import type { Mounter, VolumeRuntime } from "./mounter.ts";
import { Mutex } from "./mutex.ts";
import { byName, encodeEntry, encodeHead, StateFile } from "./state.ts";
import {
  connectionString,
  type OptionContext,
  parseVolumeOptions,
  secretParams,
  type VolumeSpec,
} from "./volume_options.ts";
import { prepareMountpoint, removeMountpoint } from "./mountpoint.ts";

/** An error the driver reports to Docker as `{"Err": message}`. */
export class VolumeError extends Error {
  /** Creates a volume error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "VolumeError";
  }
}

/** How a volume is doing. */
export type VolumeState = "ok" | "restoring" | "unhealthy";

/** Settings of a {@link Driver}. */
export interface DriverOptions {
  /** Parent of the mountpoints. */
  baseDir: string;
  /** The state file. */
  state: StateFile;
  /** Builds volume runtimes. */
  mounter: Mounter;
  /** rclone.conf path (named remotes' types, `persist`). */
  configPath: string;
  /** Mount option values new volumes start from. */
  mountDefaults: Record<string, OptionValue>;
  /** VFS option values new volumes start from. */
  vfsDefaults: Record<string, OptionValue>;
  /** Environment for `RCLONE_CONFIG_<NAME>_TYPE` and `RCLONE_CONFIG_PASS` (default: process env). */
  env?: Record<string, string | undefined>;
  /** How long the VFS stays warm after the last Unmount (default 15 s). */
  idleGraceMs?: number;
  /** Deadline of a FUSE unmount before it turns lazy (default 10 s). */
  unmountDeadlineMs?: number;
  /**
   * How long the last Unmount waits for pending writes to reach the remote before it answers
   * with an error (the writes stay queued and keep retrying; default 60 s).
   */
  flushDeadlineMs?: number;
  /** First retry delay of a volume whose restore failed; doubles up to 60 s (default 5 s). */
  restoreRetryMs?: number;
  /** Minimum time between two reachability probes of a volume (default 30 s). */
  probeIntervalMs?: number;
}

/** The detailed view of a volume (admin `inspect`). */
export interface VolumeDetails {
  /** Volume name. */
  name: string;
  /** Mountpoint. */
  mountpoint: string;
  /** Creation time as stored. */
  created: string;
  /** `remote`/`fs` as given (secrets masked). */
  fs: string;
  /** `type` as given. */
  type: string;
  /** `path` as given. */
  path: string;
  /** The remote the volume serves, secrets masked (e.g. `:local:/data`, `pers:dir`). */
  remote: string;
  /** Other options, secret values masked. */
  options: Record<string, string>;
  /** Registered mount IDs. */
  mounts: string[];
  /** Health and write-back status (as in `Get`). */
  status: Record<string, unknown>;
}

interface Volume {
  name: string;
  mountpoint: string;
  created: string;
  fs: string;
  type: string;
  path: string;
  options: Record<string, string>;
  mounts: Set<string>;
  spec?: VolumeSpec;
  runtime?: VolumeRuntime;
  persistName?: string;
  fuseMounted: boolean;
  state: VolumeState;
  lastError?: string;
  graceTimer?: ReturnType<typeof setTimeout>;
  retryTimer?: ReturnType<typeof setTimeout>;
  retryDelay: number;
  reachable?: boolean;
  lastProbe: number;
  probing: boolean;
  /** `created` formatted for Docker's CreatedAt, computed on first use. */
  createdAt?: string;
  /** The state file's entry for this volume up to its mounts ({@link encodeHead}), cached. */
  stateHead?: string;
}

/** Checks a Docker volume name; rclone accepts `a/b` and `../x` (escaping the base dir). */
export function validateName(name: string): void {
  if (typeof name !== "string" || name === "") throw new VolumeError(Msg.nameRequired);
  if (name.includes("/") || name.includes("\0") || name === "." || name === "..") {
    throw new VolumeError(
      `invalid volume name ${
        JSON.stringify(name)
      }: it must not contain "/" or NUL, nor be "." or ".."`,
    );
  }
}

/** Formats a time as RFC 3339 with second precision in the local zone (Docker's CreatedAt). */
export function formatCreatedAt(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  const off = -d.getTimezoneOffset();
  const zone = off === 0
    ? "Z"
    : `${off > 0 ? "+" : "-"}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${
    pad(d.getMinutes())
  }:${pad(d.getSeconds())}${zone}`;
}

function parseCreated(s: string): Date {
  const trimmed = s.replace(/(\.\d{3})\d+/, "$1");
  const d = new Date(trimmed);
  return isNaN(d.getTime()) ? new Date(0) : d;
}

function sameRecord(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}

function splitOpts(opts: Record<string, string>) {
  let fs = "", type = "", path = "";
  const options: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts)) {
    if (k === "") continue;
    if (k === "remote" || k === "fs") {
      if (v !== "") fs = v;
    } else if (k === "type") type = v;
    else if (k === "path") path = v;
    else options[k] = v;
  }
  return { fs, type, path, options };
}

function joinOpts(v: { fs: string; type: string; path: string; options: Record<string, string> }) {
  const out: Record<string, string> = { ...v.options };
  if (v.fs) out.remote = v.fs;
  if (v.type) out.type = v.type;
  if (v.path) out.path = v.path;
  return out;
}

/** How long queued reachability probes wait, so that a run of Gets starts them together. */
export const PROBE_BATCH_MS = 100;

async function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms}ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Docker's volume driver. */
export class Driver {
  #opts: Required<Omit<DriverOptions, "env">> & { env: Record<string, string | undefined> };
  #volumes = new Map<string, Volume>();
  #locks = new Map<string, Mutex>();
  #releasing = new Map<string, Promise<void>>();
  #probes = new Map<Volume, VolumeRuntime>();
  #probeTimer?: ReturnType<typeof setTimeout>;
  #closing = false;

  /** Creates a driver; call {@link Driver.restore} to load the state file. */
  constructor(opts: DriverOptions) {
    this.#opts = {
      idleGraceMs: 15_000,
      unmountDeadlineMs: 10_000,
      flushDeadlineMs: 60_000,
      restoreRetryMs: 5_000,
      probeIntervalMs: 30_000,
      ...opts,
      env: opts.env ?? Deno.env.toObject(),
    };
  }

  #lock(name: string): Mutex {
    let m = this.#locks.get(name);
    if (!m) this.#locks.set(name, m = new Mutex());
    return m;
  }

  #get(name: string): Volume {
    const v = this.#volumes.get(name);
    if (!v) throw new VolumeError(Msg.notFound);
    return v;
  }

  #mountpointOf(name: string): string {
    return `${this.#opts.baseDir.replace(/\/+$/, "")}/${name}`;
  }

  /**
   * Loads rclone.conf. A plain file is read synchronously (a small local file: no thread-pool
   * round trip per Create); an encrypted one, which may need the password command, and any
   * read error go through {@link RcloneConf.load}.
   */
  async #loadConf(): Promise<RcloneConf> {
    const path = this.#opts.configPath;
    const opts = { env: this.#opts.env };
    let text: string | undefined;
    try {
      text = Deno.readTextFileSync(path);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) return await RcloneConf.load(path, opts);
    }
    if (text !== undefined && isEncryptedConfig(text)) return await RcloneConf.load(path, opts);
    return RcloneConf.fromText(text ?? "", path, opts, text !== undefined);
  }

  #optionContext(conf: RcloneConf): OptionContext {
    const env = this.#opts.env;
    return {
      remoteType: (name) => envRemoteType(env, name) || conf.get(name, "type") || undefined,
      mountDefaults: this.#opts.mountDefaults,
      vfsDefaults: this.#opts.vfsDefaults,
    };
  }

  /**
   * Parses the options, prepares the mountpoint, persists the remote if asked and builds the
   * backend. On failure nothing is left behind.
   */
  async #setup(vol: Volume, restoring: boolean): Promise<void> {
    const conf = await this.#loadConf();
    const spec = parseVolumeOptions(joinOpts(vol), this.#optionContext(conf));
    for (const k of secretParams(spec)) if (spec.params[k]) addSecret(spec.params[k]!);
    const createdDir = await prepareMountpoint(vol.mountpoint, { detachStale: restoring });
    let persisted = false;
    try {
      let persistName: string | undefined;
      if (spec.persist) {
        persisted = this.#persist(conf, vol.name, spec);
        if (persisted) await conf.save();
        persistName = vol.name;
      }
      const remote = connectionString(spec, persistName ? { persistName } : {});
      const displayRemote = connectionString(
        spec,
        persistName ? { persistName } : { redacted: true },
      );
      log.info(`Volume ${JSON.stringify(vol.name)}: building backend ${displayRemote}`);
      vol.runtime = await this.#opts.mounter.open({
        name: vol.name,
        remote,
        displayRemote,
        mountOptions: spec.mountOptions,
        vfsOptions: spec.vfsOptions,
        conf,
      });
      vol.spec = spec;
      if (persistName !== undefined) vol.persistName = persistName;
      vol.state = "ok";
      delete vol.lastError;
    } catch (err) {
      if (persisted) {
        conf.deleteSection(vol.name);
        await conf.save().catch(() => {});
      }
      if (createdDir && !restoring) await removeMountpoint(vol.mountpoint);
      throw err;
    }
  }

  /** Writes the volume's on-the-fly remote into rclone.conf; false if it is already there. */
  #persist(conf: RcloneConf, name: string, spec: VolumeSpec): boolean {
    const want: Record<string, string> = { type: spec.backendType, ...spec.params };
    const have = conf.getSection(name);
    if (have) {
      if (sameRecord(have, want)) return false;
      throw new VolumeError(
        `cannot persist volume ${
          JSON.stringify(name)
        }: rclone.conf already has a different remote with that name`,
      );
    }
    for (const [k, v] of Object.entries(want)) conf.set(name, k, v);
    return true;
  }

  /**
   * Saves every volume: each entry is its cached {@link encodeHead} (encoded once per volume
   * object) plus its current mounts, so a save re-encodes only what can change.
   */
  async #save(): Promise<void> {
    const vols = [...this.#volumes.values()].sort(byName);
    await this.#opts.state.saveEntries(
      vols.map((v) => encodeEntry(v.stateHead ??= encodeHead(v), v.mounts)),
    );
  }

  /** `VolumeDriver.Create`. */
  create(name: string, opts: Record<string, string>): Promise<void> {
    validateName(name);
    return this.#lock(name).run(async () => {
      const given = splitOpts(opts ?? {});
      const existing = this.#volumes.get(name);
      if (existing) {
        if (sameRecord(joinOpts(existing), joinOpts(given))) return;
        throw new VolumeError(
          `volume ${
            JSON.stringify(name)
          } already exists with different options; remove it first (docker volume rm ${name})`,
        );
      }
      const vol: Volume = {
        name,
        mountpoint: this.#mountpointOf(name),
        created: new Date().toISOString(),
        ...given,
        mounts: new Set(),
        fuseMounted: false,
        state: "restoring",
        retryDelay: this.#opts.restoreRetryMs,
        lastProbe: 0,
        probing: false,
      };
      await this.#releasing.get(name);
      await this.#setup(vol, false);
      this.#volumes.set(name, vol);
      log.info(`Volume ${JSON.stringify(name)} created`);
      try {
        await this.#save();
      } catch (err) {
        this.#volumes.delete(name);
        await vol.runtime?.close().catch(() => {});
        throw err;
      }
    });
  }

  /**
   * `VolumeDriver.Remove`: refused while mounted; leaves no mountpoint directory behind and
   * answers once the state file lacks the volume (atomically replaced; fsynced right after,
   * see `state.ts`). Its warm VFS and backend are
   * released in the background.
   */
  remove(name: string): Promise<void> {
    return this.#lock(name).run(async () => {
      const vol = this.#get(name);
      if (vol.mounts.size > 0) throw new VolumeError(Msg.inUse);
      this.#stopTimers(vol);
      if (vol.fuseMounted && vol.runtime) {
        await vol.runtime.unmount(this.#opts.unmountDeadlineMs);
        vol.fuseMounted = false;
      }
      this.#volumes.delete(name);
      if (vol.runtime) this.#closeInBackground(name, vol.runtime);
      await this.#dropPersisted(vol);
      // The mountpoint directory and the state file are independent: drop both at once.
      await Promise.all([removeMountpoint(vol.mountpoint), this.#save()]);
      log.info(`Volume ${JSON.stringify(name)} removed`);
    });
  }

  /**
   * Releases a removed volume's warm VFS and backend after Remove has answered: it has no
   * mounts and no pending writes (the last Unmount flushed them). A re-Create of the same name
   * and {@link Driver.shutdown} wait for it.
   */
  #closeInBackground(name: string, runtime: VolumeRuntime): void {
    const prev = this.#releasing.get(name);
    const p: Promise<void> = (async () => {
      await prev;
      await runtime.close().catch((err) =>
        log.error(`Volume ${JSON.stringify(name)}: close after remove: ${(err as Error).message}`)
      );
    })();
    this.#releasing.set(name, p);
    void p.then(() => {
      if (this.#releasing.get(name) === p) this.#releasing.delete(name);
    });
  }

  /** Removes the rclone.conf section a `persist=true` volume wrote, if it is still ours. */
  async #dropPersisted(vol: Volume): Promise<void> {
    if (vol.persistName === undefined || !vol.spec) return;
    try {
      const conf = await this.#loadConf();
      const want = { type: vol.spec.backendType, ...vol.spec.params };
      const have = conf.getSection(vol.persistName);
      if (have && sameRecord(have, want)) {
        conf.deleteSection(vol.persistName);
        await conf.save();
      }
    } catch (err) {
      log.error(
        `Volume ${JSON.stringify(vol.name)}: failed to drop its persisted remote: ${
          (err as Error).message
        }`,
      );
    }
  }

  #stopTimers(vol: Volume): void {
    clearTimeout(vol.graceTimer);
    clearTimeout(vol.retryTimer);
    delete vol.graceTimer;
    delete vol.retryTimer;
  }

  async #ensureReady(vol: Volume): Promise<VolumeRuntime> {
    if (vol.runtime && vol.state === "ok") return vol.runtime;
    try {
      clearTimeout(vol.retryTimer);
      await this.#setup(vol, true);
    } catch (err) {
      vol.state = "unhealthy";
      vol.lastError = (err as Error).message;
      this.#scheduleRetry(vol);
      throw new VolumeError(`volume filesystem is not ready: ${vol.lastError}`, { cause: err });
    }
    return vol.runtime!;
  }

  async #fuseMount(vol: Volume, runtime: VolumeRuntime): Promise<void> {
    clearTimeout(vol.graceTimer);
    delete vol.graceTimer;
    try {
      await runtime.mount(vol.mountpoint, () => this.#lost(vol, runtime));
    } catch (err) {
      throw new VolumeError(`failed to mount FUSE fs: ${(err as Error).message}`, { cause: err });
    }
    vol.fuseMounted = true;
  }

  #lost(vol: Volume, runtime: VolumeRuntime): void {
    if (this.#closing || vol.runtime !== runtime || !vol.fuseMounted) return;
    void this.#lock(vol.name).run(async () => {
      if (vol.runtime !== runtime || !vol.fuseMounted) return;
      log.error(`Volume ${JSON.stringify(vol.name)} unmounted externally`);
      vol.fuseMounted = false;
      vol.mounts.clear();
      vol.lastError = "unmounted externally";
      await this.#save().catch((e) => log.error((e as Error).message));
    });
  }

  /** `VolumeDriver.Mount`: the first ID mounts, later IDs only register. */
  mount(name: string, id: string): Promise<string> {
    return this.#lock(name).run(async () => {
      const vol = this.#get(name);
      if (vol.mounts.has(id)) throw new VolumeError(Msg.alreadyMountedById);
      const runtime = await this.#ensureReady(vol);
      if (!vol.fuseMounted) await this.#fuseMount(vol, runtime);
      vol.mounts.add(id);
      await this.#save();
      return vol.mountpoint;
    });
  }

  /**
   * `VolumeDriver.Unmount`: the last ID flushes every pending write to the remote, then
   * unmounts (lazily after the deadline); the VFS stays warm for the grace period.
   */
  unmount(name: string, id: string): Promise<void> {
    return this.#lock(name).run(async () => {
      const vol = this.#get(name);
      if (vol.mounts.size === 0) throw new VolumeError(Msg.notMounted);
      if (!vol.mounts.has(id)) throw new VolumeError(Msg.notMountedById);
      vol.mounts.delete(id);
      let flushError: Error | undefined;
      if (vol.mounts.size === 0 && vol.runtime) {
        try {
          await withDeadline(vol.runtime.flush(), this.#opts.flushDeadlineMs, "upload");
        } catch (err) {
          flushError = err as Error;
          vol.lastError = `flush: ${flushError.message}`;
        }
        if (vol.fuseMounted) {
          try {
            await vol.runtime.unmount(this.#opts.unmountDeadlineMs);
          } catch (err) {
            vol.lastError = `unmount: ${(err as Error).message}`;
            log.error(`Volume ${JSON.stringify(name)}: ${vol.lastError}`);
          }
          vol.fuseMounted = false;
        }
        this.#startGrace(vol);
      }
      await this.#save();
      if (flushError) {
        throw new VolumeError(`failed to upload pending writes: ${flushError.message}`, {
          cause: flushError,
        });
      }
    });
  }

  #startGrace(vol: Volume): void {
    clearTimeout(vol.graceTimer);
    const runtime = vol.runtime;
    vol.graceTimer = setTimeout(() => {
      delete vol.graceTimer;
      void this.#lock(vol.name).run(async () => {
        if (vol.fuseMounted || vol.runtime !== runtime || !runtime) return;
        const st = runtime.status();
        if (st.dirtyFiles > 0 || st.uploadsInFlight > 0) {
          // Writes still waiting for the remote: keep the VFS until they are done.
          this.#startGrace(vol);
          return;
        }
        await runtime.idle().catch((e) =>
          log.error(`Volume ${JSON.stringify(vol.name)}: ${(e as Error).message}`)
        );
      });
    }, this.#opts.idleGraceMs);
  }

  /** `VolumeDriver.Path`. */
  path(name: string): string {
    return this.#get(name).mountpoint;
  }

  #info(vol: Volume, detailed: boolean): VolumeInfo {
    const status: Record<string, unknown> = { Mounts: [...vol.mounts].sort() };
    if (detailed) {
      const rs = vol.runtime?.status();
      status.State = vol.state;
      status.Mounted = vol.fuseMounted;
      status.Reachable = vol.reachable ?? "unknown";
      if (vol.lastError ?? rs?.lastError) status.LastError = vol.lastError ?? rs?.lastError;
      status.DirtyFiles = rs?.dirtyFiles ?? 0;
      status.DirtyBytes = rs?.dirtyBytes ?? 0;
      status.UploadsInFlight = rs?.uploadsInFlight ?? 0;
      status.CacheBytes = rs?.cacheBytes ?? 0;
      this.#maybeProbe(vol);
    }
    return {
      Name: vol.name,
      Mountpoint: vol.mountpoint,
      CreatedAt: vol.createdAt ??= formatCreatedAt(parseCreated(vol.created)),
      Status: status,
    };
  }

  /**
   * Queues a reachability probe if the last one is older than the probe interval. Queued
   * probes start together {@link PROBE_BATCH_MS} after the first of them, on one timer: the
   * answer that asked goes out first, and a run of Gets (`docker volume ls` then inspect, a
   * Compose project starting) pays for its probes once instead of every next call meeting
   * the previous Get's timer and `stat` on the event loop.
   */
  #maybeProbe(vol: Volume): void {
    const runtime = vol.runtime;
    if (!runtime || vol.probing) return;
    if (Date.now() - vol.lastProbe < this.#opts.probeIntervalMs) return;
    vol.probing = true;
    vol.lastProbe = Date.now();
    this.#probes.set(vol, runtime);
    this.#probeTimer ??= setTimeout(() => this.#runProbes(), PROBE_BATCH_MS);
  }

  /** Starts every queued probe; each records its volume's reachability when it settles. */
  #runProbes(): void {
    this.#probeTimer = undefined;
    const queued = [...this.#probes];
    this.#probes.clear();
    for (const [vol, runtime] of queued) {
      if (this.#volumes.get(vol.name) !== vol || vol.runtime !== runtime) {
        vol.probing = false; // Removed or rebuilt meanwhile: its next Get probes again.
        continue;
      }
      withDeadline(runtime.probe(), 10_000, "probe").then(
        () => vol.reachable = true,
        (err) => {
          vol.reachable = false;
          vol.lastError = `remote unreachable: ${(err as Error).message}`;
        },
      ).finally(() => vol.probing = false);
    }
  }

  /** `VolumeDriver.Get`: Status has the mount IDs plus health and write-back figures. */
  get(name: string): VolumeInfo {
    return this.#info(this.#get(name), true);
  }

  /** `VolumeDriver.List`, sorted by name. */
  list(): VolumeInfo[] {
    return [...this.#volumes.keys()].sort().map((n) => this.#info(this.#volumes.get(n)!, false));
  }

  /** Names of the volumes, sorted. */
  names(): string[] {
    return [...this.#volumes.keys()].sort();
  }

  /** The admin view of a volume: options (secrets masked) and status. */
  inspect(name: string): VolumeDetails {
    const vol = this.#get(name);
    const secrets = new Set(vol.spec ? secretParams(vol.spec) : []);
    const prefix = vol.spec ? `${vol.spec.backendType}_` : "\0";
    const options: Record<string, string> = {};
    for (const [k, v] of Object.entries(vol.options)) {
      const norm = k.toLowerCase().replace(/^--/, "").replaceAll("-", "_");
      options[k] = norm.startsWith(prefix) && secrets.has(norm.slice(prefix.length)) ? "***" : v;
    }
    let fs = vol.fs;
    if (fs && vol.spec && vol.spec.remoteName === undefined && secrets.size > 0) {
      fs = connectionString({ ...vol.spec, remotePath: vol.spec.remotePath }, { redacted: true });
    }
    return {
      name: vol.name,
      mountpoint: vol.mountpoint,
      created: vol.created,
      fs,
      type: vol.type,
      path: vol.path,
      remote: vol.spec
        ? connectionString(
          vol.spec,
          vol.persistName !== undefined ? { persistName: vol.persistName } : { redacted: true },
        )
        : fs || `:${vol.type}:${vol.path}`,
      options,
      mounts: [...vol.mounts].sort(),
      status: this.#info(vol, true).Status,
    };
  }

  /**
   * Admin update: merges `opts` into an unmounted volume's options (an empty value deletes a
   * key; `remote`/`type`/`path` may change too), rebuilds its backend and saves the state. The
   * old settings stay if the new ones fail.
   */
  update(name: string, opts: Record<string, string>): Promise<void> {
    return this.#lock(name).run(async () => {
      const vol = this.#get(name);
      if (vol.mounts.size > 0 || vol.fuseMounted) {
        throw new VolumeError(
          `volume ${JSON.stringify(name)} is mounted; stop the containers using it first`,
        );
      }
      const merged = joinOpts(vol);
      for (const [k, v] of Object.entries(opts)) {
        if (v === "") delete merged[k];
        else merged[k] = v;
      }
      const next: Volume = {
        ...vol,
        ...splitOpts(merged),
        mounts: new Set(),
        state: "restoring",
        retryDelay: this.#opts.restoreRetryMs,
      };
      delete next.runtime;
      delete next.spec;
      delete next.stateHead;
      delete next.persistName;
      delete next.lastError;
      this.#stopTimers(vol);
      if (vol.runtime) await vol.runtime.close().catch(() => {});
      delete vol.runtime;
      await this.#dropPersisted(vol);
      try {
        await this.#setup(next, true);
      } catch (err) {
        vol.state = "unhealthy";
        vol.lastError = (err as Error).message;
        await this.#setup(vol, true).catch(() => this.#scheduleRetry(vol));
        throw err;
      }
      this.#volumes.set(name, next);
      log.info(`Volume ${JSON.stringify(name)} updated`);
      await this.#save();
    });
  }

  /**
   * Loads the state file and rebuilds every volume: {@link Driver.loadState} then
   * {@link Driver.rebuild}.
   */
  async restore(): Promise<void> {
    await this.loadState();
    await this.rebuild();
  }

  /**
   * Loads the saved volumes into the map (they appear in `List` at once, state `restoring`)
   * without building anything. Returns how many were loaded.
   */
  async loadState(): Promise<number> {
    const saved = await this.#opts.state.load();
    let n = 0;
    for (const s of saved) {
      try {
        validateName(s.name);
      } catch (err) {
        log.error(`Failed to restore volume ${JSON.stringify(s.name)}: ${(err as Error).message}`);
        continue;
      }
      if (this.#volumes.has(s.name)) continue;
      this.#volumes.set(s.name, {
        name: s.name,
        mountpoint: s.mountpoint || this.#mountpointOf(s.name),
        created: s.created || new Date().toISOString(),
        fs: s.fs,
        type: s.type ?? "",
        path: s.path ?? "",
        options: { ...s.options },
        mounts: new Set(s.mounts),
        fuseMounted: false,
        state: "restoring",
        retryDelay: this.#opts.restoreRetryMs,
        lastProbe: 0,
        probing: false,
      });
      n++;
    }
    return n;
  }

  /**
   * Rebuilds every volume still `restoring`, all at once: the returned promise resolves once
   * each is either ready (its saved mount IDs mounted again) or marked unhealthy with a retry
   * scheduled. A volume that fails is never dropped.
   */
  async rebuild(): Promise<void> {
    const jobs = [...this.#volumes.values()].filter((v) => v.state === "restoring").map((v) =>
      this.#lock(v.name).run(() => this.#restoreOne(v))
    );
    await Promise.all(jobs);
  }

  async #restoreOne(vol: Volume): Promise<void> {
    if (this.#closing || this.#volumes.get(vol.name) !== vol) return;
    if (vol.state === "ok" && vol.runtime) return;
    try {
      await this.#setup(vol, true);
      if (this.#closing) return;
      if (vol.mounts.size > 0) await this.#fuseMount(vol, vol.runtime!);
      log.info(`Volume ${JSON.stringify(vol.name)} restored`);
    } catch (err) {
      vol.state = "unhealthy";
      vol.lastError = (err as Error).message;
      log.error(`Failed to restore volume ${JSON.stringify(vol.name)}: ${vol.lastError}`);
      this.#scheduleRetry(vol);
    }
  }

  #scheduleRetry(vol: Volume): void {
    if (this.#closing) return;
    clearTimeout(vol.retryTimer);
    const delay = vol.retryDelay;
    vol.retryDelay = Math.min(delay * 2, 60_000);
    vol.retryTimer = setTimeout(() => {
      delete vol.retryTimer;
      void this.#lock(vol.name).run(() => this.#restoreOne(vol));
    }, delay);
  }

  /** Flushes every volume's directory cache (SIGHUP). */
  forgetDirCaches(): void {
    for (const v of this.#volumes.values()) v.runtime?.forgetDirCache();
  }

  /**
   * Exit: for every volume at once, flush pending writes, unmount (lazily after the deadline)
   * and release it; then clear all mount IDs, save the state and wait until it is fsynced. Never waits longer than
   * `deadlineMs` for a volume whose lock is held by a stuck operation.
   */
  async shutdown(deadlineMs = 30_000): Promise<void> {
    this.#closing = true;
    clearTimeout(this.#probeTimer);
    this.#probeTimer = undefined;
    for (const vol of this.#probes.keys()) vol.probing = false;
    this.#probes.clear();
    await Promise.all([...this.#volumes.values()].map(async (vol) => {
      this.#stopTimers(vol);
      const work = async () => {
        const rt = vol.runtime;
        if (!rt) return;
        try {
          await rt.flush();
        } catch (err) {
          log.error(`Volume ${JSON.stringify(vol.name)}: flush at exit: ${(err as Error).message}`);
        }
        if (vol.fuseMounted) {
          await rt.unmount(this.#opts.unmountDeadlineMs).catch((err) =>
            log.error(
              `Volume ${JSON.stringify(vol.name)}: unmount at exit: ${(err as Error).message}`,
            )
          );
          vol.fuseMounted = false;
        }
        await rt.close().catch((err) =>
          log.error(`Volume ${JSON.stringify(vol.name)}: close at exit: ${(err as Error).message}`)
        );
      };
      const locked = this.#lock(vol.name).run(work);
      try {
        await withDeadline(locked, deadlineMs, `shutdown of volume ${JSON.stringify(vol.name)}`);
      } catch (err) {
        log.error((err as Error).message);
        if (vol.fuseMounted && vol.runtime) {
          await vol.runtime.unmount(0).catch(() => {});
        }
      }
      vol.mounts.clear();
    }));
    await withDeadline(
      Promise.all([...this.#releasing.values()]),
      deadlineMs,
      "release of removed volumes",
    ).catch((err) => log.error((err as Error).message));
    await this.#save();
    await this.#opts.state.durable();
  }
}

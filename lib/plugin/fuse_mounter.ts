/**
 * @module
 * The real {@link Mounter}: a volume's backend is built with `newBackend` at Create (so a bad
 * host or password fails there), a {@link Vfs} is made on first mount and kept warm until the
 * driver says the volume is idle, and `mountVfs` puts it on the mountpoint. Flushing is
 * `vfs.sync()`: every pending write is on the remote when it resolves. The mounter tunes malloc
 * for many FUSE sessions, and memory freed by a mount, unmount or idle VFS is handed back to the
 * kernel once the daemon is quiet (`daemon_memory.ts`).
 */
import { newBackend } from "../backends/new_backend.ts";
import type { Backend } from "../backends/backend.ts";
import { RcloneConf } from "../config/rclone_conf.ts";
import { NotFoundError } from "../errors.ts";
import { type FuseMount, mountVfs } from "../fuse/mount_vfs.ts";
import { log } from "../util/log.ts";
import { Vfs } from "../vfs/vfs.ts";
import { IdleRelease, tuneMallocForMounts } from "./daemon_memory.ts";
import type { Mounter, RuntimeStatus, VolumeRuntime, VolumeSetup } from "./mounter.ts";

/** Settings of a {@link FuseMounter}. */
export interface FuseMounterOptions {
  /** rclone.conf path. */
  configPath: string;
  /** Cache directory (the VFS keeps its disk cache under it). */
  cacheDir: string;
  /** Backend flags of `serve docker` (`sftp_key_file` → value). */
  backendFlags?: Record<string, string>;
  /** Environment for `RCLONE_*` lookups (default: the process environment). */
  env?: Record<string, string | undefined>;
}

/** One quiet-period release for every volume of the process. */
const idleRelease = new IdleRelease();

class FuseRuntime implements VolumeRuntime {
  #setup: VolumeSetup;
  #backend: Backend;
  #cacheDir: string;
  #vfs: Vfs | undefined;
  #fuse: FuseMount | undefined;

  constructor(setup: VolumeSetup, backend: Backend, cacheDir: string) {
    this.#setup = setup;
    this.#backend = backend;
    this.#cacheDir = cacheDir;
  }

  async mount(mountpoint: string, onLost: () => void): Promise<void> {
    if (this.#fuse) return;
    if (!this.#vfs) {
      const vfs = new Vfs(this.#backend, this.#setup.vfsOptions, { cacheDir: this.#cacheDir });
      // Fails at once for an unusable cache dir instead of EIO on the first file operation.
      await vfs.ready();
      this.#vfs = vfs;
    }
    const opts = { ...this.#setup.mountOptions };
    if (!opts.devname) opts.devname = this.#setup.displayRemote;
    const fuse = await mountVfs(this.#vfs, mountpoint, opts);
    this.#fuse = fuse;
    idleRelease.poke();
    fuse.closed.then(() => {
      if (this.#fuse !== fuse) return;
      this.#fuse = undefined;
      onLost();
    }, () => {});
  }

  async flush(): Promise<void> {
    await this.#vfs?.sync();
  }

  async unmount(deadlineMs: number): Promise<void> {
    const fuse = this.#fuse;
    if (!fuse) return;
    this.#fuse = undefined;
    await fuse.unmount({ deadlineMs });
    idleRelease.poke();
  }

  async idle(): Promise<void> {
    const vfs = this.#vfs;
    if (!vfs || this.#fuse) return;
    this.#vfs = undefined;
    await vfs.shutdown();
    idleRelease.poke();
  }

  async close(): Promise<void> {
    await this.unmount(5_000).catch((err) =>
      log.error(`Volume ${JSON.stringify(this.#setup.name)}: ${(err as Error).message}`)
    );
    const vfs = this.#vfs;
    this.#vfs = undefined;
    try {
      await vfs?.shutdown();
    } finally {
      await this.#backend.close?.();
    }
  }

  async probe(): Promise<void> {
    try {
      await this.#backend.stat("");
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  }

  status(): RuntimeStatus {
    const s = this.#vfs?.status();
    return {
      dirtyFiles: s?.dirtyFiles ?? 0,
      dirtyBytes: s?.dirtyBytes ?? 0,
      uploadsInFlight: s?.uploadsInFlight ?? 0,
      cacheBytes: s?.cacheBytes ?? 0,
      ...(s?.lastError ? { lastError: s.lastError } : {}),
    };
  }

  forgetDirCache(): void {
    this.#vfs?.forgetDirCache();
  }
}

/** Builds volume runtimes from backends, the VFS and FUSE. */
export class FuseMounter implements Mounter {
  #opts: FuseMounterOptions;

  /** A mounter reading rclone.conf from `opts.configPath`. */
  constructor(opts: FuseMounterOptions) {
    this.#opts = opts;
    tuneMallocForMounts();
  }

  /**
   * Builds the volume's backend now (connecting where the backend does), from `setup.conf`
   * or else rclone.conf read now.
   */
  async open(setup: VolumeSetup): Promise<VolumeRuntime> {
    const env = this.#opts.env ?? Deno.env.toObject();
    const conf = setup.conf ?? await RcloneConf.load(this.#opts.configPath, { env });
    const backend = await newBackend(setup.remote, {
      conf,
      env,
      flags: this.#opts.backendFlags ?? {},
    });
    const { conf: _conf, ...kept } = setup;
    return new FuseRuntime(kept, backend, this.#opts.cacheDir);
  }
}

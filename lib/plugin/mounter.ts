/**
 * @module
 * The seam between the volume driver and the machinery that serves a volume: a
 * {@link Mounter} builds a volume's backend at Create (so a wrong host or password fails
 * there), and the {@link VolumeRuntime} it returns mounts, flushes and unmounts it. The real
 * implementation composes backend + VFS + FUSE (`fuse_mounter.ts`); handler tests use a
 * recording double.
 */
import type { OptionValue } from "../config/option_schema.ts";
import type { RcloneConf } from "../config/rclone_conf.ts";

/** Everything needed to serve one volume. */
export interface VolumeSetup {
  /** Volume name. */
  name: string;
  /** rclone remote string to build the backend from (may contain secrets). */
  remote: string;
  /** The same remote string with secret parameter values masked, for logs and errors. */
  displayRemote: string;
  /** Typed mount option values. */
  mountOptions: Record<string, OptionValue>;
  /** Typed VFS option values. */
  vfsOptions: Record<string, OptionValue>;
  /**
   * The rclone.conf the driver has just loaded (and updated for `persist`), so the mounter
   * need not read and decrypt the file again; absent, the mounter loads it itself.
   */
  conf?: RcloneConf;
}

/** Write-back and cache figures of a volume. */
export interface RuntimeStatus {
  /** Files written but not yet on the remote. */
  dirtyFiles: number;
  /** Bytes of those files. */
  dirtyBytes: number;
  /** Uploads running now. */
  uploadsInFlight: number;
  /** Bytes used by the VFS disk cache. */
  cacheBytes: number;
  /** Last error the VFS saw (uploads etc.), if any. */
  lastError?: string;
}

/** A volume's live backend (and, while mounted or warm, its VFS and FUSE mount). */
export interface VolumeRuntime {
  /**
   * Mounts the volume at `mountpoint`, reusing a warm VFS if there is one. `onLost` is called
   * if the mount ends by itself (e.g. an external `umount`).
   */
  mount(mountpoint: string, onLost: () => void): Promise<void>;
  /** Uploads every pending write to the remote; resolves when they are all there. */
  flush(): Promise<void>;
  /** Unmounts the FUSE mount, lazily after `deadlineMs`; the VFS stays warm. */
  unmount(deadlineMs: number): Promise<void>;
  /** Drops the warm VFS (called after the idle grace period); the backend stays. */
  idle(): Promise<void>;
  /** Flushes and releases everything (volume removed or plugin exiting). */
  close(): Promise<void>;
  /** Checks that the remote answers; throws the backend's error if not. */
  probe(): Promise<void>;
  /** Current write-back/cache figures. */
  status(): RuntimeStatus;
  /** Forgets cached directory listings (SIGHUP). */
  forgetDirCache(): void;
}

/** Builds volume runtimes. */
export interface Mounter {
  /** Builds the backend of a volume now; throws if the remote can't be reached or set up. */
  open(setup: VolumeSetup): Promise<VolumeRuntime>;
}

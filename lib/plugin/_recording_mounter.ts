/**
 * @module
 * A test double of our own {@link Mounter} for driver and handler tests: it builds no backend
 * and mounts nothing, but records every call in order, can be told to fail or to hang on a
 * given volume, and tracks dirty bytes that only a flush clears.
 */
import type { Mounter, RuntimeStatus, VolumeRuntime, VolumeSetup } from "./mounter.ts";

/** A recorded call: `[operation, volume name, detail?]`. */
export type Call = [string, string, string?];

/** A deferred the tests can resolve to release a hung operation. */
export interface Gate {
  /** Resolves when the gate opens. */
  promise: Promise<void>;
  /** Opens the gate. */
  open(): void;
}

/** Creates a closed {@link Gate}. */
export function gate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((r) => open = r);
  return { promise, open };
}

/** The recording runtime of one volume. */
export class RecordingRuntime implements VolumeRuntime {
  #m: RecordingMounter;
  #setup: VolumeSetup;
  #onLost: (() => void) | undefined;
  /** Bytes written but not flushed; tests set it, {@link RecordingRuntime.flush} clears it. */
  dirtyBytes = 0;
  /** Whether the (pretend) FUSE mount is up. */
  mounted = false;
  /** Whether the warm VFS exists. */
  warm = false;

  /** A runtime for `setup`. */
  constructor(m: RecordingMounter, setup: VolumeSetup) {
    this.#m = m;
    this.#setup = setup;
  }

  /** The setup the runtime was opened with. */
  get setup(): VolumeSetup {
    return this.#setup;
  }

  /** Records the mount; waits on the mounter's gate for this volume if any. */
  async mount(mountpoint: string, onLost: () => void): Promise<void> {
    this.#m.calls.push(["mount", this.#setup.name, mountpoint]);
    await this.#m.mountGates.get(this.#setup.name)?.promise;
    const fail = this.#m.failMount.get(this.#setup.name);
    if (fail) throw new Error(fail);
    this.#onLost = onLost;
    this.mounted = true;
    this.warm = true;
  }

  /** Records the flush; takes `flushDelayMs`, then clears the dirty bytes. */
  async flush(): Promise<void> {
    this.#m.calls.push(["flush", this.#setup.name]);
    await new Promise((r) => setTimeout(r, this.#m.flushDelayMs));
    const fail = this.#m.failFlush.get(this.#setup.name);
    if (fail) throw new Error(fail);
    this.dirtyBytes = 0;
    this.#m.calls.push(["flushed", this.#setup.name]);
  }

  /** Records the unmount. */
  unmount(deadlineMs: number): Promise<void> {
    this.#m.calls.push(["unmount", this.#setup.name, String(deadlineMs)]);
    this.mounted = false;
    return Promise.resolve();
  }

  /** Records dropping the warm VFS. */
  idle(): Promise<void> {
    this.#m.calls.push(["idle", this.#setup.name]);
    this.warm = false;
    return Promise.resolve();
  }

  /** Records the close; it completes (`closed` call) once the mounter's close gate opens. */
  async close(): Promise<void> {
    this.#m.calls.push(["close", this.#setup.name]);
    this.mounted = false;
    this.warm = false;
    await this.#m.closeGates.get(this.#setup.name)?.promise;
    this.#m.calls.push(["closed", this.#setup.name]);
  }

  /** Fails if the mounter says the volume's remote is down. */
  probe(): Promise<void> {
    const fail = this.#m.failProbe.get(this.#setup.name);
    return fail ? Promise.reject(new Error(fail)) : Promise.resolve();
  }

  /** Reports the dirty bytes. */
  status(): RuntimeStatus {
    return {
      dirtyFiles: this.dirtyBytes > 0 ? 1 : 0,
      dirtyBytes: this.dirtyBytes,
      uploadsInFlight: 0,
      cacheBytes: this.dirtyBytes,
    };
  }

  /** Records the directory-cache flush. */
  forgetDirCache(): void {
    this.#m.calls.push(["forget", this.#setup.name]);
  }

  /** Simulates an external `umount` of the FUSE mount. */
  loseMount(): void {
    this.mounted = false;
    this.#onLost?.();
  }
}

/** The recording mounter. */
export class RecordingMounter implements Mounter {
  /** Every call so far. */
  calls: Call[] = [];
  /** Runtimes by volume name (the latest opened). */
  runtimes = new Map<string, RecordingRuntime>();
  /** Volume name → error message `open` throws. */
  failOpen = new Map<string, string>();
  /** Volume name → error message `mount` throws. */
  failMount = new Map<string, string>();
  /** Volume name → error message `flush` throws. */
  failFlush = new Map<string, string>();
  /** Volume name → error message `probe` throws. */
  failProbe = new Map<string, string>();
  /** Volume name → gate `open` waits on. */
  openGates = new Map<string, Gate>();
  /** Volume name → gate `mount` waits on. */
  mountGates = new Map<string, Gate>();
  /** Volume name → gate `close` waits on. */
  closeGates = new Map<string, Gate>();
  /** How long a flush takes. */
  flushDelayMs = 20;

  /** Records the open; fails or hangs as configured. */
  async open(setup: VolumeSetup): Promise<RecordingRuntime> {
    this.calls.push(["open", setup.name, setup.remote]);
    await this.openGates.get(setup.name)?.promise;
    const fail = this.failOpen.get(setup.name);
    if (fail) throw new Error(fail);
    const rt = new RecordingRuntime(this, setup);
    this.runtimes.set(setup.name, rt);
    return rt;
  }

  /** The calls of one operation kind for one volume. */
  count(op: string, name: string): number {
    return this.calls.filter(([o, n]) => o === op && n === name).length;
  }
}

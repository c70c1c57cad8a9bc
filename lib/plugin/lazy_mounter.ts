/**
 * @module
 * A {@link Mounter} that loads the real one on the first volume it opens. The FUSE mounter
 * brings the backends, the VFS and the FUSE session (and the Node built-ins they use); the
 * plugin daemon imports it only when a volume is created or restored, so an idle daemon stays
 * small and starts sooner. A failed load is not cached: the next `open` tries again.
 */
import type { Mounter, VolumeRuntime, VolumeSetup } from "./mounter.ts";

/** Delegates to the mounter `load` makes, loaded once on first use. */
export class LazyMounter implements Mounter {
  #load: () => Promise<Mounter>;
  #loading: Promise<Mounter> | undefined;

  /** A mounter whose real implementation `load` makes (typically with a dynamic import). */
  constructor(load: () => Promise<Mounter>) {
    this.#load = load;
  }

  /** Loads the real mounter if not yet done, then opens the volume with it. */
  async open(setup: VolumeSetup): Promise<VolumeRuntime> {
    this.#loading ??= this.#load().catch((err) => {
      this.#loading = undefined;
      throw err;
    });
    return (await this.#loading).open(setup);
  }
}

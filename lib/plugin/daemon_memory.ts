/**
 * @module
 * Keeps the plugin daemon's resident memory close to what its mounted volumes use.
 *
 * - {@link tuneMallocForMounts}: every FUSE session owns a receive buffer of max_write + 64 KiB
 *   (1 MiB + 64 KiB; the kernel refuses reads into anything smaller than max_write + headers),
 *   of which a request touches only its first pages. glibc serves such blocks from their own
 *   mmap only until the first one is freed: its dynamic threshold then rises above their size,
 *   later ones come from the heap, and calloc zeroes a recycled heap block, making all of it
 *   resident (measured: ~0.2 MiB more per mounted volume, and up to 1 MiB for a volume mounted
 *   after others were unmounted). A fixed mmap threshold just under the buffer size gives a
 *   receive buffer its own mapping whenever the heap has no free block that big at hand (glibc
 *   still serves a request from free heap space first; untouched pages of a mapping cost nothing
 *   and a collected buffer goes straight back to the kernel), while READ replies (at most
 *   1 MiB) still come from the heap as before; the trim threshold gets the value glibc's dynamic
 *   rule would give it (twice the mmap threshold), so the heap is not shrunk and regrown between
 *   requests.
 * - {@link IdleRelease}: after the volumes change (mount, unmount, a VFS shut down), once the
 *   daemon has been quiet for a second: a full V8 collection when the runtime exposes `gc` (Deno
 *   started with `--v8-flags=--expose-gc`), then `malloc_trim(0)` to hand the freed pages of the
 *   malloc heap back to the kernel. Nothing is lost: only free memory is released, and only
 *   once per quiet period. The collection stops the JS thread, and with it every mount's FUSE
 *   requests, for ~15-30 ms here (an 8 MiB heap). Measured with 50 mounted volumes: 72-77 MiB
 *   resident before both, 64-68 MiB with the thresholds and malloc_trim, 57-60 MiB with the
 *   collection too.
 *
 * Measured and left out (50 local volumes, `deno run`): a glibc arena limit set at run time
 * (`mallopt(M_ARENA_MAX, 1)` at the first mount or at start-up) changes nothing, the threads
 * that allocate own their arenas by then (only `MALLOC_ARENA_MAX=1` in the environment from
 * process start saves ~1-2 MiB); repeated memory-reducing collections free nothing more; V8's
 * `--single-threaded`, `--optimize-for-size`, `--no-sparkplug`, a higher TurboFan threshold and
 * `--no-maglev` alone stay within noise; `--no-opt` (no TurboFan) saves ~3 MiB and is in the run
 * flags (`scripts/permissions.ts` says why), both together ~6 MiB but cost the API round trips
 * (the JSON of List 4×). The rest of the first volume's cost is one-time: Deno's FFI fast-call
 * compiler on the first synchronous symbol (~2.5 MiB of the deno binary's pages), Deno's Node
 * layer on the first `node:`/`npm:` import (~1-3 MiB; `lib/util/os_path.ts` replaces
 * `node:path`), module loading.
 */
import * as libc from "../fuse/libc.ts";
import { RECEIVE_BUFFER_SIZE } from "../fuse/session.ts";
import { log } from "../util/log.ts";

/** Blocks this big or bigger get their own mapping: under the receive buffers, over 1 MiB. */
export const MMAP_THRESHOLD: number = RECEIVE_BUFFER_SIZE - 32 * 1024;

let tuned: boolean | undefined;

/**
 * Fixes glibc's mmap threshold at {@link MMAP_THRESHOLD} and the trim threshold at twice it,
 * once per process (later calls return the first result). Returns true if glibc accepted both;
 * false if not (the process keeps glibc's defaults; logged at debug level).
 */
export function tuneMallocForMounts(): boolean {
  if (tuned !== undefined) return tuned;
  tuned = false;
  try {
    tuned = libc.mallopt(libc.Malloc.M_MMAP_THRESHOLD, MMAP_THRESHOLD) &&
      libc.mallopt(libc.Malloc.M_TRIM_THRESHOLD, 2 * MMAP_THRESHOLD);
    if (!tuned) log.debug("mallopt refused the thresholds: FUSE receive buffers may use the heap");
  } catch (err) {
    log.debug(`mallopt unavailable: ${(err as Error).message}`);
  }
  return tuned;
}

/** Options of V8's exposed `gc()`. */
interface GcOptions {
  type: "major";
  execution: "sync";
  /** "last-resort": collect until nothing more is freed, then give pooled pages back. */
  flavor: "last-resort";
}

/** The V8 `gc()` function when Deno runs with `--v8-flags=--expose-gc`. */
function exposedGc(): ((o: GcOptions) => void) | undefined {
  const gc = (globalThis as { gc?: unknown }).gc;
  return typeof gc === "function" ? gc as (o: GcOptions) => void : undefined;
}

/**
 * The default release: a memory-reducing full collection if `gc` is exposed (a plain `gc()`
 * keeps the emptied heap pages mapped: measured, it frees objects but not resident memory),
 * then `malloc_trim(0)`.
 */
export function releaseFreeMemory(): void {
  try {
    exposedGc()?.({ type: "major", execution: "sync", flavor: "last-resort" });
    libc.mallocTrim();
  } catch (err) {
    log.debug(`releasing free memory failed: ${(err as Error).message}`);
  }
}

/** Runs a release once the daemon has been quiet for `quietMs` after the last {@link poke}. */
export class IdleRelease {
  #quietMs: number;
  #release: () => void;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** Calls `release` (default {@link releaseFreeMemory}) `quietMs` after the last poke. */
  constructor(quietMs = 1000, release: () => void = releaseFreeMemory) {
    this.#quietMs = quietMs;
    this.#release = release;
  }

  /** Whether a release is pending. */
  get pending(): boolean {
    return this.#timer !== undefined;
  }

  /** (Re)starts the quiet period; the timer does not keep the process alive. */
  poke(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#release();
    }, this.#quietMs);
    Deno.unrefTimer(this.#timer);
  }

  /** Drops a pending release. */
  cancel(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/**
 * @module
 * The exact Deno permissions and runtime flags denoclone runs with (no `-A`): the build writes
 * them into the launcher and `deno compile`, and the managed plugin and installer use the same
 * lists.
 */

/** Permission flags for `deno run` / `deno compile`. FFI is needed for `/dev/fuse` and mount(2). */
export const RUN_PERMISSIONS: readonly string[] = [
  "--allow-read",
  "--allow-write",
  "--allow-net",
  "--allow-env",
  "--allow-ffi",
  "--allow-sys",
  "--allow-run",
];

/**
 * V8 flags for every way denoclone is started.
 * - `--expose-gc` lets the plugin daemon run a memory-reducing collection once its volumes are
 *   quiet (`lib/plugin/daemon_memory.ts`: with 50 mounted volumes ~64 → ~59 MiB resident); it
 *   runs no untrusted code, so exposing `gc` is safe.
 * - `--no-opt` leaves out TurboFan, V8's top optimizing tier; Maglev, the one below it, still
 *   compiles hot code. denoclone's JavaScript mostly moves bytes between system calls, and
 *   TurboFan's code and compile jobs cost every process memory: the plugin daemon with 50
 *   mounted volumes measured ~57 MiB resident without it and 59–62 MiB with it. The benchmarks
 *   under `scripts/` still meet every target without it (bench/README.md: two cold reads on
 *   remote targets came out a little below the range they had with TurboFan). Dropping Maglev too
 *   (`--no-maglev`) saves ~3 MiB more but made `VolumeDriver.List` of 200 volumes 4× slower
 *   (its JSON encoding runs in JavaScript) and the other round trips 10–30% slower.
 */
export const RUN_V8_FLAGS: readonly string[] = ["--v8-flags=--expose-gc,--no-opt"];

/** Everything after `deno run` / `deno compile` and before the script: permissions, V8 flags. */
export const RUN_FLAGS: readonly string[] = [...RUN_PERMISSIONS, ...RUN_V8_FLAGS];

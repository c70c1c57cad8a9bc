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
 * - `--no-opt --no-maglev` keep JavaScript at Sparkplug, V8's baseline compiler, without its two
 *   optimizing tiers. denoclone's JavaScript mostly moves bytes between system calls, so those
 *   tiers bought nothing measurable (mount benchmark on `local`, `sftp` and `crypt`: every row
 *   within the run-to-run spread), while their code and their compile jobs cost every process
 *   memory: the plugin daemon with 50 mounted volumes measured 54–55 MiB resident without them
 *   and 59–62 MiB with them (the compilers' pages of the deno binary, ~4.5 MiB, their heap ~2).
 */
export const RUN_V8_FLAGS: readonly string[] = ["--v8-flags=--expose-gc,--no-opt,--no-maglev"];

/** Everything after `deno run` / `deno compile` and before the script: permissions, V8 flags. */
export const RUN_FLAGS: readonly string[] = [...RUN_PERMISSIONS, ...RUN_V8_FLAGS];

/**
 * @module
 * The exact Deno permissions denoclone runs with (no `-A`): the build writes them into the
 * launcher and `deno compile`, and the managed plugin uses the same list.
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

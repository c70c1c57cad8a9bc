/**
 * @module
 * `denoclone serve docker`: the Docker volume plugin, a drop-in for `rclone serve docker`.
 * Takes the `serve docker` flags (spec §5.1) plus every mount and VFS option as the default
 * for new volumes. This module is the command's action and loads no commander: `main.ts` runs
 * it straight from a scanned command line (`flag_scan.ts`), and `serve_docker_command.ts` wires
 * it into commander for every other case. The FUSE mounter (backends, VFS, FUSE) loads on the
 * first volume, so an idle daemon holds only the plugin's own code.
 */
import { attrName, groupValues } from "../lib/cli/option_values.ts";
import { flagName, type OptionGroup, type OptionValue } from "../lib/config/option_schema.ts";
import { globals } from "../lib/cli/globals.ts";
import { MOUNT_OPTIONS } from "../lib/fuse/mount_options.ts";
import { VFS_OPTIONS } from "../lib/vfs/vfs_options.ts";
import { LazyMounter } from "../lib/plugin/lazy_mounter.ts";
import { runPlugin } from "../lib/plugin/serve.ts";
import { SERVE_DOCKER_OPTIONS } from "../lib/plugin/serve_options.ts";

/** The option groups `serve docker` adds as flags. */
export const SERVE_DOCKER_GROUPS = [SERVE_DOCKER_OPTIONS, MOUNT_OPTIONS, VFS_OPTIONS] as const;

/**
 * Resolves a group's values, honouring boolean options named `no_*` (`--no-modtime`,
 * `--no-spec`): commander reads a `--no-x` flag as the negation of `--x` and stores `x: false`.
 */
export function resolveGroup(
  opts: Record<string, unknown>,
  group: OptionGroup,
  env: Record<string, string | undefined>,
): Record<string, OptionValue> {
  const values = groupValues(opts, group, env);
  for (const def of group.options) {
    if (def.type !== "bool" || !def.name.startsWith("no_")) continue;
    const positive = attrName(flagName(group, { ...def, name: def.name.slice(3) }));
    if (opts[positive] === false) values[def.name] = true;
  }
  return values;
}

/**
 * Runs the plugin with the parsed `serve docker` flags `opts` (keyed as commander keys them;
 * the global options are already applied) until SIGTERM/SIGINT, then exits the process.
 */
export async function serveDocker(opts: Record<string, unknown>): Promise<void> {
  const env = Deno.env.toObject();
  const sv = resolveGroup(opts, SERVE_DOCKER_OPTIONS, env);
  const g = globals();
  // Mount/VFS defaults: option defaults overridden by the flags/env given to serve docker.
  const mountDefaults = resolveGroup(opts, MOUNT_OPTIONS, env);
  const vfsDefaults = resolveGroup(opts, VFS_OPTIONS, env);
  await runPlugin({
    baseDir: String(sv.base_dir),
    cacheDir: g.cacheDir,
    configPath: g.configPath,
    socketAddr: String(sv.socket_addr),
    socketGid: Number(sv.socket_gid),
    forgetState: sv.forget_state === true,
    noSpec: sv.no_spec === true,
    specDir: String(sv.spec_dir),
    idleGraceMs: Number(sv.idle_grace),
    unmountDeadlineMs: Number(sv.unmount_deadline),
    mountDefaults,
    vfsDefaults,
    env,
    mounter: new LazyMounter(async () => {
      const { FuseMounter } = await import("../lib/plugin/fuse_mounter.ts");
      return new FuseMounter({
        configPath: g.configPath,
        cacheDir: g.cacheDir,
        backendFlags: g.backendFlags,
        env,
      });
    }),
  });
  // Everything is unmounted, flushed and saved: don't wait for stray handles.
  Deno.exit(0);
}

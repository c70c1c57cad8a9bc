/**
 * @module
 * `denoclone serve docker`: the Docker volume plugin, a drop-in for `rclone serve docker`.
 * Takes the `serve docker` flags (spec §5.1) plus every mount and VFS option as the default
 * for new volumes.
 */
import { Command } from "@commander-js/extra-typings";
import { addGroupFlags, attrName, groupValues } from "../lib/cli/option_flags.ts";
import { flagName, type OptionGroup, type OptionValue } from "../lib/config/option_schema.ts";
import { globals } from "../lib/cli/globals.ts";
import { MOUNT_OPTIONS } from "../lib/fuse/mount_options.ts";
import { VFS_OPTIONS } from "../lib/vfs/vfs_options.ts";
import { FuseMounter } from "../lib/plugin/fuse_mounter.ts";
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

/** The `docker` subcommand of `serve`. */
export function serveDockerCommand() {
  const cmd = new Command("docker")
    .description("Serve any remote on docker's volume plugin API")
    .argument("[extra...]")
    .action(async (extra, _o, command) => {
      if (extra.length > 0) {
        throw new Error(
          `Command docker needs 0 arguments maximum: you provided ${extra.length} non flag arguments: ${
            JSON.stringify(extra)
          }`,
        );
      }
      const opts = command.opts() as Record<string, unknown>;
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
        mounter: new FuseMounter({
          configPath: g.configPath,
          cacheDir: g.cacheDir,
          backendFlags: g.backendFlags,
          env,
        }),
      });
      // Everything is unmounted, flushed and saved: don't wait for stray handles.
      Deno.exit(0);
    });
  for (const group of SERVE_DOCKER_GROUPS) addGroupFlags(cmd, group, { hideAdvanced: true });
  return cmd;
}

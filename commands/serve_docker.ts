/**
 * @module
 * `denoclone serve docker`: the Docker volume plugin, a drop-in for `rclone serve docker`.
 * Takes the `serve docker` flags (spec §5.1) plus every mount and VFS option as the default
 * for new volumes.
 */
import { Command } from "@commander-js/extra-typings";
import { addGroupFlags, groupValues } from "../lib/cli/option_flags.ts";
import { globals } from "../lib/cli/globals.ts";
import { MOUNT_OPTIONS } from "../lib/fuse/mount_options.ts";
import { VFS_OPTIONS } from "../lib/vfs/vfs_options.ts";
import { FuseMounter } from "../lib/plugin/fuse_mounter.ts";
import { runPlugin } from "../lib/plugin/serve.ts";
import { SERVE_DOCKER_OPTIONS } from "../lib/plugin/serve_options.ts";

/** The option groups `serve docker` adds as flags. */
export const SERVE_DOCKER_GROUPS = [SERVE_DOCKER_OPTIONS, MOUNT_OPTIONS, VFS_OPTIONS] as const;

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
      const sv = groupValues(opts, SERVE_DOCKER_OPTIONS, env);
      const g = globals();
      // Mount/VFS defaults: option defaults overridden by the flags/env given to serve docker.
      const mountDefaults = groupValues(opts, MOUNT_OPTIONS, env);
      const vfsDefaults = groupValues(opts, VFS_OPTIONS, env);
      await runPlugin({
        baseDir: String(sv.base_dir),
        cacheDir: g.cacheDir,
        configPath: g.configPath,
        socketAddr: String(sv.socket_addr),
        socketGid: Number(sv.socket_gid),
        forgetState: sv.forget_state === true,
        // commander reads `--no-spec` as the negation of a `spec` flag.
        noSpec: sv.no_spec === true || opts.spec === false,
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

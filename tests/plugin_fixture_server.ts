/**
 * @module
 * Test fixture: runs the plugin's real lifecycle (`runPlugin`: transports, READY/STOPPING,
 * state, signals) with the recording mounter instead of FUSE, so transport and restart tests
 * need no kernel mounts. Settings come from `PLUGIN_FIXTURE` (JSON) in the environment.
 */
import "../lib/backends/all.ts";
import { defaultsOf } from "../lib/config/option_schema.ts";
import { MOUNT_OPTIONS } from "../lib/fuse/mount_options.ts";
import { VFS_OPTIONS } from "../lib/vfs/vfs_options.ts";
import { runPlugin } from "../lib/plugin/serve.ts";
import { RecordingMounter } from "../lib/plugin/_recording_mounter.ts";

const cfg = JSON.parse(Deno.env.get("PLUGIN_FIXTURE") ?? "{}");
await runPlugin({
  baseDir: cfg.baseDir,
  cacheDir: cfg.cacheDir,
  configPath: cfg.configPath,
  socketAddr: cfg.socketAddr ?? "",
  socketGid: cfg.socketGid ?? -1,
  forgetState: cfg.forgetState ?? false,
  noSpec: cfg.noSpec ?? false,
  specDir: cfg.specDir,
  mountDefaults: defaultsOf(MOUNT_OPTIONS),
  vfsDefaults: defaultsOf(VFS_OPTIONS),
  env: Deno.env.toObject(),
  mounter: new RecordingMounter(),
});
console.error("fixture: exited cleanly");

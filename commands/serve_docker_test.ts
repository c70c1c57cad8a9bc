import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { Command } from "@commander-js/extra-typings";
import { addGroupFlags } from "../lib/cli/option_flags.ts";
import { VFS_OPTIONS } from "../lib/vfs/vfs_options.ts";
import { SERVE_DOCKER_OPTIONS } from "../lib/plugin/serve_options.ts";
import { resolveGroup } from "./serve_docker.ts";

function parse(args: string[]): Record<string, unknown> {
  const cmd = new Command("docker");
  addGroupFlags(cmd, VFS_OPTIONS);
  addGroupFlags(cmd, SERVE_DOCKER_OPTIONS);
  cmd.parse(args, { from: "user" });
  return cmd.opts() as Record<string, unknown>;
}

Deno.test("resolveGroup() honours --no-* boolean options that commander reads as negations", () => {
  const opts = parse(["--no-modtime", "--no-spec", "--vfs-cache-mode", "writes"]);
  const vfs = resolveGroup(opts, VFS_OPTIONS, {});
  assertEquals([vfs.no_modtime, vfs.no_checksum, vfs.vfs_cache_mode], [true, false, "writes"]);
  assertEquals(resolveGroup(opts, SERVE_DOCKER_OPTIONS, {}).no_spec, true);
  const none = parse([]);
  assertEquals(resolveGroup(none, VFS_OPTIONS, {}).no_modtime, false);
  assertEquals(resolveGroup(none, SERVE_DOCKER_OPTIONS, { RCLONE_NO_SPEC: "true" }).no_spec, true);
});

/**
 * @module
 * denoclone's entry point: builds the command tree, applies the global options, and maps
 * errors to exit codes (usage errors → 2 with a message naming the problem, others → 1).
 */
import { Command, CommanderError } from "@commander-js/extra-typings";
import {
  addGroupFlags,
  givenRawValues,
  groupValues,
  normaliseBoolArgs,
} from "./lib/cli/option_flags.ts";
import "./lib/backends/all.ts";
import { listBackends } from "./lib/backends/registry.ts";
import { GLOBAL_OPTIONS } from "./lib/cli/global_options.ts";
import { applyGlobals } from "./lib/cli/globals.ts";
import { allOptionGroups, registerOptionGroups } from "./lib/cli/all_option_groups.ts";
import { UsageError } from "./lib/errors.ts";
import { OptionError } from "./lib/config/option_schema.ts";
import { log, redact } from "./lib/util/log.ts";
import { versionCommand } from "./commands/version.ts";
import { helpCommand } from "./commands/help.ts";
import { configCommand } from "./commands/config.ts";
import { mountCommand } from "./commands/mount.ts";
import { SERVE_DOCKER_GROUPS, serveDockerCommand } from "./commands/serve_docker.ts";
import { volumeCommand } from "./commands/volume.ts";

/** Builds the root command with every subcommand attached. */
export function buildProgram(): Command {
  const program = new Command("denoclone")
    .description("rclone-compatible Docker volume plugin and FUSE mounter")
    .showHelpAfterError(false)
    .helpCommand(false);
  addGroupFlags(program, GLOBAL_OPTIONS);
  const backendGroups = listBackends().map((b) => b.options);
  registerOptionGroups(...backendGroups);
  // Backend flags (`--sftp-key-file`…) are global, as in rclone; listed by `help flags`.
  for (const g of backendGroups) addGroupFlags(program, g, { hideAll: true });
  program.hook("preAction", (thisCommand) => {
    const opts = thisCommand.opts() as Record<string, unknown>;
    const backendFlags: Record<string, string> = {};
    for (const g of backendGroups) {
      for (const [k, v] of Object.entries(givenRawValues(opts, g))) {
        backendFlags[`${g.prefix}_${k}`] = v;
      }
    }
    applyGlobals(groupValues(opts, GLOBAL_OPTIONS), backendFlags);
  });
  registerOptionGroups(...SERVE_DOCKER_GROUPS);
  program.addCommand(configCommand() as unknown as Command);
  program.addCommand(mountCommand() as unknown as Command);
  program.addCommand(
    new Command("serve").description("Serve a remote over a protocol").addCommand(
      serveDockerCommand() as unknown as Command,
    ) as unknown as Command,
  );
  program.addCommand(volumeCommand() as unknown as Command);
  program.addCommand(versionCommand());
  program.addCommand(helpCommand(program));
  return program as unknown as Command;
}

function applyExitOverride(cmd: Command): void {
  cmd.exitOverride();
  for (const c of cmd.commands) applyExitOverride(c as unknown as Command);
}

/** Runs the CLI with `argv` (without the executable) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  applyExitOverride(program);
  try {
    // An empty argument never means anything here; Docker's managed plugins pass one for
    // `args=""` (it splits the setting on single spaces), which broke rclone's plugin.
    const args = normaliseBoolArgs(argv.filter((a) => a !== ""), allOptionGroups());
    await program.parseAsync(args, { from: "user" });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (
        err.code === "commander.helpDisplayed" || err.code === "commander.version" ||
        err.code === "commander.help"
      ) return 0;
      return 2;
    }
    if (err instanceof UsageError || err instanceof OptionError) {
      console.error(`Error: ${redact(err.message)}`);
      return err instanceof UsageError ? err.exitCode : 2;
    }
    log.error(`Fatal error: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

if (import.meta.main) {
  const code = await main(Deno.args);
  Deno.exit(code);
}

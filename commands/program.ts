/**
 * @module
 * denoclone's full command tree in commander: every command, the global and backend flags, help
 * and commander's own flag errors. `main.ts` loads it for every command line except a plain
 * `serve docker` one, so the plugin daemon never loads commander.
 */
import { Command, CommanderError } from "@commander-js/extra-typings";
import { addGroupFlags } from "../lib/cli/option_flags.ts";
import "../lib/backends/all.ts";
import { listBackends } from "../lib/backends/registry.ts";
import { GLOBAL_OPTIONS } from "../lib/cli/global_options.ts";
import { applyProgramFlags } from "../lib/cli/globals.ts";
import { registerOptionGroups } from "../lib/cli/all_option_groups.ts";
import { versionCommand } from "./version.ts";
import { helpCommand } from "./help.ts";
import { configCommand } from "./config.ts";
import { mountCommand } from "./mount.ts";
import { SERVE_DOCKER_GROUPS } from "./serve_docker.ts";
import { serveDockerCommand } from "./serve_docker_command.ts";
import { volumeCommand } from "./volume.ts";

/** Hooks for tests. */
export interface ProgramHooks {
  /** Runs instead of `serve docker`'s action, with its parsed options. */
  serveDocker?: (opts: Record<string, unknown>) => Promise<void>;
}

/** Builds the root command with every subcommand attached. */
export function buildProgram(hooks: ProgramHooks = {}): Command {
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
    applyProgramFlags(thisCommand.opts() as Record<string, unknown>, backendGroups);
  });
  registerOptionGroups(...SERVE_DOCKER_GROUPS);
  program.addCommand(configCommand() as unknown as Command);
  program.addCommand(mountCommand() as unknown as Command);
  program.addCommand(
    new Command("serve").description("Serve a remote over a protocol").addCommand(
      serveDockerCommand(hooks.serveDocker) as unknown as Command,
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

/**
 * Parses and runs `args` (normalised by `normaliseBoolArgs`) with commander; returns the exit
 * code for commander's own outcomes (help and version → 0, flag errors → 2, after commander
 * printed them) and throws what the command's action throws.
 */
export async function runProgram(args: string[], hooks: ProgramHooks = {}): Promise<number> {
  const program = buildProgram(hooks);
  applyExitOverride(program);
  try {
    await program.parseAsync(args, { from: "user" });
    return 0;
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    if (
      err.code === "commander.helpDisplayed" || err.code === "commander.version" ||
      err.code === "commander.help"
    ) return 0;
    return 2;
  }
}

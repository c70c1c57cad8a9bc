/**
 * @module
 * denoclone's entry point: resolves the command line and maps errors to exit codes (usage
 * errors → 2 with a message naming the problem, others → 1).
 *
 * A plain `serve docker [flags]` command line, the way Docker starts the plugin, is scanned
 * without commander (`lib/cli/flag_scan.ts`, which reads it exactly as commander does) and runs
 * the plugin at once: the daemon then never loads commander and the Node built-ins it imports,
 * which saves it megabytes of memory and start-up time. Every other command line, and any
 * `serve docker` one the scan does not take (help, errors…), goes to the full commander
 * program (`commands/program.ts`), loaded on demand.
 */
import "./lib/backends/all.ts";
import { listBackends } from "./lib/backends/registry.ts";
import { GLOBAL_OPTIONS } from "./lib/cli/global_options.ts";
import { applyProgramFlags } from "./lib/cli/globals.ts";
import { allOptionGroups, registerOptionGroups } from "./lib/cli/all_option_groups.ts";
import { scanFlags } from "./lib/cli/flag_scan.ts";
import { normaliseBoolArgs } from "./lib/cli/option_values.ts";
import { UsageError } from "./lib/errors.ts";
import { OptionError } from "./lib/config/option_schema.ts";
import { log, redact } from "./lib/util/log.ts";
import { SERVE_DOCKER_GROUPS, serveDocker } from "./commands/serve_docker.ts";

/** Runs the CLI with `argv` (without the executable) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    const backendGroups = listBackends().map((b) => b.options);
    registerOptionGroups(...backendGroups, ...SERVE_DOCKER_GROUPS);
    // An empty argument never means anything here; Docker's managed plugins pass one for
    // `args=""` (it splits the setting on single spaces), which broke rclone's plugin.
    const args = normaliseBoolArgs(argv.filter((a) => a !== ""), allOptionGroups());
    const fast = scanFlags(args, {
      path: ["serve", "docker"],
      programGroups: [GLOBAL_OPTIONS, ...backendGroups],
      commandGroups: SERVE_DOCKER_GROUPS,
    });
    if (fast) {
      applyProgramFlags(fast.program, backendGroups);
      await serveDocker(fast.command);
      return 0;
    }
    const { runProgram } = await import("./commands/program.ts");
    return await runProgram(args);
  } catch (err) {
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

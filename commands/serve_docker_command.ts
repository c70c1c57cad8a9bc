/**
 * @module
 * The commander wiring of `denoclone serve docker` (help, flag errors, and every command line
 * the fast scan in `main.ts` leaves to commander); the action is `serve_docker.ts`.
 */
import { Command } from "@commander-js/extra-typings";
import { addGroupFlags } from "../lib/cli/option_flags.ts";
import { SERVE_DOCKER_GROUPS, serveDocker } from "./serve_docker.ts";

/**
 * The `docker` subcommand of `serve`. `action` runs with the command's parsed options (default:
 * {@link serveDocker}; tests pass their own to see what commander parsed).
 */
export function serveDockerCommand(
  action: (opts: Record<string, unknown>) => Promise<void> = serveDocker,
) {
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
      await action(command.opts() as Record<string, unknown>);
    });
  for (const group of SERVE_DOCKER_GROUPS) addGroupFlags(cmd, group, { hideAdvanced: true });
  return cmd;
}

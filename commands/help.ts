/**
 * @module
 * `denoclone help [command…]` and `denoclone help flags`: the latter prints the options
 * reference generated from the option schema (every flag, its env var and default).
 */
import { Command } from "@commander-js/extra-typings";
import { optionsReference } from "../lib/cli/options_reference.ts";

/** The `help` command; `root` is the program whose commands it describes. */
export function helpCommand(root: Command<unknown[], Record<string, unknown>>) {
  return new Command("help")
    .description("Show help for denoclone commands, or `help flags` for every option")
    .argument("[topic...]", "command path, or `flags`")
    .action((topic: string[]) => {
      if (topic.length === 1 && topic[0] === "flags") {
        console.log(optionsReference());
        return;
      }
      let cmd = root;
      for (const t of topic) {
        const next = cmd.commands.find((c) => c.name() === t);
        if (!next) throw new Error(`Unknown help topic ${JSON.stringify(topic.join(" "))}`);
        cmd = next as typeof root;
      }
      console.log(cmd.helpInformation());
    });
}

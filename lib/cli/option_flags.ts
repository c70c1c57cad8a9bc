/**
 * @module
 * Turns an {@link OptionGroup} into commander flags (the value resolution they feed is
 * `option_values.ts`).
 */
import { type Command, Option } from "@commander-js/extra-typings";
import {
  envName,
  flagName,
  formatOptionValue,
  type OptionDef,
  type OptionGroup,
} from "../config/option_schema.ts";
import { boolFlags } from "./option_values.ts";

function helpText(group: OptionGroup, def: OptionDef): string {
  const dflt = def.defaultText ??
    (def.obscured || def.sensitive ? "" : formatOptionValue(def, def.default));
  const parts = [def.help.replace(/\s+/g, " ").trim()];
  if (def.choices) parts.push(`(${def.choices.join("|")})`);
  if (dflt !== "" && dflt !== "false" && dflt !== "0") parts.push(`(default ${dflt})`);
  parts.push(`[env ${envName(group, def)}]`);
  return parts.join(" ");
}

/** Adds one flag per option of `group` to `cmd` (hidden when `advanced` and `hideAdvanced`). */
export function addGroupFlags<C extends Command<unknown[], Record<string, unknown>>>(
  cmd: C,
  group: OptionGroup,
  opts: { hideAdvanced?: boolean; hideAll?: boolean } = {},
): C {
  for (const def of group.options) {
    const long = flagName(group, def);
    const short = def.short ? `-${def.short}, ` : "";
    let o: Option;
    let after: Option | undefined;
    if (def.name === "verbose") {
      o = new Option(`${short}${long}`, helpText(group, def)).argParser(
        (_v: string, prev: unknown) => (typeof prev === "number" ? prev : 0) + 1,
      );
    } else if (def.type === "bool") {
      // Commander gives a `--no-x` flag a default of true unless `--x` was added before it, so
      // the positive flag of the pair always goes first and the default stays unset.
      const { on, off } = boolFlags(long);
      o = new Option(`${short}${on}`, helpText(group, def));
      if (on.startsWith("--no-")) cmd.addOption(new Option(off).hideHelp());
      else after = new Option(off).hideHelp();
    } else {
      o = new Option(`${short}${long} <value>`, helpText(group, def));
    }
    if (opts.hideAll || (def.advanced && opts.hideAdvanced)) o.hideHelp();
    cmd.addOption(o);
    if (after) cmd.addOption(after);
  }
  return cmd;
}

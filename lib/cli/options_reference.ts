/**
 * @module
 * The options reference in Markdown, generated from the option schema: one table per group
 * with the flag, env var, `-o` volume key, type, default and help. `denoclone help flags`
 * prints it and `docs/options.md` is this text.
 */
import { envName, flagName, formatOptionValue, type OptionGroup } from "../config/option_schema.ts";
import { allOptionGroups } from "./all_option_groups.ts";

function volumeKey(group: OptionGroup, name: string): string {
  if (group.id === "global" || group.id === "serve_docker") return "—";
  return (group.prefix ? `${group.prefix}-${name}` : name).replaceAll("_", "-");
}

/** Renders the reference for the given groups (default: every registered group). */
export function optionsReference(groups: readonly OptionGroup[] = allOptionGroups()): string {
  const out = ["# denoclone options reference", ""];
  out.push(
    "Generated from the option schema. Every flag can also be set with its env var. Mount, VFS",
    "and backend options are also Docker volume options (`-o key=value`; case-insensitive, `-`",
    "and `_` are the same, a leading `--` is ignored, a bare boolean means true).",
    "",
  );
  for (const g of groups) {
    out.push(`## ${g.id}`, "");
    out.push("| flag | env | volume option | type | default | help |");
    out.push("| --- | --- | --- | --- | --- | --- |");
    for (const d of g.options) {
      const dflt = d.defaultText ??
        (d.obscured || d.sensitive ? "" : formatOptionValue(d, d.default));
      const flag = `${d.short ? `-${d.short}, ` : ""}${flagName(g, d)}`;
      const help = d.help.replace(/\s+/g, " ").trim().replaceAll("|", "\\|") +
        (d.choices ? ` (${d.choices.join(", ")})` : "") +
        (d.obscured ? " (obscured)" : d.sensitive ? " (secret)" : "");
      out.push(
        `| \`${flag}\` | \`${envName(g, d)}\` | ${
          volumeKey(g, d.name) === "—" ? "—" : `\`${volumeKey(g, d.name)}\``
        } | ${d.type} | ${dflt === "" ? "" : `\`${dflt.replaceAll("|", "\\|")}\``} | ${help} |`,
      );
    }
    out.push("");
  }
  return out.join("\n");
}

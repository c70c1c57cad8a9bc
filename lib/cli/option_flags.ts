/**
 * @module
 * Turns an {@link OptionGroup} into commander flags and resolves their values: a flag given on
 * the command line wins over its `RCLONE_*` env var, which wins over the default. Boolean flags
 * behave as in rclone: `--flag` means true and `--flag=false` is accepted.
 */
import { type Command, Option } from "@commander-js/extra-typings";
import {
  envName,
  flagName,
  formatOptionValue,
  type OptionDef,
  type OptionGroup,
  type OptionValue,
  parseOptionValue,
} from "../config/option_schema.ts";
import { UsageError } from "../errors.ts";

/** The commander attribute name of a flag (`--vfs-cache-mode` → `vfsCacheMode`). */
export function attrName(flag: string): string {
  return flag.replace(/^--/, "").replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

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
    if (def.name === "verbose") {
      o = new Option(`${short}${long}`, helpText(group, def)).argParser(
        (_v: string, prev: unknown) => (typeof prev === "number" ? prev : 0) + 1,
      );
    } else if (def.type === "bool") {
      o = new Option(`${short}${long}`, helpText(group, def));
    } else {
      o = new Option(`${short}${long} <value>`, helpText(group, def));
    }
    if (opts.hideAll || (def.advanced && opts.hideAdvanced)) o.hideHelp();
    cmd.addOption(o);
    if (def.type === "bool") cmd.addOption(new Option(`--no-${long.slice(2)}`).hideHelp());
  }
  return cmd;
}

/**
 * Rewrites rclone-style `--bool-flag=value` arguments for commander: true → `--flag`, false →
 * `--no-flag`. Non-boolean values are a usage error naming the flag.
 */
export function normaliseBoolArgs(argv: string[], groups: readonly OptionGroup[]): string[] {
  const bools = new Set<string>();
  for (const g of groups) {
    for (const d of g.options) if (d.type === "bool") bools.add(flagName(g, d));
  }
  const out: string[] = [];
  for (const [i, a] of argv.entries()) {
    if (a === "--") {
      out.push(...argv.slice(i));
      break;
    }
    const m = /^(--[a-z0-9-]+)=(.*)$/s.exec(a);
    if (m && bools.has(m[1]!)) {
      const v = m[2]!;
      const b = ["1", "t", "T", "TRUE", "true", "True"].includes(v)
        ? true
        : ["0", "f", "F", "FALSE", "false", "False"].includes(v)
        ? false
        : undefined;
      if (b === undefined) {
        throw new UsageError(`invalid argument ${JSON.stringify(v)} for ${m[1]}: not a boolean`);
      }
      out.push(b ? m[1]! : `--no-${m[1]!.slice(2)}`);
    } else {
      out.push(a);
    }
  }
  return out;
}

/**
 * Resolves the values of `group` from commander's parsed `opts`, then env, then defaults.
 * A bad value is a {@link UsageError} naming the flag or env var.
 */
export function groupValues(
  opts: Record<string, unknown>,
  group: OptionGroup,
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Record<string, OptionValue> {
  const out: Record<string, OptionValue> = {};
  for (const def of group.options) {
    const flag = flagName(group, def);
    const given = opts[attrName(flag)];
    const ev = envName(group, def);
    try {
      if (given !== undefined) {
        out[def.name] = typeof given === "string"
          ? parseOptionValue(def, given)
          : given as OptionValue;
      } else if (env[ev] !== undefined && env[ev] !== "") {
        out[def.name] = parseOptionValue(def, env[ev]!);
      } else {
        out[def.name] = def.default;
      }
    } catch (err) {
      const where = given !== undefined ? flag : `env ${ev}`;
      throw new UsageError(`invalid value for ${where}: ${(err as Error).message}`, 2, {
        cause: err,
      });
    }
  }
  return out;
}

/**
 * The raw strings given for `group` on the command line or in env (not defaults), keyed by
 * option name: what `serve docker` passes on as per-volume defaults.
 */
export function givenRawValues(
  opts: Record<string, unknown>,
  group: OptionGroup,
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const def of group.options) {
    const given = opts[attrName(flagName(group, def))];
    if (given !== undefined) out[def.name] = String(given);
    else if (env[envName(group, def)]) out[def.name] = env[envName(group, def)]!;
  }
  return out;
}

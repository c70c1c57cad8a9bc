/**
 * @module
 * Resolves option values from parsed command-line flags, then `RCLONE_*` env vars, then
 * defaults, without loading commander: the flag given wins over its env var, which wins over the
 * default. Boolean flags behave as in rclone: `--flag` means true and `--flag=false` is accepted.
 * The parsed flags are keyed as commander keys them (`attrName`), whether commander
 * (`option_flags.ts`) or the fast scanner (`flag_scan.ts`) parsed them.
 */
import {
  envName,
  flagName,
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

/**
 * The two commander flags of a boolean option: `on` sets it true, `off` (hidden) sets it false.
 * Commander reads any `--no-x` as "x off", so an option whose own flag starts with `--no-`
 * (`--no-modtime`) is stored as `modtime: false`, and its hidden `off` flag is `--modtime`.
 */
export function boolFlags(flag: string): { on: string; off: string } {
  return flag.startsWith("--no-")
    ? { on: flag, off: `--${flag.slice(5)}` }
    : { on: flag, off: `--no-${flag.slice(2)}` };
}

/** The value commander parsed for a boolean option's flag pair, or undefined when not given. */
function boolGiven(opts: Record<string, unknown>, flag: string): boolean | undefined {
  if (!flag.startsWith("--no-")) return opts[attrName(flag)] as boolean | undefined;
  const v = opts[attrName(`--${flag.slice(5)}`)];
  return v === undefined ? undefined : !v;
}

/** The value commander parsed for option `def` of `group` (its `flag`), or undefined. */
function givenValue(opts: Record<string, unknown>, def: OptionDef, flag: string): unknown {
  return def.type === "bool" ? boolGiven(opts, flag) : opts[attrName(flag)];
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
      const { on, off } = boolFlags(m[1]!);
      out.push(b ? on : off);
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
    const given = givenValue(opts, def, flag);
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
    const flag = flagName(group, def);
    const given = givenValue(opts, def, flag);
    if (given !== undefined) out[def.name] = String(given);
    else if (env[envName(group, def)]) out[def.name] = env[envName(group, def)]!;
  }
  return out;
}

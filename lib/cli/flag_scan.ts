/**
 * @module
 * A commander-free scan of a command line that names one subcommand and gives only flags, e.g.
 * `serve docker --base-dir /x -v`: the way the Docker plugin daemon is started. Loading
 * commander pulls in `node:child_process`, `node:events`, `node:fs`… and their Node
 * compatibility layer, which costs the resident daemon megabytes; this scan lets `main.ts`
 * start `serve docker` without it.
 *
 * It accepts only what it reads exactly as commander would (so the two agree; a test compares
 * them on the real program): long flags of the given option groups as `--flag value` and
 * `--flag=value`, booleans as `--flag` / `--no-flag` (after `normaliseBoolArgs`), the counting
 * `-v`/`--verbose` and one-letter boolean shorts, alone or combined (`-vv`). Root-program flags
 * may stand anywhere, as commander reads them; the leaf command's only after its name. For
 * anything else (help, unknown flags, operands, `--`, a value that looks like a flag, a missing
 * value) it returns `undefined` and the caller uses commander, which also words the errors.
 */
import { flagName, type OptionGroup } from "../config/option_schema.ts";
import { attrName, boolFlags } from "./option_values.ts";

/** What a command line must look like for {@link scanFlags}. */
export interface FlagScanSpec {
  /** The subcommand names, in order, e.g. `["serve", "docker"]`. */
  path: readonly string[];
  /** Option groups whose flags belong to the root program (global and backend flags). */
  programGroups: readonly OptionGroup[];
  /** Option groups whose flags belong to the leaf command. */
  commandGroups: readonly OptionGroup[];
}

/** Parsed flags, keyed and valued as commander's `opts()` of each command. */
export interface ScannedFlags {
  /** The root program's options. */
  program: Record<string, unknown>;
  /** The leaf command's options. */
  command: Record<string, unknown>;
}

type Kind = "value" | "true" | "false" | "count";

interface FlagEntry {
  level: "program" | "command";
  attr: string;
  kind: Kind;
}

function flagTable(spec: FlagScanSpec): Map<string, FlagEntry> {
  const table = new Map<string, FlagEntry>();
  const add = (flag: string, e: FlagEntry) => {
    // The root program reads its flags first, as commander does.
    if (!table.has(flag)) table.set(flag, e);
  };
  const levels = [["program", spec.programGroups], ["command", spec.commandGroups]] as const;
  for (const [level, groups] of levels) {
    for (const group of groups) {
      for (const def of group.options) {
        const long = flagName(group, def);
        const short = def.short ? `-${def.short}` : undefined;
        if (def.name === "verbose") {
          const e: FlagEntry = { level, attr: attrName(long), kind: "count" };
          add(long, e);
          if (short) add(short, e);
        } else if (def.type === "bool") {
          const { on, off } = boolFlags(long);
          for (const f of [on, off]) {
            const negated = f.startsWith("--no-");
            add(f, {
              level,
              attr: attrName(negated ? `--${f.slice(5)}` : f),
              kind: negated ? "false" : "true",
            });
          }
          if (short) add(short, table.get(on)!);
        } else {
          const e: FlagEntry = { level, attr: attrName(long), kind: "value" };
          add(long, e);
          if (short) add(short, e);
        }
      }
    }
  }
  return table;
}

/**
 * Scans `argv` (normalised by `normaliseBoolArgs`) for the subcommand `spec.path` and its flags;
 * `undefined` when the command line needs commander.
 */
export function scanFlags(argv: readonly string[], spec: FlagScanSpec): ScannedFlags | undefined {
  const table = flagTable(spec);
  const out: ScannedFlags = { program: {}, command: {} };
  let depth = 0;
  const set = (e: FlagEntry, value?: string): boolean => {
    // Leaf-command flags only after the leaf command's name.
    if (e.level === "command" && depth < spec.path.length) return false;
    const dest = out[e.level];
    if (e.kind === "value") dest[e.attr] = value;
    else if (e.kind === "count") {
      dest[e.attr] = (typeof dest[e.attr] === "number" ? dest[e.attr] as number : 0) + 1;
    } else dest[e.attr] = e.kind === "true";
    return true;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const name = eq > 0 ? a.slice(0, eq) : a;
      const e = table.get(name);
      if (!e) return undefined;
      if (e.kind !== "value") {
        if (eq > 0 || !set(e)) return undefined;
        continue;
      }
      let value: string | undefined;
      if (eq > 0) value = a.slice(eq + 1);
      else {
        value = argv[++i];
        if (value === undefined || value.startsWith("-")) return undefined;
      }
      if (!set(e, value)) return undefined;
    } else if (a.startsWith("-") && a.length > 1) {
      // One-letter flags, alone or combined, that take no value.
      for (const c of a.slice(1)) {
        const e = table.get(`-${c}`);
        if (!e || e.kind === "value" || !set(e)) return undefined;
      }
    } else {
      if (depth >= spec.path.length || a !== spec.path[depth]) return undefined;
      depth++;
    }
  }
  return depth === spec.path.length ? out : undefined;
}

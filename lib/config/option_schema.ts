/**
 * @module
 * The one option schema. Every option group (global, mount, VFS, each backend) declares its
 * options once with {@link OptionDef}; CLI flags, `RCLONE_*` env vars, Docker `-o` keys,
 * defaults and the options reference are all derived from that declaration.
 *
 * Values follow rclone's syntax: booleans as Go's `strconv.ParseBool`, sizes with binary
 * suffixes (bare number = KiB), durations like `1h30m`/`100s`/`250ms`/`2d` (bare = seconds),
 * octal file modes, comma-separated lists.
 */

/** The kinds of value an option holds. */
export type OptionType =
  | "bool"
  | "int"
  | "size"
  | "duration"
  | "string"
  | "enum"
  | "mode"
  | "list"
  | "tristate";

/** The parsed value of an option: sizes in bytes (-1 = off), durations in ms (-1 = off). */
export type OptionValue = boolean | number | string | string[] | null;

/** One option, declared once. `name` is rclone's snake_case name (`vfs_cache_mode`, `host`). */
export interface OptionDef {
  /** rclone's option name with underscores, e.g. `vfs_cache_mode` or `key_file`. */
  name: string;
  /** Value kind. */
  type: OptionType;
  /** Default value, already parsed (bytes for sizes, ms for durations). */
  default: OptionValue;
  /** One-line help text for `--help` and the options reference. */
  help: string;
  /** Allowed values of an `enum` (compared case-insensitively). */
  choices?: readonly string[];
  /** One-letter CLI alias without the dash, e.g. `v`. */
  short?: string;
  /**
   * A password rclone stores obscured (`IsPassword`): given obscured in config, `-o` and
   * connection strings, revealed by the backend, obscured by `config create`.
   */
  obscured?: boolean;
  /** A secret that is not obscured (tokens, PEM keys): never logged or shown. */
  sensitive?: boolean;
  /** Shown only in the full reference, not in short help. */
  advanced?: boolean;
  /** Text for the default in help when the real default depends on the machine. */
  defaultText?: string;
}

/** A named group of options sharing a flag/env prefix. */
export interface OptionGroup {
  /** Group id: `global`, `mount`, `vfs`, `serve_docker`, or a backend type. */
  id: string;
  /** Prefix of flags and env vars: `""` for global/mount/vfs groups, the backend type otherwise. */
  prefix: string;
  /** The options. */
  options: readonly OptionDef[];
}

/** An error in an option value or key; the message names the option and the bad value. */
export class OptionError extends Error {
  /** Creates an option error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "OptionError";
  }
}

/** Parses a boolean exactly as Go's `strconv.ParseBool`. Returns undefined if invalid. */
export function parseBool(s: string): boolean | undefined {
  switch (s) {
    case "1":
    case "t":
    case "T":
    case "TRUE":
    case "true":
    case "True":
      return true;
    case "0":
    case "f":
    case "F":
    case "FALSE":
    case "false":
    case "False":
      return false;
  }
  return undefined;
}

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
  p: 1024 ** 5,
};

/** Parses an rclone size (`100`, `10M`, `1.5G`, `64Ki`, `1MiB`, `off`) to bytes; -1 for off. */
export function parseSize(s: string): number {
  const t = s.trim();
  if (t.toLowerCase() === "off") return -1;
  const m = /^([0-9]*\.?[0-9]+)\s*([bkmgtp])?(i?b?)?$/i.exec(t);
  if (!m || (m[3] && !m[2] && m[3].toLowerCase() !== "b")) {
    throw new OptionError(
      `invalid size ${JSON.stringify(s)}: use a number with B, K, M, G, T or P`,
    );
  }
  const n = Number(m[1]);
  const unit = m[2] ? m[2].toLowerCase() : (m[3] ? "b" : "k");
  return Math.round(n * SIZE_UNITS[unit]!);
}

/** Formats bytes as rclone prints sizes (`128Mi`, `off`). */
export function formatSize(n: number): string {
  if (n < 0) return "off";
  const units = ["", "Ki", "Mi", "Gi", "Ti", "Pi"];
  let i = 0;
  let v = n;
  while (v >= 1024 && v % 1024 === 0 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v}B` : `${v}${units[i]}`;
}

const DURATION_UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
  M: 30 * 86_400_000,
  y: 365 * 86_400_000,
};

/** Parses an rclone duration (`1h30m`, `100s`, `250ms`, `2d`, bare seconds, `off`) to ms; -1 = off. */
export function parseDuration(s: string): number {
  const t = s.trim();
  if (t === "off") return -1;
  if (/^-?[0-9]*\.?[0-9]+$/.test(t)) return Number(t) * 1000;
  const re = /([0-9]*\.?[0-9]+)(ns|us|µs|ms|s|m|h|d|w|M|y)/gy;
  let total = 0;
  let pos = 0;
  let neg = false;
  let body = t;
  if (body.startsWith("-")) {
    neg = true;
    body = body.slice(1);
  }
  re.lastIndex = 0;
  while (pos < body.length) {
    re.lastIndex = pos;
    const m = re.exec(body);
    if (!m) {
      throw new OptionError(
        `invalid duration ${JSON.stringify(s)}: use e.g. 1h30m, 100s, 250ms or 2d`,
      );
    }
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    pos = re.lastIndex;
  }
  if (body.length === 0) throw new OptionError(`invalid duration ${JSON.stringify(s)}`);
  return neg ? -total : total;
}

/** Formats ms as a Go-style duration (`1h30m0s`, `250ms`, `off`). */
export function formatDuration(ms: number): string {
  if (ms < 0) return "off";
  if (ms === 0) return "0s";
  if (ms < 1000) return `${ms}ms`;
  let rest = ms / 1000;
  const h = Math.floor(rest / 3600);
  rest -= h * 3600;
  const m = Math.floor(rest / 60);
  rest -= m * 60;
  const sec = Number(rest.toFixed(3));
  return `${h ? `${h}h` : ""}${h || m ? `${m}m` : ""}${sec}s`;
}

/** Parses an octal file mode (`0022`, `755`). */
export function parseMode(s: string): number {
  if (!/^[0-7]{1,4}$/.test(s.trim())) {
    throw new OptionError(`invalid file mode ${JSON.stringify(s)}: use octal digits like 0755`);
  }
  return parseInt(s.trim(), 8);
}

/** Parses a raw string into the option's typed value; the error names the option. */
export function parseOptionValue(def: OptionDef, raw: string): OptionValue {
  const bad = (why: string, cause?: unknown): never => {
    throw new OptionError(
      `invalid value for option ${JSON.stringify(def.name)}: ${why}`,
      cause ? { cause } : undefined,
    );
  };
  try {
    switch (def.type) {
      case "bool": {
        const b = parseBool(raw.trim());
        return b === undefined ? bad(`${JSON.stringify(raw)} is not a boolean`) : b;
      }
      case "tristate": {
        if (raw.trim().toLowerCase() === "unset") return null;
        const b = parseBool(raw.trim());
        return b === undefined ? bad(`${JSON.stringify(raw)} is not true, false or unset`) : b;
      }
      case "int": {
        if (!/^[+-]?[0-9]+$/.test(raw.trim())) bad(`${JSON.stringify(raw)} is not an integer`);
        return Number(raw.trim());
      }
      case "size":
        return parseSize(raw);
      case "duration":
        return parseDuration(raw);
      case "mode":
        return parseMode(raw);
      case "enum": {
        const v = raw.trim().toLowerCase();
        const hit = def.choices?.find((c) => c.toLowerCase() === v);
        return hit ?? bad(`${JSON.stringify(raw)} is not one of ${def.choices?.join(", ")}`);
      }
      case "list":
        return raw.split(",").map((x) => x.trim()).filter((x) => x !== "");
      case "string":
        return raw;
    }
  } catch (err) {
    if (err instanceof OptionError && err.message.startsWith("invalid value for option")) throw err;
    return bad((err as Error).message, err);
  }
}

/** Formats a typed value back to the syntax {@link parseOptionValue} reads. */
export function formatOptionValue(def: OptionDef, v: OptionValue): string {
  if (v === null) return "unset";
  switch (def.type) {
    case "size":
      return formatSize(v as number);
    case "duration":
      return formatDuration(v as number);
    case "mode":
      return (v as number).toString(8).padStart(4, "0");
    case "list":
      return (v as string[]).join(",");
    default:
      return String(v);
  }
}

/** Normalises a user-given key: lower case, one leading `--` stripped, `-` → `_`. */
export function normaliseKey(key: string): string {
  let k = key.trim().toLowerCase();
  if (k.startsWith("--")) k = k.slice(2);
  return k.replaceAll("-", "_");
}

/** The CLI flag of an option, e.g. `--vfs-cache-mode` or `--sftp-key-file`. */
export function flagName(group: OptionGroup, def: OptionDef): string {
  const base = group.prefix ? `${group.prefix}_${def.name}` : def.name;
  return `--${base.replaceAll("_", "-")}`;
}

/** The env var of an option, e.g. `RCLONE_VFS_CACHE_MODE` or `RCLONE_SFTP_KEY_FILE`. */
export function envName(group: OptionGroup, def: OptionDef): string {
  const base = group.prefix ? `${group.prefix}_${def.name}` : def.name;
  return `RCLONE_${base.toUpperCase()}`;
}

/** Finds an option of a group by any spelling of its name (`vfs-cache-mode`, `VFS_CACHE_MODE`). */
export function findOption(group: OptionGroup, key: string): OptionDef | undefined {
  const k = normaliseKey(key);
  return group.options.find((o) => o.name === k);
}

/** The defaults of a group as a name → value record. */
export function defaultsOf(group: OptionGroup): Record<string, OptionValue> {
  const out: Record<string, OptionValue> = {};
  for (const o of group.options) out[o.name] = o.default;
  return out;
}

/**
 * Resolves a group's values: defaults, then `RCLONE_*` env vars, then `overrides` (raw
 * strings keyed by any spelling of the option name; later sources win). Unknown override keys
 * are an error naming the key.
 */
export function resolveOptions(
  group: OptionGroup,
  overrides: Record<string, string> = {},
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Record<string, OptionValue> {
  const out = defaultsOf(group);
  for (const o of group.options) {
    const raw = env[envName(group, o)];
    if (raw !== undefined && raw !== "") out[o.name] = parseOptionValue(o, raw);
  }
  for (const [k, raw] of Object.entries(overrides)) {
    const o = findOption(group, k);
    if (!o) throw new OptionError(`unknown option ${JSON.stringify(k)} for ${group.id}`);
    out[o.name] = parseOptionValue(o, raw);
  }
  return out;
}

/**
 * @module
 * Creating and updating remotes in rclone.conf as `rclone config create/update` do, with the
 * keys checked against the backend's declared options: keys are normalised to the option's
 * name (`key-file` → `key_file`), values are checked with the option's parser, and password
 * options (`obscured`) are stored obscured unless the value already reveals (or `--obscure` /
 * `--no-obscure` force the choice). `create` replaces an existing remote of the same name.
 */

import { getBackendInfo } from "../backends/registry.ts";
import type { BackendInfo } from "../backends/registry.ts";
import { findOption, OptionError, parseOptionValue } from "./option_schema.ts";
import { ConfigError } from "./config_error.ts";
import { obscure, tryReveal } from "./obscure.ts";
import { checkConfigName } from "./remote_path.ts";
import type { RcloneConf } from "./rclone_conf.ts";

/** How password options are treated, as rclone's `--obscure` / `--no-obscure`. */
export interface ObscureChoice {
  /** Obscure password options even if the value already reveals. */
  obscure?: boolean;
  /** Store password options exactly as given. */
  noObscure?: boolean;
}

/**
 * Turns command-line arguments in `key value` or `key=value` form (mixed freely, as rclone
 * does) into ordered pairs. Throws {@link ConfigError} for a key without a value.
 */
export function parseKeyValueArgs(args: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.indexOf("=");
    if (eq >= 0) {
      out.push([arg.slice(0, eq), arg.slice(eq + 1)]);
      continue;
    }
    if (i + 1 >= args.length) {
      throw new ConfigError(`found key without value: ${JSON.stringify(arg)}`);
    }
    out.push([arg, args[++i]!]);
  }
  return out;
}

function backendFor(type: string): BackendInfo {
  const info = getBackendInfo(type);
  if (!info) throw new ConfigError(`couldn't find backend for type ${JSON.stringify(type)}`);
  return info;
}

/** Checks and converts one key/value for a backend; returns the stored key and value. */
function prepare(
  info: BackendInfo,
  remote: string,
  key: string,
  value: string,
  choice: ObscureChoice,
): [string, string] {
  const def = findOption(info.options, key);
  if (!def) {
    throw new ConfigError(
      `unknown option ${JSON.stringify(key)} for remote ${JSON.stringify(remote)} of type ${
        JSON.stringify(info.type)
      }`,
    );
  }
  if (def.obscured) {
    if (choice.noObscure || value === "") return [def.name, value];
    if (choice.obscure || tryReveal(value) === undefined) return [def.name, obscure(value)];
    return [def.name, value];
  }
  if (value !== "") {
    try {
      parseOptionValue(def, value);
    } catch (err) {
      if (err instanceof OptionError) {
        throw new ConfigError(`remote ${JSON.stringify(remote)}: ${err.message}`, { cause: err });
      }
      throw err;
    }
  }
  return [def.name, value];
}

function checkChoice(choice: ObscureChoice): void {
  if (choice.obscure && choice.noObscure) {
    throw new ConfigError("can't use --obscure and --no-obscure together");
  }
}

/**
 * Creates (or replaces) remote `name` of backend `type` with the given options; does not save.
 * Throws {@link ConfigError} (or a `RemotePathError` for a bad name) naming the problem.
 */
export function createRemote(
  conf: RcloneConf,
  name: string,
  type: string,
  pairs: readonly [string, string][],
  choice: ObscureChoice = {},
): void {
  checkChoice(choice);
  checkConfigName(name);
  const info = backendFor(type);
  const prepared = pairs.map(([k, v]) => prepare(info, name, k, v, choice));
  conf.deleteSection(name);
  conf.set(name, "type", type);
  for (const [k, v] of prepared) conf.set(name, k, v);
}

/**
 * Updates options of the existing remote `name`; does not save. A `type` key changes the
 * backend type (to a registered one). Throws {@link ConfigError} naming the problem.
 */
export function updateRemote(
  conf: RcloneConf,
  name: string,
  pairs: readonly [string, string][],
  choice: ObscureChoice = {},
): void {
  checkChoice(choice);
  checkConfigName(name);
  const newType = pairs.filter(([k]) => k === "type").map(([, v]) => v).pop();
  const type = newType ?? conf.get(name, "type");
  if (!conf.hasSection(name) || !type) {
    throw new ConfigError(`couldn't find type field in config for remote ${JSON.stringify(name)}`);
  }
  const info = backendFor(type);
  const prepared = pairs.filter(([k]) => k !== "type").map(([k, v]) =>
    prepare(info, name, k, v, choice)
  );
  if (newType !== undefined) conf.set(name, "type", newType);
  for (const [k, v] of prepared) conf.set(name, k, v);
}

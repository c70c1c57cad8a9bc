/**
 * @module
 * Process-wide global settings resolved once from the global flags and env
 * (`--config`, `--cache-dir`, log level and file, `--password-command`), readable by every
 * command's action.
 */
import { defaultCacheDir, defaultConfigPath } from "../config/config_paths.ts";
import type { OptionGroup, OptionValue } from "../config/option_schema.ts";
import { setPasswordCommand, splitCommandLine } from "../config/password_command.ts";
import { setLogFile, setLogLevel } from "../util/log.ts";
import { GLOBAL_OPTIONS } from "./global_options.ts";
import { givenRawValues, groupValues } from "./option_values.ts";

/** The resolved global settings. */
export interface Globals {
  /** Path of rclone.conf. */
  configPath: string;
  /** Cache directory (VFS cache, plugin state). */
  cacheDir: string;
  /** Retries of low-level operations. */
  lowLevelRetries: number;
  /** Backend flags given on the command line or as `RCLONE_<TYPE>_<KEY>`, keyed `type_key`. */
  backendFlags: Record<string, string>;
}

let current: Globals | undefined;

/** Applies resolved global option values: sets paths and configures logging. */
export function applyGlobals(
  v: Record<string, OptionValue>,
  backendFlags: Record<string, string> = {},
): Globals {
  const verbose = Number(v.verbose ?? 0);
  let level = String(v.log_level ?? "NOTICE");
  if (verbose >= 2) level = "DEBUG";
  else if (verbose === 1) level = "INFO";
  if (v.quiet === true) level = "ERROR";
  setLogLevel(level);
  if (v.log_file) setLogFile(String(v.log_file));
  setPasswordCommand(v.password_command ? splitCommandLine(String(v.password_command)) : undefined);
  current = {
    configPath: String(v.config || "") || defaultConfigPath(),
    cacheDir: String(v.cache_dir || "") || defaultCacheDir(),
    lowLevelRetries: Number(v.low_level_retries ?? 10),
    backendFlags,
  };
  return current;
}

/**
 * Applies the root program's parsed flags (keyed as commander keys them): the global options,
 * and the backend flags given for `backendGroups` on the command line or as `RCLONE_<TYPE>_<KEY>`
 * (`--sftp-key-file` → `sftp_key_file`), which are global in rclone.
 */
export function applyProgramFlags(
  opts: Record<string, unknown>,
  backendGroups: readonly OptionGroup[],
): Globals {
  const backendFlags: Record<string, string> = {};
  for (const g of backendGroups) {
    for (const [k, v] of Object.entries(givenRawValues(opts, g))) {
      backendFlags[`${g.prefix}_${k}`] = v;
    }
  }
  return applyGlobals(groupValues(opts, GLOBAL_OPTIONS), backendFlags);
}

/** The global settings; valid inside a command's action (defaults if none were applied). */
export function globals(): Globals {
  return current ?? applyGlobals({});
}

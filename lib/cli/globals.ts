/**
 * @module
 * Process-wide global settings resolved once from the global flags and env
 * (`--config`, `--cache-dir`, log level and file, `--password-command`), readable by every
 * command's action.
 */
import { defaultCacheDir, defaultConfigPath } from "../config/config_paths.ts";
import type { OptionValue } from "../config/option_schema.ts";
import { setPasswordCommand, splitCommandLine } from "../config/password_command.ts";
import { setLogFile, setLogLevel } from "../util/log.ts";

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

/** The global settings; valid inside a command's action (defaults if none were applied). */
export function globals(): Globals {
  return current ?? applyGlobals({});
}

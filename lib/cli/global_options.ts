/**
 * @module
 * The global option group: flags every command accepts (`--config`, `--cache-dir`, `-v`,
 * `-q`, `--log-level`, `--log-file`, `--password-command`, `--low-level-retries`), with rclone's names, defaults and
 * `RCLONE_*` env vars.
 */
import type { OptionGroup } from "../config/option_schema.ts";

/** The global options, declared once. */
export const GLOBAL_OPTIONS: OptionGroup = {
  id: "global",
  prefix: "",
  options: [
    {
      name: "config",
      type: "string",
      default: "",
      help: "Config file",
      defaultText: "$RCLONE_CONFIG or ~/.config/rclone/rclone.conf",
    },
    {
      name: "cache_dir",
      type: "string",
      default: "",
      help: "Directory rclone will use for caching",
      defaultText: "$XDG_CACHE_HOME/rclone or ~/.cache/rclone",
    },
    {
      name: "verbose",
      type: "int",
      default: 0,
      short: "v",
      help: "Print lots more stuff (repeat for more)",
    },
    {
      name: "quiet",
      type: "bool",
      default: false,
      short: "q",
      help: "Print as little stuff as possible",
    },
    {
      name: "log_level",
      type: "enum",
      default: "NOTICE",
      choices: ["DEBUG", "INFO", "NOTICE", "ERROR"],
      help: "Log level",
    },
    {
      name: "log_file",
      type: "string",
      default: "",
      help: "Log everything to this file",
    },
    {
      name: "password_command",
      type: "string",
      default: "",
      help: "Command for supplying password for encrypted configuration",
    },
    {
      name: "low_level_retries",
      type: "int",
      default: 10,
      help: "Number of low level retries to do",
    },
  ],
};

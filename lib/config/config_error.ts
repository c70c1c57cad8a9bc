/**
 * @module
 * The error every config module throws for a problem the user must fix (a bad config file, a
 * wrong config password, an unknown remote). It is a {@link UsageError}, so the CLI prints the
 * message and exits non-zero; messages name the file, section or key, never a secret value.
 */

import { UsageError } from "../errors.ts";

/** A configuration problem; exits with code 1 like rclone's fatal config errors. */
export class ConfigError extends UsageError {
  /** Creates a config error with a message naming the bad file, section or key. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, 1, options);
    this.name = "ConfigError";
  }
}

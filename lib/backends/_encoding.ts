/**
 * @module
 * Validation of rclone's `encoding` backend option (a comma-separated list of encoder names,
 * as in `Slash,Dot`). denoclone passes names through unchanged, so the value is only checked,
 * with rclone's error text for a bad name.
 */

import { BackendConfigError } from "./registry.ts";

/** The encoder names rclone accepts (case-sensitive). */
export const ENCODER_NAMES: readonly string[] = [
  "Asterisk",
  "BackQuote",
  "BackSlash",
  "Colon",
  "CrLf",
  "Ctl",
  "Del",
  "Dollar",
  "Dot",
  "DoubleQuote",
  "Hash",
  "InvalidUtf8",
  "LeftCrLfHtVt",
  "LeftPeriod",
  "LeftSpace",
  "LeftTilde",
  "LtGt",
  "None",
  "Percent",
  "Pipe",
  "Question",
  "RightCrLfHtVt",
  "RightPeriod",
  "RightSpace",
  "Semicolon",
  "SingleQuote",
  "Slash",
  "SquareBracket",
];

/** Throws BackendConfigError naming the option and the bad encoder name. */
export function checkEncoding(value: string, type: string, option = "encoding"): void {
  if (value === "") return;
  for (const part of value.split(",")) {
    const name = part.trim();
    if (!ENCODER_NAMES.includes(name)) {
      throw new BackendConfigError(
        `${type}: invalid value for option ${JSON.stringify(option)}: bad encoding ${
          JSON.stringify(name)
        }: possible values are: ${ENCODER_NAMES.join(", ")}`,
      );
    }
  }
}

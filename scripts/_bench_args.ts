/**
 * @module
 * Command-line flags of the benchmark scripts (`--name value`), parsed the same way in each.
 */

/** The value after `--name` in `args`, or `dflt` when the flag or its value is missing. */
export function flagValue(args: readonly string[], name: string, dflt: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : dflt;
}

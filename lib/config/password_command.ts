/**
 * @module
 * rclone's `--password-command` (`RCLONE_PASSWORD_COMMAND`): a command whose standard output is
 * the password of an encrypted rclone.conf, so a daemon (systemd, the Docker plugin) can read
 * the password from a secret store instead of an environment variable. The command line is split
 * on spaces with double quotes grouping words (`""` inside quotes is a literal quote), as rclone's
 * space-separated lists are; it runs without a shell. The output's trailing line break is dropped;
 * an empty output, a non-zero exit or a command that can't start is a {@link ConfigError} naming
 * the command (never the output). The password is registered with the log's redaction and kept
 * for the process's lifetime, so the command runs once however many remotes load the config.
 */

import { addSecret } from "../util/log.ts";
import { ConfigError } from "./config_error.ts";

/**
 * Splits a command line into words: spaces separate, double quotes group (`"a b"`), and `""`
 * inside quotes is one literal quote. Throws {@link ConfigError} on an unclosed quote.
 */
export function splitCommandLine(line: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        word += '"';
        i++;
      } else if (c === '"') quoted = false;
      else word += c;
    } else if (c === '"') {
      quoted = true;
      inWord = true;
    } else if (c === " " || c === "\t") {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quoted) {
    throw new ConfigError(`password command: unclosed quote in ${JSON.stringify(line)}`);
  }
  if (inWord) words.push(word);
  return words;
}

let defaultCommand: string[] | undefined;
const results = new Map<string, Promise<string>>();

/** Sets the process-wide password command (from `--password-command`); empty or undefined = none. */
export function setPasswordCommand(argv: string[] | undefined): void {
  defaultCommand = argv?.length ? [...argv] : undefined;
}

/** The process-wide password command, if one was set. */
export function passwordCommand(): string[] | undefined {
  return defaultCommand;
}

/**
 * Runs `argv` and returns its output without the trailing line break; the result is kept, so
 * later calls with the same command don't run it again (a failure is not kept).
 */
export function runPasswordCommand(argv: string[]): Promise<string> {
  const key = JSON.stringify(argv);
  let p = results.get(key);
  if (!p) {
    p = runOnce(argv);
    results.set(key, p);
    p.catch(() => results.delete(key));
  }
  return p;
}

async function runOnce(argv: string[]): Promise<string> {
  const name = JSON.stringify(argv[0] ?? "");
  if (argv.length === 0) throw new ConfigError("password command is empty");
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(argv[0]!, {
      args: argv.slice(1),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (err) {
    throw new ConfigError(
      `password command ${name} failed to run: ${(err as Error).message}`,
      { cause: err },
    );
  }
  if (!out.success) {
    const stderr = new TextDecoder().decode(out.stderr).trim().split("\n")[0]?.slice(0, 200);
    throw new ConfigError(
      `password command ${name} failed: exit code ${out.code}${stderr ? `: ${stderr}` : ""}`,
    );
  }
  const password = new TextDecoder().decode(out.stdout).replace(/\r?\n$/, "");
  if (password === "") throw new ConfigError(`password command ${name} returned empty string`);
  addSecret(password);
  return password;
}

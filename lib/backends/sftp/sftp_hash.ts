/**
 * @module
 * Server-side hashes for the sftp backend, as rclone does them: when the server has a shell,
 * `md5sum`/`sha1sum` run over an SSH exec channel. The shell type and the commands are
 * detected once (`echo ${ShellVar}%ComSpec%` tells a unix shell from Windows cmd; a hash
 * command is accepted when it prints the known hash of empty input) unless `shell_type`,
 * `md5sum_command`, `sha1sum_command` or `disable_hashcheck` say otherwise.
 */

import type { HashType } from "../backend.ts";
import type { SshConnection } from "./ssh_connection.ts";

/** The shell kinds rclone knows. */
export type ShellType = "none" | "unix" | "powershell" | "cmd";

/** The detected (or configured) hashing setup. */
export interface HashSetup {
  /** The remote shell kind. */
  shellType: ShellType;
  /** Command per hash type; a type is supported when present. */
  commands: Partial<Record<HashType, string>>;
}

const EMPTY: Record<"md5" | "sha1", string> = {
  md5: "d41d8cd98f00b204e9800998ecf8427e",
  sha1: "da39a3ee5e6b4b0d3255bfef95601890afd80709",
};

const CANDIDATES: Record<"md5" | "sha1", string[]> = {
  md5: ["md5sum", "md5 -r", "rclone md5sum"],
  sha1: ["sha1sum", "sha1 -r", "rclone sha1sum"],
};

/** Quotes a path for the given shell (single quotes for unix, double quotes otherwise). */
export function shellQuote(path: string, shell: ShellType): string {
  if (shell === "unix") return `'${path.replaceAll("'", `'\\''`)}'`;
  if (shell === "powershell") return `'${path.replaceAll("'", "''")}'`;
  return `"${path.replaceAll('"', '""')}"`;
}

/** Detects the remote shell from the output of `echo ${ShellVar}%ComSpec%`. */
export async function detectShell(conn: SshConnection): Promise<ShellType> {
  try {
    const r = await conn.exec("echo ${ShellVar}%ComSpec%", 10_000);
    const out = r.stdout.trim();
    if (r.code !== 0 || out === "") return "none";
    if (out === "%ComSpec%") return "unix";
    if (out.startsWith("${ShellVar}")) return "cmd";
    return "powershell";
  } catch {
    return "none";
  }
}

/** Finds a working command for a hash type (one whose output on empty input is right). */
export async function detectHashCommand(
  conn: SshConnection,
  type: "md5" | "sha1",
): Promise<string | undefined> {
  for (const cmd of CANDIDATES[type]) {
    try {
      const r = await conn.exec(cmd, 10_000);
      if (r.code === 0 && parseHashOutput(r.stdout) === EMPTY[type]) return cmd;
    } catch {
      // Try the next one.
    }
  }
  return undefined;
}

/** The hash in a `md5sum`-style line (first field, lower-cased), or undefined. */
export function parseHashOutput(out: string): string | undefined {
  const first = out.trim().split(/\s+/)[0]?.toLowerCase();
  return first && /^[0-9a-f]{32,128}$/.test(first) ? first : undefined;
}

/** Works out the hashing setup from the options, asking the server only what is not given. */
export async function hashSetup(
  conn: SshConnection | undefined,
  opts: {
    disableHashcheck: boolean;
    shellType: string;
    md5sumCommand: string;
    sha1sumCommand: string;
  },
): Promise<HashSetup> {
  const commands: HashSetup["commands"] = {};
  let shellType = (opts.shellType || "") as ShellType;
  if (opts.disableHashcheck) return { shellType: shellType || "none", commands };
  if (!shellType) shellType = conn ? await detectShell(conn) : "none";
  if (shellType === "none") return { shellType, commands };
  for (const t of ["md5", "sha1"] as const) {
    const given = t === "md5" ? opts.md5sumCommand : opts.sha1sumCommand;
    if (given === "none") continue;
    if (given) commands[t] = given;
    else if (conn && shellType === "unix") {
      const found = await detectHashCommand(conn, t);
      if (found) commands[t] = found;
    }
  }
  return { shellType, commands };
}

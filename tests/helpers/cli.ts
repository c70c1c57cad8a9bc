/**
 * @module
 * Runs denoclone as a black box: the built artifact `dist/denoclone` when `DENOCLONE_BIN`
 * points at it (the test command builds it first), else `deno run -A main.ts` from the tree
 * (with the shipped V8 flags).
 */

import { RUN_V8_FLAGS } from "../../scripts/permissions.ts";

const root = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

/** The program and leading arguments that start denoclone. */
export function denocloneArgv(): [string, string[]] {
  const bin = Deno.env.get("DENOCLONE_BIN");
  if (bin) return [bin, []];
  return [Deno.execPath(), ["run", "-A", ...RUN_V8_FLAGS, "--quiet", `${root}/main.ts`]];
}

/** A `Deno.Command` that runs `denoclone <args>`. */
export function denocloneCommand(args: string[], options: Deno.CommandOptions = {}): Deno.Command {
  const [cmd, pre] = denocloneArgv();
  return new Deno.Command(cmd, { ...options, args: [...pre, ...args] });
}

/** Runs `denoclone <args>` to completion and returns exit code and decoded output. */
export async function runDenoclone(
  args: string[],
  options: Deno.CommandOptions = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await denocloneCommand(args, { stdout: "piped", stderr: "piped", ...options })
    .output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

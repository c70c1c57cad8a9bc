/**
 * @module
 * Runs Debian's `rclone` (the reference implementation) for interop checks, bounded in time.
 */

/**
 * Runs `rclone --config conf …args` under `timeout` (60 s, then SIGKILL 2 s later) with `env`
 * added to the environment; resolves to the exit code and stdout followed by stderr.
 */
export async function rcloneWithConf(
  conf: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string }> {
  const r = await new Deno.Command("timeout", {
    args: ["-k", "2", "60", "rclone", "--config", conf, ...args],
    env,
    stdin: "null",
  }).output();
  const d = new TextDecoder();
  return { code: r.code, out: d.decode(r.stdout) + d.decode(r.stderr) };
}

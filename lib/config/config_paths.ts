/**
 * @module
 * Default locations of rclone.conf and the cache directory, as rclone chooses them on Linux
 * (`fs/config/config.go: makeConfigPath`, `fs/config.go: makeCacheDir`), minus the
 * executable-directory candidate.
 */

/** An environment: variable name → value (unset variables are absent or undefined). */
export type Env = Record<string, string | undefined>;

function fileExists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === "" ? undefined : v;
}

/**
 * The config file rclone would use: `$RCLONE_CONFIG` if set; else the first existing of
 * `$XDG_CONFIG_HOME/rclone/rclone.conf` (or `~/.config/rclone/rclone.conf` when
 * `XDG_CONFIG_HOME` is unset) and `~/.rclone.conf`; else the first of those, where a new file
 * is created. Without a home directory the fallback is `.rclone.conf` in the working directory.
 */
export function defaultConfigPath(env: Env = Deno.env.toObject()): string {
  const explicit = nonEmpty(env["RCLONE_CONFIG"]);
  if (explicit) return explicit;
  const home = nonEmpty(env["HOME"]);
  const xdg = nonEmpty(env["XDG_CONFIG_HOME"]);
  const configDir = xdg ? `${xdg}/rclone` : home ? `${home}/.config/rclone` : undefined;
  const candidates: string[] = [];
  if (configDir) candidates.push(`${configDir}/rclone.conf`);
  if (home) candidates.push(`${home}/.rclone.conf`);
  for (const c of candidates) if (fileExists(c)) return c;
  return candidates[0] ?? ".rclone.conf";
}

/**
 * The cache directory rclone would use: `$RCLONE_CACHE_DIR`, else `$XDG_CACHE_HOME/rclone`,
 * else `~/.cache/rclone`, else `$TMPDIR/rclone` (or `/tmp/rclone`) without a home directory.
 */
export function defaultCacheDir(env: Env = Deno.env.toObject()): string {
  const explicit = nonEmpty(env["RCLONE_CACHE_DIR"]);
  if (explicit) return explicit;
  const xdg = nonEmpty(env["XDG_CACHE_HOME"]);
  if (xdg) return `${xdg}/rclone`;
  const home = nonEmpty(env["HOME"]);
  if (home) return `${home}/.cache/rclone`;
  return `${nonEmpty(env["TMPDIR"]) ?? "/tmp"}/rclone`;
}

/**
 * @module
 * Remotes defined in the environment: `RCLONE_CONFIG_<NAME>_<KEY>` (`fs/config.go:
 * ConfigToEnv`). The whole variable name is upper-cased; `-` becomes `_` in the key only, so
 * remote `my-remote` with key `ignore-size` is `RCLONE_CONFIG_MY-REMOTE_IGNORE_SIZE`. A
 * variable that is set counts even when empty, as in rclone.
 */

/** An environment: variable name → value (unset variables are absent or undefined). */
export type Env = Record<string, string | undefined>;

/** The environment variable name for a remote's key. */
export function envRemoteName(remoteName: string, key: string): string {
  return `RCLONE_CONFIG_${`${remoteName}_${key.replaceAll("-", "_")}`.toUpperCase()}`;
}

/** The value of `key` for remote `remoteName` from the environment, if the variable is set. */
export function envRemoteValue(env: Env, remoteName: string, key: string): string | undefined {
  return env[envRemoteName(remoteName, key)];
}

/** The backend type of an environment-defined remote (`RCLONE_CONFIG_<NAME>_TYPE`), if set. */
export function envRemoteType(env: Env, remoteName: string): string | undefined {
  const t = envRemoteValue(env, remoteName, "type");
  return t === "" ? undefined : t;
}

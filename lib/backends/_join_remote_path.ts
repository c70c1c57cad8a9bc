/**
 * @module
 * Joining a remote string and a path inside it, for the backends that wrap another remote
 * (alias, crypt), the way rclone's `fspath.JoinRootPath` does.
 */

/**
 * Joins a remote and a path inside it like rclone's `fspath.JoinRootPath`:
 * `other:` + `a` = `other:a`, `other:dir` + `a` = `other:dir/a`, `/data` + `a` = `/data/a`.
 */
export function joinRemotePath(remote: string, root: string): string {
  const sub = root.replace(/^\/+/, "");
  if (root === "" || sub === "") {
    return root.startsWith("/") && remote.endsWith(":") ? remote + "/" : remote;
  }
  if (remote.endsWith(":")) return remote + root;
  if (remote.endsWith("/")) return remote + sub;
  return `${remote}/${sub}`;
}

/**
 * @module
 * POSIX path arithmetic for paths of this machine: {@link resolvePath}, {@link joinPath} and
 * {@link dirName} give the same results as `node:path`'s `resolve`, `join` and `dirname` on
 * Linux. Modules that run in the plugin daemon use these instead of `node:path`: importing any
 * `node:` built-in makes Deno start its Node compatibility layer (measured: ~1-1.7 MiB resident
 * per process, paid once), which a daemon that needs nothing else from Node should not pay.
 * Pure string functions; only {@link resolvePath} reads the working directory.
 */

/**
 * The segments of `path` with `.` and empty ones dropped and `..` applied. Above the start a
 * `..` is kept when `aboveRoot` (a relative path) and dropped otherwise (`/..` is `/`).
 */
function normalSegments(path: string, aboveRoot: boolean): string[] {
  const out: string[] = [];
  for (const seg of path.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (aboveRoot) out.push("..");
      continue;
    }
    out.push(seg);
  }
  return out;
}

/**
 * `path` normalised as `node:path`'s `normalize`: `.` and repeated slashes removed, `..`
 * applied, a trailing slash kept, `"."` for an empty result.
 */
export function normalizePath(path: string): string {
  if (path === "") return ".";
  const absolute = path.startsWith("/");
  let out = normalSegments(path, !absolute).join("/");
  if (out === "" && !absolute) out = ".";
  if (out !== "" && path.endsWith("/")) out += "/";
  return absolute ? `/${out}` : out;
}

/**
 * The absolute, normalised path of `paths` taken right to left until one is absolute, as
 * `node:path`'s `resolve`: relative results are taken from `Deno.cwd()`; empty arguments are
 * skipped; no trailing slash except for `/` itself.
 */
export function resolvePath(...paths: string[]): string {
  let joined = "";
  let absolute = false;
  for (let i = paths.length - 1; i >= 0 && !absolute; i--) {
    const p = paths[i]!;
    if (p === "") continue;
    joined = joined === "" ? p : `${p}/${joined}`;
    absolute = p.startsWith("/");
  }
  if (!absolute) joined = joined === "" ? Deno.cwd() : `${Deno.cwd()}/${joined}`;
  return `/${normalSegments(joined, false).join("/")}`;
}

/** `paths` joined with `/` and normalised as `node:path`'s `join` (`"."` when all are empty). */
export function joinPath(...paths: string[]): string {
  const joined = paths.filter((p) => p !== "").join("/");
  return joined === "" ? "." : normalizePath(joined);
}

/**
 * The directory part of `path` as `node:path`'s `dirname`: everything before the last slash
 * that is not trailing (`"/a//b"` gives `"/a/"`, and `"//a"` gives `"//"`, as node's), `"."` for
 * a bare name, `/` for a name just under the root.
 */
export function dirName(path: string): string {
  if (path === "") return ".";
  let end = path.length;
  while (end > 1 && path[end - 1] === "/") end--;
  const slash = path.lastIndexOf("/", end - 1);
  if (slash < 0) return ".";
  if (slash === 0) return "/";
  // node keeps a leading "//" (POSIX leaves its meaning to the system) when nothing follows it
  return slash === 1 && path[0] === "/" ? "//" : path.slice(0, slash);
}

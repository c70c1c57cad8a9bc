/**
 * @module
 * Builds a backend from a remote string (`remote:path`, `:type,k=v:path`, `remote,k=v:path`
 * or a local path) the way rclone's `fs.NewFs` does. The type comes from the connection
 * string, from `RCLONE_CONFIG_<REMOTE>_TYPE` or from rclone.conf; each option value is taken
 * from the first source that has it, in rclone's order of precedence:
 *
 * 1. connection-string parameters (`:sftp,host=h:` or `remote,user=u:`),
 * 2. backend flags from the command line (`--sftp-host`, given as `flags.sftp_host`),
 * 3. `RCLONE_CONFIG_<REMOTE>_<OPTION>` (named remotes only),
 * 4. `RCLONE_<TYPE>_<OPTION>`,
 * 5. the remote's section in rclone.conf (empty values ignored),
 * 6. the option's default.
 */

import "./all.ts";
import type { Backend } from "./backend.ts";
import { BackendConfigError, type BackendInfo, loadBackendInfo } from "./registry.ts";
import {
  envName,
  normaliseKey,
  type OptionDef,
  OptionError,
  type OptionValue,
  parseOptionValue,
} from "../config/option_schema.ts";
import { formatRemotePath, parseRemotePath, type RemotePath } from "../config/remote_path.ts";
import type { RcloneConf } from "../config/rclone_conf.ts";

/** Where {@link newBackend} and {@link resolveRemote} read configuration from. */
export interface NewBackendContext {
  /** The loaded rclone.conf. */
  conf: RcloneConf;
  /** Environment for `RCLONE_*` lookups (default: the process environment). */
  env?: Record<string, string | undefined>;
  /** Backend flags from the command line, keyed like `sftp_host` (any spelling is accepted). */
  flags?: Record<string, string>;
}

/** A remote string resolved to a backend type, root and option values. */
export interface ResolvedRemote {
  /** Backend type, e.g. `local` or `sftp`. */
  type: string;
  /** Path inside the remote (a local path for `local`). */
  root: string;
  /** Option values with defaults filled; obscured options stay obscured. */
  options: Record<string, OptionValue>;
  /** Display name without secrets, e.g. `mysftp:dir` or `:local,case_sensitive='true':/d`. */
  name: string;
}

/** How deep wrapping remotes (alias of alias of …) may nest before it is called a loop. */
const MAX_DEPTH = 10;

/** The env var rclone reads a named remote's option from: `RCLONE_CONFIG_<NAME>_<KEY>`. */
export function remoteEnvName(remote: string, key: string): string {
  return `RCLONE_CONFIG_${remote}_${key.replaceAll("-", "_")}`.toUpperCase();
}

function isSecret(def: OptionDef | undefined): boolean {
  return def?.obscured === true || def?.sensitive === true;
}

function findDef(info: BackendInfo, key: string): OptionDef | undefined {
  const k = normaliseKey(key);
  return info.options.options.find((o) => o.name === k);
}

/** The display name of a remote: its parameters minus secret ones, plus the path. */
function displayName(rp: RemotePath, info: BackendInfo): string {
  if (rp.kind === "local") return rp.path;
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(rp.params)) {
    if (!rp.onTheFly && normaliseKey(k) === "type") continue;
    if (!isSecret(findDef(info, k))) params[k] = v;
  }
  try {
    return formatRemotePath({ ...rp, params });
  } catch {
    return `${rp.onTheFly ? ":" : ""}${rp.name}:${rp.path}`;
  }
}

/** Finds the backend type of a parsed remote; throws BackendConfigError naming the remote. */
function remoteType(
  rp: RemotePath,
  conf: RcloneConf,
  env: Record<string, string | undefined>,
): string {
  if (rp.kind === "local") return "local";
  if (rp.onTheFly) return rp.name;
  for (const [k, v] of Object.entries(rp.params)) {
    if (normaliseKey(k) === "type" && v !== "") return v;
  }
  const fromEnv = env[remoteEnvName(rp.name, "type")];
  if (fromEnv) return fromEnv;
  const fromConf = conf.get(rp.name, "type");
  if (fromConf) return fromConf;
  if (conf.getSection(rp.name) === undefined) {
    throw new BackendConfigError(
      `didn't find section in config file for remote ${JSON.stringify(rp.name)}`,
    );
  }
  throw new BackendConfigError(`couldn't find type of remote ${JSON.stringify(rp.name)}`);
}

/**
 * Resolves a remote string to its type, root, option values and display name without
 * creating the backend (no network I/O). Throws `RemotePathError` for a malformed string and
 * `BackendConfigError` for an unknown remote, unknown type, unknown option or bad value.
 */
export async function resolveRemote(
  remote: string,
  ctx: NewBackendContext,
): Promise<ResolvedRemote> {
  const env = ctx.env ?? Deno.env.toObject();
  const rp = parseRemotePath(remote);
  const type = remoteType(rp, ctx.conf, env);
  // A lazily registered backend's module loads here, so its `validate` runs below.
  const info = await loadBackendInfo(type);
  const remoteLabel = rp.kind === "local" ? rp.path : `${rp.onTheFly ? ":" : ""}${rp.name}:`;
  if (!info) {
    throw new BackendConfigError(
      `unknown filesystem type ${JSON.stringify(type)} (remote ${JSON.stringify(remoteLabel)})`,
    );
  }

  const params: Record<string, string> = {};
  if (rp.kind === "remote") {
    for (const [k, v] of Object.entries(rp.params)) {
      if (!rp.onTheFly && normaliseKey(k) === "type") continue;
      const def = findDef(info, k);
      if (!def) {
        throw new BackendConfigError(
          `unknown option ${JSON.stringify(k)} for backend ${JSON.stringify(type)} ` +
            `in remote ${JSON.stringify(remoteLabel)}`,
        );
      }
      params[def.name] = v;
    }
  }
  const flags: Record<string, string> = {};
  const prefix = `${type}_`;
  for (const [k, v] of Object.entries(ctx.flags ?? {})) {
    const nk = normaliseKey(k);
    if (nk.startsWith(prefix)) flags[nk.slice(prefix.length)] = v;
  }
  const section = rp.kind === "remote" && !rp.onTheFly ? rp.name : undefined;

  const options: Record<string, OptionValue> = {};
  for (const def of info.options.options) {
    let raw: string | undefined;
    let source = "";
    const pick = (v: string | undefined, from: string) => {
      if (raw === undefined && v !== undefined && v !== "") {
        raw = v;
        source = from;
      }
    };
    if (def.name in params) {
      raw = params[def.name];
      source = "the connection string";
    }
    pick(flags[def.name], `the command line flag`);
    if (section !== undefined) {
      pick(env[remoteEnvName(section, def.name)], remoteEnvName(section, def.name));
    }
    pick(env[envName(info.options, def)], envName(info.options, def));
    if (section !== undefined) pick(ctx.conf.get(section, def.name), "the config file");
    if (raw === undefined) {
      options[def.name] = def.default;
      continue;
    }
    try {
      options[def.name] = parseOptionValue(def, raw);
    } catch (err) {
      const why = err instanceof OptionError ? err.message : String(err);
      throw new BackendConfigError(
        `remote ${JSON.stringify(remoteLabel)}: ${why} (from ${source})`,
        { cause: err },
      );
    }
  }
  info.validate?.(options);
  return { type, root: rp.path, options, name: displayName(rp, info) };
}

/**
 * Creates the backend for a remote string (see the module doc for the sources of options).
 * Wrapping backends (alias, crypt) get a `newBackend` that resolves in the same context.
 */
export function newBackend(remote: string, ctx: NewBackendContext): Promise<Backend> {
  return newBackendAt(remote, ctx, 0);
}

async function newBackendAt(
  remote: string,
  ctx: NewBackendContext,
  depth: number,
): Promise<Backend> {
  if (depth > MAX_DEPTH) {
    throw new BackendConfigError(
      `too many nested remotes resolving ${
        JSON.stringify(remote)
      } (does an alias point to itself?)`,
    );
  }
  const r = await resolveRemote(remote, ctx);
  const info = (await loadBackendInfo(r.type))!;
  return info.create({
    root: r.root,
    options: r.options,
    name: r.name,
    newBackend: (inner) => newBackendAt(inner, ctx, depth + 1),
  });
}

/**
 * @module
 * The triage of a Docker volume's `-o key=value` options (spec §3): the special keys
 * `remote`/`fs`, `type`, `path`, `mount-type` and `persist`, then mount options, VFS options
 * and backend options carrying the backend-type prefix. The result says which backend to
 * build, with which connection-string parameters, and the typed mount/VFS values of the
 * volume (starting from the process-wide defaults of `serve docker`).
 */
import {
  normaliseKey,
  OptionError,
  type OptionGroup,
  type OptionValue,
  parseBool,
  parseOptionValue,
} from "../config/option_schema.ts";
import { MOUNT_OPTIONS } from "../fuse/mount_options.ts";
import { VFS_OPTIONS } from "../vfs/vfs_options.ts";
import { getBackendInfo } from "../backends/registry.ts";
import { formatRemotePath, parseRemotePath } from "../config/remote_path.ts";
import { Msg } from "./api.ts";

/** The one mount method denoclone implements (rclone's default name for it). */
export const MOUNT_TYPE = "mount";

/** What option parsing needs from its surroundings. */
export interface OptionContext {
  /** The backend type of a configured remote (rclone.conf or env), undefined if unknown. */
  remoteType(name: string): string | undefined;
  /** Mount option values new volumes start from (defaults and `serve docker` flags). */
  mountDefaults: Record<string, OptionValue>;
  /** VFS option values new volumes start from (defaults and `serve docker` flags). */
  vfsDefaults: Record<string, OptionValue>;
}

/** A volume's options after triage. */
export interface VolumeSpec {
  /** The `remote`/`fs` value as given (`""` when created with `type`). */
  fs: string;
  /** The `type` value as given. */
  type: string;
  /** The `path` value as given. */
  path: string;
  /** Every non-special key, verbatim (what the state file records). */
  options: Record<string, string>;
  /** `persist=true`: the on-the-fly remote is saved to rclone.conf under the volume name. */
  persist: boolean;
  /** The mount method (always {@link MOUNT_TYPE} once validated). */
  mountType: string;
  /** Backend type, e.g. `local`, `sftp`. */
  backendType: string;
  /** Name of a configured remote, or undefined for an on-the-fly backend or local path. */
  remoteName?: string;
  /** Connection-string parameters: the remote's inline ones, overridden by `-o` backend keys. */
  params: Record<string, string>;
  /** The path on the remote. */
  remotePath: string;
  /** Typed mount option values. */
  mountOptions: Record<string, OptionValue>;
  /** Typed VFS option values. */
  vfsOptions: Record<string, OptionValue>;
}

function optionIn(group: OptionGroup, underscoreKey: string) {
  return group.options.find((o) => o.name === underscoreKey);
}

function parseInto(
  group: OptionGroup,
  raw: Record<string, string>,
  into: Record<string, OptionValue>,
  label: string,
): void {
  for (const [key, value] of Object.entries(raw)) {
    const def = optionIn(group, key)!;
    if (value === "" && def.type !== "string") continue; // rclone: empty = not set
    try {
      into[def.name] = parseOptionValue(def, value);
    } catch (err) {
      throw new OptionError(`cannot parse ${label} options: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
}

/** Checks a `mount-type` value; throws an error naming it when denoclone can't do it. */
export function checkMountType(value: string): string {
  if (value === "" || value === MOUNT_TYPE) return MOUNT_TYPE;
  if (value === "cmount" || value === "mount2") {
    throw new OptionError(
      `unsupported mount type ${JSON.stringify(value)}: denoclone implements only mount-type=mount`,
    );
  }
  throw new OptionError(`unsupported mount type ${JSON.stringify(value)}`);
}

/**
 * Parses a volume's options (spec §3). Throws {@link OptionError} (or the remote-path parser's
 * error) with a message naming the bad key or value.
 */
export function parseVolumeOptions(
  opts: Record<string, string>,
  ctx: OptionContext,
): VolumeSpec {
  let fs = "";
  let type = "";
  let path = "";
  let hasPath = false;
  const options: Record<string, string> = {};
  for (const [key, value] of Object.entries(opts)) {
    if (typeof value !== "string") {
      throw new OptionError(`option ${JSON.stringify(key)} must be a string`);
    }
    switch (key) {
      case "":
        break;
      case "remote":
      case "fs":
        if (value !== "") fs = value;
        break;
      case "type":
        type = value;
        break;
      case "path":
        path = value;
        hasPath = value !== "";
        break;
      default:
        options[key] = value;
    }
  }
  if ((fs === "") === (type === "")) throw new OptionError(Msg.remoteOrType);

  let backendType = type;
  let remoteName: string | undefined;
  let params: Record<string, string> = {};
  let remotePath = "";
  if (fs !== "") {
    let rp;
    try {
      rp = parseRemotePath(fs);
    } catch (err) {
      throw new OptionError(`cannot parse path ${JSON.stringify(fs)}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    if (rp.kind === "local") {
      backendType = "local";
      remotePath = rp.path;
    } else {
      params = { ...rp.params };
      remotePath = rp.path;
      if (rp.onTheFly) {
        backendType = rp.name;
      } else {
        remoteName = rp.name;
        const t = ctx.remoteType(rp.name);
        if (!t) {
          throw new OptionError(
            `didn't find section in config file (remote ${JSON.stringify(rp.name)})`,
          );
        }
        backendType = t;
      }
    }
  }
  if (hasPath) remotePath = path;
  const info = getBackendInfo(backendType);
  if (!info) throw new OptionError(`unknown filesystem type ${JSON.stringify(backendType)}`);

  let persist = false;
  let mountType = "";
  const mountRaw: Record<string, string> = {};
  const vfsRaw: Record<string, string> = {};
  const prefix = `${backendType.toLowerCase().replaceAll("-", "_")}_`;
  for (const [key, value] of Object.entries(options)) {
    const k = normaliseKey(key);
    if (k === "persist") {
      const b = parseBool(value);
      if (b === undefined) {
        throw new OptionError(
          `cannot parse option ${JSON.stringify(key)}: ${JSON.stringify(value)} is not a boolean`,
        );
      }
      persist = b;
    } else if (k === "mount_type") {
      mountType = value;
    } else if (optionIn(MOUNT_OPTIONS, k)) {
      mountRaw[k] = value;
    } else if (optionIn(VFS_OPTIONS, k)) {
      vfsRaw[k] = value;
    } else if (k.startsWith(prefix) && optionIn(info.options, k.slice(prefix.length))) {
      params[k.slice(prefix.length)] = value;
    } else {
      throw new OptionError(
        `unsupported backend option ${JSON.stringify(key)} (not an option of backend ${
          JSON.stringify(backendType)
        }, nor a mount or VFS option; backend options need the "${
          prefix.replaceAll("_", "-")
        }" prefix)`,
      );
    }
  }
  const vfsOptions = { ...ctx.vfsDefaults };
  parseInto(VFS_OPTIONS, vfsRaw, vfsOptions, "vfs");
  const mountOptions = { ...ctx.mountDefaults };
  parseInto(MOUNT_OPTIONS, mountRaw, mountOptions, "mount");
  mountType = checkMountType(mountType);
  if (persist && remoteName !== undefined) throw new OptionError(Msg.typeForPersist);
  return {
    fs,
    type,
    path,
    options,
    persist,
    mountType,
    backendType,
    ...(remoteName !== undefined ? { remoteName } : {}),
    params,
    remotePath,
    mountOptions,
    vfsOptions,
  };
}

/** The backend options of a volume that are secret (obscured passwords, tokens, keys). */
export function secretParams(spec: VolumeSpec): string[] {
  const info = getBackendInfo(spec.backendType);
  if (!info) return [];
  return Object.keys(spec.params).filter((k) => {
    const def = optionIn(info.options, normaliseKey(k));
    return def !== undefined && (def.obscured === true || def.sensitive === true);
  });
}

/**
 * The rclone remote string of a volume: `name,k='v':path` for a configured remote,
 * `:type,k='v':path` for an on-the-fly one, or `persistName:path` when the parameters were
 * saved to rclone.conf under that name. With `redacted`, secret parameter values are `***`.
 */
export function connectionString(
  spec: VolumeSpec,
  opts: { persistName?: string; redacted?: boolean } = {},
): string {
  if (opts.persistName !== undefined) {
    return formatRemotePath({
      kind: "remote",
      name: opts.persistName,
      onTheFly: false,
      params: {},
      path: spec.remotePath,
    });
  }
  const params = { ...spec.params };
  if (opts.redacted) { for (const k of secretParams(spec)) params[k] = "***"; }
  return formatRemotePath({
    kind: "remote",
    name: spec.remoteName ?? spec.backendType,
    onTheFly: spec.remoteName === undefined,
    params,
    path: spec.remotePath,
  });
}

/**
 * @module
 * Wire types and constants of Docker's volume plugin protocol as rclone's `serve docker`
 * speaks it: endpoint paths, the content type, request/response shapes, and the exact error
 * messages Docker surfaces to users.
 */

/** The plugin's name: Docker finds it as `rclone.sock` / `rclone.spec`. */
export const PLUGIN_NAME = "rclone";

/** Directory Docker scans for plugin sockets. */
export const DEFAULT_SOCKET_DIR = "/run/docker/plugins";

/** Directory Docker scans for `.spec` files. */
export const DEFAULT_SPEC_DIR = "/etc/docker/plugins";

/** Default parent of the per-volume mountpoints. */
export const DEFAULT_BASE_DIR = "/var/lib/docker-volumes/rclone";

/** Name of the state file inside the cache directory. */
export const STATE_FILE_NAME = "docker-plugin.state";

/** Content type of every handler response. */
export const PLUGIN_CONTENT_TYPE = "application/vnd.docker.plugins.v1.1+json";

/** Path prefix of denoclone's own admin endpoints (Docker never calls these). */
export const ADMIN_PREFIX = "/denoclone/";

/** Docker's volume plugin endpoints. */
export const Endpoint = {
  activate: "/Plugin.Activate",
  create: "/VolumeDriver.Create",
  remove: "/VolumeDriver.Remove",
  mount: "/VolumeDriver.Mount",
  unmount: "/VolumeDriver.Unmount",
  path: "/VolumeDriver.Path",
  get: "/VolumeDriver.Get",
  list: "/VolumeDriver.List",
  capabilities: "/VolumeDriver.Capabilities",
} as const;

/** denoclone's admin endpoints (under {@link ADMIN_PREFIX}). */
export const AdminEndpoint = {
  list: "/denoclone/Volume.List",
  inspect: "/denoclone/Volume.Inspect",
  update: "/denoclone/Volume.Update",
} as const;

/** Error messages shared with rclone (Docker shows them verbatim; tests match them). */
export const Msg = {
  notFound: "volume not found",
  inUse: "volume is in use",
  alreadyMountedById: "volume is already mounted by this id",
  notMounted: "volume is not mounted",
  notMountedById: "volume is not mounted by this id",
  nameRequired: "volume name is required",
  remoteOrType: "volume must have either remote or backend type",
  typeForPersist: "backend type is required to persist remotes",
} as const;

/** `VolumeDriver.Create` request. */
export interface CreateRequest {
  /** Volume name. */
  Name: string;
  /** Driver options (`docker volume create -o k=v`). */
  Opts: Record<string, string>;
}

/** Request of `Remove`, `Path` and `Get` (and the admin `Inspect`). */
export interface NameRequest {
  /** Volume name. */
  Name: string;
}

/** `VolumeDriver.Mount` / `Unmount` request. */
export interface MountRequest {
  /** Volume name. */
  Name: string;
  /** Docker's per-use mount ID. */
  ID: string;
}

/** denoclone's admin `Update` request: options to set (an empty value deletes the key). */
export interface UpdateRequest {
  /** Volume name. */
  Name: string;
  /** Options to merge into the volume's options. */
  Opts: Record<string, string>;
}

/** One volume as `Get` and `List` report it. */
export interface VolumeInfo {
  /** Volume name. */
  Name: string;
  /** `<base-dir>/<Name>`. */
  Mountpoint: string;
  /** Creation time, RFC 3339 with second precision in the local zone. */
  CreatedAt: string;
  /** `Mounts` (sorted IDs) and, for `Get`, health fields. */
  Status: Record<string, unknown>;
}

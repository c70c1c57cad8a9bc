/**
 * @module
 * The public face of the FUSE layer: mount a VFS with {@link mountVfs} (options from
 * {@link MOUNT_OPTIONS}), or serve any {@link FuseOps} with {@link FuseSession} on a connection
 * from {@link mountFuse}.
 */

export { type FuseMount, mountVfs } from "./mount_vfs.ts";
export { MOUNT_OPTIONS } from "./mount_options.ts";
export { FuseSession, type SessionOptions } from "./session.ts";
export type { ConnInfo, FuseOps, OpenResult, RequestContext } from "./ops.ts";
export {
  findMount,
  isFuseMounted,
  type KernelMount,
  type KernelMountOptions,
  mountFuse,
  unmountFuse,
} from "./mount.ts";

/**
 * @module
 * The unix socket transport (spec §2): the path gets `.sock` appended when it has no
 * extension, relative names go under `/run/docker/plugins`, the parent is created (0755), a
 * stale file is removed, and the socket is made mode 0660 and (as root) owned by
 * `0:<socket-gid>`. The socket file is removed at close.
 */
import { DEFAULT_SOCKET_DIR } from "./api.ts";
import type { Driver } from "./driver.ts";
import { type PluginHttpServer, startHttpServer } from "./http_server.ts";

/** The socket path rclone would use for `--socket-addr` (empty → the default). */
export function unixSocketPath(addr: string, socketDir = DEFAULT_SOCKET_DIR): string {
  let p = addr === "" ? "rclone" : addr;
  const base = p.slice(p.lastIndexOf("/") + 1);
  if (!base.includes(".")) p += ".sock";
  return p.startsWith("/") ? p : `${socketDir}/${p}`;
}

/** A listening unix socket server. */
export interface UnixListener extends PluginHttpServer {
  /** The socket path. */
  readonly path: string;
}

/** Listens on a unix socket at `path` with mode 0660 and group `gid` (chown only as root). */
export async function listenUnix(
  driver: Driver,
  path: string,
  opts: { gid?: number } = {},
): Promise<UnixListener> {
  const dir = path.slice(0, path.lastIndexOf("/")) || "/";
  await Deno.mkdir(dir, { recursive: true, mode: 0o755 });
  try {
    await Deno.remove(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  const server = await startHttpServer(driver, { kind: "unix", path });
  try {
    await Deno.chmod(path, 0o660);
    if (Deno.uid() === 0) await Deno.chown(path, 0, opts.gid ?? Deno.gid() ?? 0);
  } catch (err) {
    await server.close();
    throw err;
  }
  return {
    path,
    address: path,
    async close() {
      await server.close();
      await Deno.remove(path).catch(() => {});
    },
  };
}

/**
 * @module
 * The TCP transport (spec §2): `--socket-addr host:port` listens there and, unless
 * `--no-spec`, writes `<spec-dir>/rclone.spec` holding exactly `tcp://<actual address>` (no
 * newline, mode 0644), removed at close. No TLS and no auth, like rclone: bind to loopback.
 */
import { UsageError } from "../errors.ts";
import { DEFAULT_SPEC_DIR, PLUGIN_NAME } from "./api.ts";
import type { Driver } from "./driver.ts";
import { type PluginHttpServer, startHttpServer } from "./http_server.ts";

/** Splits `host:port` (`[::1]:80`, `:0`); throws a usage error like Go's when the port is missing. */
export function parseHostPort(addr: string): { host: string; port: number } {
  const m = /^(\[[^\]]*\]|[^:]*):(\d+)$/.exec(addr);
  if (!m) throw new UsageError(`listen tcp: address ${addr}: missing port in address`, 1);
  const port = Number(m[2]);
  if (port > 65535) throw new UsageError(`listen tcp: address ${addr}: invalid port`, 1);
  return { host: m[1]!.replace(/^\[|\]$/g, ""), port };
}

/** A listening TCP server. */
export interface TcpListener extends PluginHttpServer {
  /** The spec file written, or undefined with `noSpec`. */
  readonly specPath?: string;
}

/** Listens on `addr` and writes the spec file unless `noSpec`. */
export async function listenTcp(
  driver: Driver,
  addr: string,
  opts: { noSpec?: boolean; specDir?: string } = {},
): Promise<TcpListener> {
  const { host, port } = parseHostPort(addr);
  const server = await startHttpServer(driver, { kind: "tcp", host, port });
  if (opts.noSpec) return server;
  const dir = opts.specDir ?? DEFAULT_SPEC_DIR;
  const specPath = `${dir}/${PLUGIN_NAME}.spec`;
  try {
    await Deno.mkdir(dir, { recursive: true, mode: 0o755 });
    await Deno.writeTextFile(specPath, `tcp://${server.address}`, { mode: 0o644 });
  } catch (err) {
    await server.close();
    throw err;
  }
  return {
    address: server.address,
    specPath,
    async close() {
      await server.close();
      await Deno.remove(specPath).catch(() => {});
    },
  };
}

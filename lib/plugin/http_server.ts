/**
 * @module
 * Serves the pure plugin handler over HTTP/1.1 with `node:http`, which can listen on a unix
 * socket path, a TCP address or an inherited file descriptor (systemd socket activation) —
 * `Deno.serve` can't take an fd, so one server type serves every transport.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { log } from "../util/log.ts";
import { concatBytes } from "../util/read_all.ts";
import type { Driver } from "./driver.ts";
import { handle } from "./handler.ts";

/**
 * The path of a request target, origin-form (`/Plugin.Activate?x`) or absolute-form
 * (`http://plugin/Plugin.Activate`, which Go's server — and so rclone — also accepts).
 */
export function requestPath(target: string): string {
  const t = /^[a-z][a-z0-9+.-]*:\/\//i.test(target) ? new URL(target).pathname : target;
  return t.split("?")[0]!;
}

/** Where the HTTP server listens. */
export type ListenSpec =
  | { kind: "unix"; path: string }
  | { kind: "tcp"; host: string; port: number }
  | { kind: "fd"; fd: number };

/** A listening plugin HTTP server. */
export interface PluginHttpServer {
  /** `tcp` servers: the actual address, `host:port` (`[::]:port` for IPv6). */
  readonly address: string;
  /** Stops accepting, closes idle connections and resolves when the server is closed. */
  close(): Promise<void>;
}

/** Starts serving `driver` on `spec`; resolves once the socket listens. */
export function startHttpServer(driver: Driver, spec: ListenSpec): Promise<PluginHttpServer> {
  const server = http.createServer((req, res) => {
    const chunks: Uint8Array[] = [];
    req.on("data", (c: Uint8Array) => chunks.push(c));
    req.on("error", () => res.destroy());
    req.on("end", () => {
      const body = new TextDecoder().decode(concatBytes(chunks));
      const path = requestPath(req.url ?? "/");
      handle(driver, req.method ?? "GET", path, body).then((r) => {
        const data = new TextEncoder().encode(r.body);
        res.writeHead(r.status, { ...r.headers, "Content-Length": String(data.length) });
        res.end(data);
      }, (err) => {
        log.error(`plugin handler failed: ${(err as Error).message}`);
        res.writeHead(500);
        res.end();
      });
    });
  });
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    const onListening = () => {
      server.off("error", reject);
      server.on("error", (err) => log.error(`plugin server: ${err.message}`));
      const a = server.address();
      let address = "";
      if (a && typeof a === "object") {
        const ai = a as AddressInfo;
        address = ai.family === "IPv6" || ai.address.includes(":")
          ? `[${ai.address}]:${ai.port}`
          : `${ai.address}:${ai.port}`;
      } else if (typeof a === "string") address = a;
      resolve({
        address,
        close: () =>
          new Promise<void>((res) => {
            server.close(() => res());
            server.closeAllConnections?.();
          }),
      });
    };
    if (spec.kind === "unix") server.listen(spec.path, onListening);
    else if (spec.kind === "fd") server.listen({ fd: spec.fd }, onListening);
    else server.listen(spec.port, spec.host || undefined, onListening);
  });
}

/**
 * @module
 * A small client for the plugin's socket (unix path or TCP `host:port`), used by
 * `denoclone volume …` to reach the admin endpoints of a running `serve docker`.
 */
import { Buffer } from "node:buffer";
import http from "node:http";
import { parseHostPort } from "./listen_tcp.ts";
import { unixSocketPath } from "./listen_unix.ts";

/** The plugin's answer: HTTP status and the decoded JSON body (or the raw text). */
export interface PluginReply {
  /** HTTP status. */
  status: number;
  /** Decoded JSON, or undefined if the body was not JSON. */
  json: unknown;
  /** Raw body. */
  text: string;
}

/** POSTs `body` as JSON to `path` on the plugin at `socketAddr` (as `--socket-addr`). */
export function callPlugin(
  socketAddr: string,
  path: string,
  body: unknown,
  opts: { timeoutMs?: number } = {},
): Promise<PluginReply> {
  const data = JSON.stringify(body ?? {});
  const target = socketAddr === "" || socketAddr.startsWith("/")
    ? { socketPath: unixSocketPath(socketAddr) }
    : (() => {
      const { host, port } = parseHostPort(socketAddr);
      return { host: host || "127.0.0.1", port };
    })();
  return new Promise((resolve, reject) => {
    const req = http.request({
      ...target,
      path,
      method: "POST",
      headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(data) },
      timeout: opts.timeoutMs ?? 60_000,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, json, text });
      });
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer from the plugin on ${path}`)));
    req.on("error", (err) =>
      reject(
        new Error(
          `cannot reach the plugin at ${
            "socketPath" in target ? target.socketPath : `${target.host}:${target.port}`
          }: ${err.message}`,
        ),
      ));
    req.end(data);
  });
}

/**
 * @module
 * systemd socket activation: a socket passed as fd 3 with `LISTEN_PID` = our PID and
 * `LISTEN_FDS` = 1 is served as is (nothing is removed at exit). More than one fd is an
 * error, as in rclone.
 */
import { UsageError } from "../errors.ts";
import type { Driver } from "./driver.ts";
import { type PluginHttpServer, startHttpServer } from "./http_server.ts";

/** First inherited fd (`SD_LISTEN_FDS_START`). */
export const LISTEN_FDS_START = 3;

/** The inherited listening fd, or undefined when the process was not socket-activated. */
export function systemdListenFd(
  env: Record<string, string | undefined> = Deno.env.toObject(),
  pid: number = Deno.pid,
): number | undefined {
  if (env.LISTEN_PID === undefined || Number(env.LISTEN_PID) !== pid) return undefined;
  const n = Number(env.LISTEN_FDS ?? "0");
  if (!Number.isInteger(n) || n <= 0) return undefined;
  if (n > 1) throw new UsageError(`expected only one socket from systemd, got ${n}`, 1);
  return LISTEN_FDS_START;
}

/** Serves on the inherited fd. */
export function listenSystemd(driver: Driver, fd: number): Promise<PluginHttpServer> {
  return startHttpServer(driver, { kind: "fd", fd });
}

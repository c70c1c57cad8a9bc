/**
 * @module
 * The plugin's lifecycle: pick the transport (systemd fd, unix socket or TCP + spec file),
 * listen first, tell systemd `READY=1`, restore the saved volumes in the background, and on
 * SIGTERM/SIGINT unmount and flush every volume, save the state, remove the socket or spec
 * file, send `STOPPING=1` and return. SIGHUP flushes the directory caches.
 */
import { log } from "../util/log.ts";
import { STATE_FILE_NAME } from "./api.ts";
import { Driver, type DriverOptions } from "./driver.ts";
import type { PluginHttpServer } from "./http_server.ts";
import { listenSystemd, systemdListenFd } from "./listen_systemd.ts";
import { listenTcp } from "./listen_tcp.ts";
import { listenUnix, unixSocketPath } from "./listen_unix.ts";
import { sdNotify } from "./sd_notify.ts";
import { StateFile } from "./state.ts";

/** Settings of {@link runPlugin}. */
export interface PluginSettings extends Omit<DriverOptions, "state"> {
  /** Cache directory (holds the state file). */
  cacheDir: string;
  /** `--socket-addr`. */
  socketAddr: string;
  /** `--socket-gid` (-1 = the process GID). */
  socketGid: number;
  /** `--forget-state`. */
  forgetState: boolean;
  /** `--no-spec`. */
  noSpec: boolean;
  /** Directory of the TCP spec file. */
  specDir: string;
  /** Environment (LISTEN_FDS, NOTIFY_SOCKET). */
  env: Record<string, string | undefined>;
}

/** A running plugin. */
export interface RunningPlugin {
  /** The driver. */
  driver: Driver;
  /** Where it listens (socket path, `host:port`, or `fd:3`). */
  address: string;
  /** Resolves when the background restore is done. */
  restored: Promise<void>;
  /** Runs the exit sequence once (later calls return the same promise). */
  stop(): Promise<void>;
}

/** Starts the plugin: listening when this resolves; volumes restore in the background. */
export async function startPlugin(s: PluginSettings): Promise<RunningPlugin> {
  try {
    await Deno.mkdir(s.cacheDir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new Error(`failed to create cache directory: ${(err as Error).message}`);
  }
  const state = new StateFile(`${s.cacheDir}/${STATE_FILE_NAME}`);
  if (s.forgetState) log.info("Forgetting the saved plugin state (--forget-state)");
  const driver = new Driver({ ...s, state });
  if (!s.forgetState) {
    const n = await driver.loadState();
    if (n > 0) log.info(`Restoring ${n} volumes from ${state.path}`);
  }
  let server: PluginHttpServer;
  let address: string;
  const fd = systemdListenFd(s.env);
  if (fd !== undefined) {
    server = await listenSystemd(driver, fd);
    address = `fd:${fd}`;
    log.notice("Serving systemd socket");
  } else if (s.socketAddr === "" || s.socketAddr.startsWith("/")) {
    const path = unixSocketPath(s.socketAddr);
    server = await listenUnix(driver, path, s.socketGid >= 0 ? { gid: s.socketGid } : {});
    address = path;
    log.notice(`Serving unix socket: ${path}`);
  } else {
    const tcp = await listenTcp(driver, s.socketAddr, { noSpec: s.noSpec, specDir: s.specDir });
    server = tcp;
    address = tcp.address;
    log.notice(`Serving TCP socket: ${tcp.address}`);
  }
  sdNotify("READY=1", s.env);
  const restored = driver.rebuild().catch((err) => {
    log.error(`Failed to restore plugin state: ${(err as Error).message}`);
  });
  let stopping: Promise<void> | undefined;
  const stop = () =>
    stopping ??= (async () => {
      try {
        sdNotify("STOPPING=1", s.env);
      } catch (err) {
        log.error((err as Error).message);
      }
      const closed = server.close();
      // A restore stuck on a dead remote must not block the exit: shutdown() bounds each
      // volume's wait, and restores still queued see the driver closing and stop.
      await driver.shutdown().catch((err) => log.error(`Exit: ${(err as Error).message}`));
      await closed;
    })();
  return { driver, address, restored, stop };
}

/** Runs the plugin until SIGTERM or SIGINT, then exits cleanly. */
export async function runPlugin(s: PluginSettings): Promise<void> {
  const plugin = await startPlugin(s);
  const done = Promise.withResolvers<string>();
  const onTerm = () => done.resolve("SIGTERM");
  const onInt = () => done.resolve("SIGINT");
  const onHup = () => {
    log.info("SIGHUP: flushing directory caches");
    plugin.driver.forgetDirCaches();
  };
  Deno.addSignalListener("SIGTERM", onTerm);
  Deno.addSignalListener("SIGINT", onInt);
  Deno.addSignalListener("SIGHUP", onHup);
  try {
    const sig = await done.promise;
    log.notice(`Received ${sig}: unmounting volumes and exiting`);
    await plugin.stop();
  } finally {
    Deno.removeSignalListener("SIGTERM", onTerm);
    Deno.removeSignalListener("SIGINT", onInt);
    Deno.removeSignalListener("SIGHUP", onHup);
  }
}

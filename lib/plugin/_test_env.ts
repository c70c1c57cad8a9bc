/**
 * @module
 * Test fixture for driver and handler tests: a temp directory with a base dir, a state file
 * and an rclone.conf, a {@link Driver} wired to a {@link RecordingMounter}, and a `call()` that
 * goes through the pure handler exactly as an HTTP request would.
 */
import "../backends/all.ts";
import { defaultsOf } from "../config/option_schema.ts";
import { MOUNT_OPTIONS } from "../fuse/mount_options.ts";
import { VFS_OPTIONS } from "../vfs/vfs_options.ts";
import { Driver, type DriverOptions } from "./driver.ts";
import { handle, type WireResponse } from "./handler.ts";
import { StateFile } from "./state.ts";
import { RecordingMounter } from "./_recording_mounter.ts";

/** A driver in a temp dir. */
export interface TestEnv {
  /** The temp dir. */
  dir: string;
  /** Base dir of mountpoints. */
  base: string;
  /** State file path. */
  statePath: string;
  /** rclone.conf path. */
  confPath: string;
  /** The driver. */
  driver: Driver;
  /** Its mounter. */
  mounter: RecordingMounter;
  /** POSTs `body` (an object is JSON-encoded) to `path` through the handler. */
  // deno-lint-ignore no-explicit-any
  call(path: string, body?: unknown, method?: string): Promise<WireResponse & { json: any }>;
  /** A second driver on the same state file (a restart), with its own mounter. */
  restart(opts?: Partial<DriverOptions>): TestEnv;
  /** Shuts drivers down and deletes the temp dir. */
  cleanup(): Promise<void>;
}

/** Builds a {@link TestEnv}. */
export async function testEnv(opts: Partial<DriverOptions> = {}): Promise<TestEnv> {
  const dir = await Deno.makeTempDir({ prefix: "denoclone-plugin-" });
  const drivers: Driver[] = [];
  const make = (o: Partial<DriverOptions>): TestEnv => {
    const mounter = new RecordingMounter();
    const driver = new Driver({
      baseDir: `${dir}/vols`,
      state: new StateFile(`${dir}/cache/docker-plugin.state`),
      mounter,
      configPath: `${dir}/rclone.conf`,
      mountDefaults: defaultsOf(MOUNT_OPTIONS),
      vfsDefaults: defaultsOf(VFS_OPTIONS),
      env: {},
      idleGraceMs: 200,
      restoreRetryMs: 50,
      ...opts,
      ...o,
    });
    drivers.push(driver);
    const env: TestEnv = {
      dir,
      base: `${dir}/vols`,
      statePath: `${dir}/cache/docker-plugin.state`,
      confPath: `${dir}/rclone.conf`,
      driver,
      mounter,
      async call(path, body, method = "POST") {
        const text = typeof body === "string"
          ? body
          : body === undefined
          ? ""
          : JSON.stringify(body);
        const r = await handle(driver, method, path, text);
        let json: unknown;
        try {
          json = JSON.parse(r.body);
        } catch {
          json = undefined;
        }
        return { ...r, json };
      },
      restart: (o2 = {}) => make(o2),
      async cleanup() {
        for (const d of drivers) await d.shutdown(2000).catch(() => {});
        await Deno.remove(dir, { recursive: true });
      },
    };
    return env;
  };
  return make({});
}

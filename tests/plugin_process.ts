/**
 * @module
 * Test helper: runs the real plugin (`deno run -A main.ts serve docker …`) as a child process
 * with its own socket, base dir, cache dir and rclone.conf under a test dir, talks to it over
 * its socket, and stops it by PID (SIGTERM, or SIGKILL to simulate a crash).
 */
import { callPlugin, type PluginReply } from "../lib/plugin/admin_client.ts";

const MAIN = Deno.env.get("DENOCLONE_TEST_MAIN") ??
  new URL("../main.ts", import.meta.url).pathname;

/** A running plugin process. */
export interface PluginProcess {
  /** PID of the plugin. */
  pid: number;
  /** Its socket address (`--socket-addr`). */
  socketAddr: string;
  /** POSTs to an endpoint over the socket. */
  call(path: string, body?: unknown): Promise<PluginReply>;
  /** Sends a signal and waits for the exit (SIGKILL after `timeoutMs`, default 30 s). */
  stop(signal?: Deno.Signal, timeoutMs?: number): Promise<Deno.CommandStatus>;
  /** The plugin's log file so far, then anything it wrote to stderr. */
  log(): Promise<string>;
}

/** Paths inside a plugin test dir. */
export interface PluginPaths {
  /** Base dir of the mountpoints. */
  base: string;
  /** Cache dir (state file, VFS cache). */
  cache: string;
  /** rclone.conf. */
  conf: string;
  /** The state file. */
  state: string;
  /** The plugin's log file. */
  log: string;
}

/** Layout of a plugin test dir. */
export function pluginPaths(dir: string): PluginPaths {
  return {
    base: `${dir}/vols`,
    cache: `${dir}/cache`,
    conf: `${dir}/rclone.conf`,
    state: `${dir}/cache/docker-plugin.state`,
    log: `${dir}/plugin.log`,
  };
}

/**
 * Starts the plugin; resolves when it answers `/Plugin.Activate` (20 s at most). If it does
 * not start, it is killed and `dir` is removed before the error is thrown.
 */
export async function startPluginProcess(
  dir: string,
  socketAddr: string,
  extraArgs: string[] = [],
): Promise<PluginProcess> {
  const p = pluginPaths(dir);
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      MAIN,
      "serve",
      "docker",
      "--socket-addr",
      socketAddr,
      "--base-dir",
      p.base,
      "-vv",
      "--log-file",
      p.log,
      ...extraArgs,
    ],
    env: { RCLONE_CONFIG: p.conf, RCLONE_CACHE_DIR: p.cache },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let stderr = "";
  const drained = (async () => {
    const dec = new TextDecoder();
    for await (const c of child.stderr) stderr += dec.decode(c, { stream: true });
  })().catch(() => {});
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  const proc: PluginProcess = {
    pid: child.pid,
    socketAddr,
    call: (path, body) => callPlugin(socketAddr, path, body ?? {}, { timeoutMs: 30_000 }),
    async stop(signal = "SIGTERM", timeoutMs = 30_000) {
      if (!exited) {
        try {
          child.kill(signal);
        } catch { /* gone */ }
      }
      const killer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }, timeoutMs);
      const s = await status;
      clearTimeout(killer);
      await drained;
      return s;
    },
    log: async () => (await Deno.readTextFile(p.log).catch(() => "")) + stderr,
  };
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && !exited) {
    try {
      const r = await callPlugin(socketAddr, "/Plugin.Activate", {}, { timeoutMs: 2000 });
      if (r.status === 200) return proc;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  await proc.stop("SIGKILL");
  const log = await proc.log();
  // The caller's try/finally has not started yet: clean its test dir here.
  await detachAllUnder(dir);
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  throw new Error(`plugin did not start: ${log}`);
}

/** FUSE mounts currently under `dir`. */
export async function fuseMountsUnder(dir: string): Promise<string[]> {
  const text = await Deno.readTextFile("/proc/self/mountinfo");
  return text.split("\n").filter((l) => l.includes(" - fuse")).map((l) => l.split(" ")[4]!)
    .filter((m) => m.startsWith(dir + "/"));
}

/** Lazily detaches every mount under `dir` (test cleanup after a crash). */
export async function detachAllUnder(dir: string): Promise<void> {
  for (const m of await fuseMountsUnder(dir)) {
    await new Deno.Command("umount", { args: ["-l", m], stderr: "null" }).output();
  }
}

/**
 * @module
 * Process plumbing shared by the benchmarks: running commands with a time limit, the
 * denoclone program under test (a private copy of the built `dist/` so teammates' rebuilds
 * during a run don't change it, or `deno run main.ts` with a CPU profile), starting
 * `denoclone mount` / `rclone mount` and stopping them by PID, and reading a process's RSS.
 */
import { denocloneArgv } from "../tests/helpers/cli.ts";
import { RUN_V8_FLAGS } from "./permissions.ts";

const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

/** Which program a measurement runs: denoclone or the reference rclone. */
export type Tool = "dc" | "rc";

/** Human names of the tools. */
export const TOOL_NAMES: Record<Tool, string> = { dc: "denoclone", rc: "rclone" };

/** Runs a command to completion within `timeoutMs`; throws with its stderr on failure. */
export async function run(
  cmd: string,
  args: string[],
  opts: { timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<string> {
  const child = new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    ...(opts.env ? { env: opts.env } : {}),
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, opts.timeoutMs ?? 600_000);
  const r = await child.output();
  clearTimeout(timer);
  if (!r.success) {
    const err = new TextDecoder().decode(r.stderr).trim().slice(-600);
    throw new Error(`${cmd} ${args.join(" ").slice(0, 200)} failed (${r.code}): ${err}`);
  }
  return new TextDecoder().decode(r.stdout);
}

/** Sectors read and written so far and I/Os in flight, summed over the machine's disks. */
function diskActivity(): { sectors: number; inFlight: number } {
  let sectors = 0;
  let inFlight = 0;
  for (const line of Deno.readTextFileSync("/proc/diskstats").split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length < 12 || /^(loop|ram|zram|sr)/.test(f[2] ?? "")) continue;
    sectors += Number(f[5]) + Number(f[9]);
    inFlight += Number(f[11]);
  }
  return { sectors, inFlight };
}

/**
 * Flushes dirty pages, then waits (at most `maxMs`) until the disks have had no I/O for
 * `quietMs`, so a measurement does not share the disk with the previous one's write-out.
 * Resolves to the milliseconds waited.
 */
export async function quiesceDisk(quietMs = 1000, maxMs = 30_000): Promise<number> {
  const t0 = performance.now();
  await run("sync", []);
  let last = diskActivity();
  let quietSince = performance.now();
  while (performance.now() - t0 < maxMs) {
    await new Promise((r) => setTimeout(r, 100));
    const now = diskActivity();
    if (now.sectors !== last.sectors || now.inFlight > 0) quietSince = performance.now();
    else if (performance.now() - quietSince >= quietMs) break;
    last = now;
  }
  return performance.now() - t0;
}

/**
 * Writes dirty pages out, then drops the kernel page cache, so the next read goes through FUSE
 * and to the disk. Without the sync, dirty pages survive the drop: a tool that never syncs its
 * cache files (rclone) then reads them back from memory while one that makes them durable
 * (denoclone's batched syncfs) reads them from the disk.
 */
export async function dropCaches(): Promise<void> {
  await run("sync", []);
  await Deno.writeTextFile("/proc/sys/vm/drop_caches", "3").catch(() => {});
}

/** Whether `mp` is a mountpoint now. */
export function isMounted(mp: string): boolean {
  return Deno.readTextFileSync("/proc/self/mountinfo").split("\n").some((l) =>
    l.split(" ")[4] === mp
  );
}

/** Resident set size of a process in KiB (VmRSS), or undefined when it is gone. */
export function rssKiB(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** How denoclone is started for a run, and what to say about it in the results. */
export interface DenocloneProgram {
  /** Program and leading arguments. */
  argv: [string, string[]];
  /** Description for the results file. */
  describe: string;
  /** Removes the private copy. */
  cleanup(): Promise<void>;
}

/**
 * The denoclone under test: `DENOCLONE_BIN` when set, else `deno run -A main.ts` in a private
 * snapshot of the committed tree (`git archive HEAD`), so teammates' uncommitted edits and
 * rebuilds during a run don't change what is measured. `profileDir` adds `--cpu-prof` (one
 * `.cpuprofile` and a markdown summary per process land there at exit).
 */
export async function denocloneProgram(profileDir?: string): Promise<DenocloneProgram> {
  const bin = Deno.env.get("DENOCLONE_BIN");
  if (bin && !profileDir) {
    return { argv: denocloneArgv(), describe: `DENOCLONE_BIN=${bin}`, cleanup: async () => {} };
  }
  const head = (await run("git", ["-C", root, "rev-parse", "--short", "HEAD"])).trim();
  const dir = await Deno.makeTempDir({ prefix: "bench-denoclone-src-" });
  await run("sh", ["-c", `git -C '${root}' archive HEAD | tar -x -C '${dir}'`]);
  const prof: string[] = [];
  if (profileDir) {
    await Deno.mkdir(profileDir, { recursive: true });
    prof.push(`--cpu-prof-dir=${profileDir}`, "--cpu-prof-md");
  }
  // Warm Deno's transpile cache for the new paths so start-up times are not first-run times.
  await run(Deno.execPath(), [
    "run",
    "-A",
    ...RUN_V8_FLAGS,
    "--quiet",
    `${dir}/main.ts`,
    "version",
  ]);
  return {
    argv: [Deno.execPath(), ["run", "-A", ...RUN_V8_FLAGS, "--quiet", ...prof, `${dir}/main.ts`]],
    describe: `commit ${head}, \`deno run -A main.ts\`${profileDir ? " with --cpu-prof" : ""}`,
    cleanup: () => Deno.remove(dir, { recursive: true }),
  };
}

/** A running mount process. */
export interface MountProc {
  /** The mountpoint. */
  readonly mp: string;
  /** The mount process's PID. */
  readonly pid: number;
  /** Whether the process has exited. */
  exited(): boolean;
  /** SIGTERM (SIGKILL after `graceMs`), wait for exit, detach leftovers; resolves to seconds. */
  stop(graceMs?: number): Promise<number>;
}

/** Options of {@link startMount}. */
export interface MountSpec {
  /** Which program mounts. */
  tool: Tool;
  /** The denoclone program (for `dc`). */
  program: DenocloneProgram;
  /** Remote (path or `name:path`). */
  remote: string;
  /** rclone.conf path. */
  config: string;
  /** VFS cache dir. */
  cacheDir: string;
  /** Extra flags (cache mode etc.). */
  flags: string[];
  /** File that receives the mount's stderr. */
  logFile: string;
}

/** A child process whose stderr is appended to a log file. */
export interface LoggedChild {
  /** Its PID. */
  pid: number;
  /** Whether it has exited. */
  exited(): boolean;
  /** SIGTERM (unless exited), SIGKILL after `graceMs`, then waits for it and its log. */
  stop(graceMs: number): Promise<void>;
}

/** Spawns `cmd args` with stderr appended to `logFile` and stdin/stdout closed. */
export async function spawnLogged(
  cmd: string,
  args: string[],
  logFile: string,
): Promise<LoggedChild> {
  const log = await Deno.open(logFile, { write: true, create: true, append: true });
  const child = new Deno.Command(cmd, { args, stdin: "null", stdout: "null", stderr: "piped" })
    .spawn();
  const drained = child.stderr.pipeTo(log.writable).catch(() => {});
  let done = false;
  const status = child.status.then((st) => {
    done = true;
    return st;
  });
  const signal = (sig: Deno.Signal) => {
    try {
      child.kill(sig);
    } catch { /* gone */ }
  };
  return {
    pid: child.pid,
    exited: () => done,
    async stop(graceMs: number) {
      if (!done) signal("SIGTERM");
      const killer = setTimeout(() => signal("SIGKILL"), graceMs);
      await status;
      clearTimeout(killer);
      // A grandchild holding stderr open must not block the stop.
      await Promise.race([drained, new Promise((r) => setTimeout(r, 5000))]);
    },
  };
}

/** Starts a mount in a fresh temp dir and waits until it shows in the mount table (60 s). */
export async function startMount(s: MountSpec): Promise<MountProc> {
  const mp = await Deno.makeTempDir({ prefix: `bench-${s.tool}-mnt-` });
  const args = ["mount", s.remote, mp, "--config", s.config, "--cache-dir", s.cacheDir, ...s.flags];
  const [cmd, pre] = s.tool === "dc" ? s.program.argv : ["rclone", []];
  const p = await spawnLogged(cmd, [...pre, ...args], s.logFile);
  const m: MountProc = {
    mp,
    pid: p.pid,
    exited: p.exited,
    async stop(graceMs = 600_000) {
      const t0 = performance.now();
      await p.stop(graceMs);
      const secs = (performance.now() - t0) / 1000;
      if (isMounted(mp)) await run("umount", ["-l", mp]).catch(() => {});
      await Deno.remove(mp).catch(() => {});
      return secs;
    },
  };
  const deadline = Date.now() + 60_000;
  while (!isMounted(mp)) {
    if (p.exited() || Date.now() > deadline) {
      await m.stop(2000);
      const tail = (await Deno.readTextFile(s.logFile).catch(() => "")).slice(-800);
      throw new Error(`${TOOL_NAMES[s.tool]} mount of ${s.remote} did not come up: ${tail}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return m;
}

/**
 * @module
 * `deno run -A scripts/bench_plugin.ts [flags]`: the Docker volume plugin benchmark. Runs
 * `denoclone serve docker` and Debian's `rclone serve docker` (1.60) in one run, each on its
 * own unix socket (`/run/docker/plugins/dcbench<pid>.sock`, `rcbench<pid>.sock`) with its own
 * base dir, cache dir and config, and measures: the HTTP round trip of every plugin endpoint, a
 * Create→Mount→Unmount→Remove cycle on the local backend, time until the socket answers after
 * start with 0 and 50 volumes in the state file, `docker run --rm -v vol:/data busybox true`
 * overhead over the built-in local volume driver (private dockerd), and daemon RSS idle and
 * with 50 mounted volumes. Writes `bench/results/plugin-<date>.md` and `.png`.
 *
 * Flags: `--quick` (fewer iterations), `--iterations N` (API calls per endpoint), `--warmup N`
 * (untimed rounds of every cheap endpoint before the timed calls, default 200),
 * `--no-docker` (skip the dockerd part), `--out DIR`.
 */
import http from "node:http";
import { Buffer } from "node:buffer";
import {
  type DenocloneProgram,
  denocloneProgram,
  rssKiB,
  run,
  spawnLogged,
  type Tool,
  TOOL_NAMES,
} from "./_bench_proc.ts";
import {
  drawChart,
  loadavg,
  machineLine,
  median,
  ratio,
  reportBody,
  type ResultRow,
} from "./_bench_report.ts";
import { flagValue } from "./_bench_args.ts";
import { steadyMemory } from "./_bench_memory.ts";
import { dockerUnavailable, ensureBusyboxImage, startDockerd } from "../tests/helpers/dockerd.ts";
import { descendants } from "../tests/helpers/proc_tree.ts";

const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const args = Deno.args;
const flag = (name: string, dflt: string) => flagValue(args, name, dflt);
const quick = args.includes("--quick");
const iterations = Number(flag("iterations", quick ? "30" : "200"));
const mountIterations = quick ? 5 : 20;
const warmupCalls = Number(flag("warmup", quick ? "50" : "200"));
const startRepeats = quick ? 2 : 5;
/**
 * Timed `docker run` rounds. One run's spread here is ±50-120 ms, so a median of 12 decided a
 * 3 ms difference by chance; a round costs under a second.
 */
const dockerRuns = quick ? 8 : 30;
const volumesInState = 50;
const withDocker = !args.includes("--no-docker");
const outDir = flag("out", `${root}/bench/results`);
/** Socket (and Docker driver) names, unique per run so two runs never take each other's. */
const PLUGIN_NAMES: Record<Tool, string> = {
  dc: `dcbench${Deno.pid}`,
  rc: `rcbench${Deno.pid}`,
};
const SOCKET_DIR = "/run/docker/plugins";
/** Both tools, in the order a round starts with (swapped every other round). */
const TOOLS: readonly Tool[] = ["dc", "rc"];

/** One tool's private world: socket, base dir, cache dir, config, data dirs. */
interface World {
  tool: Tool;
  work: string;
  sock: string;
  base: string;
  cache: string;
  config: string;
  data: string;
}

async function makeWorld(tool: Tool): Promise<World> {
  const work = await Deno.makeTempDir({ prefix: `bench-plugin-${tool}-` });
  const w: World = {
    tool,
    work,
    sock: `${SOCKET_DIR}/${PLUGIN_NAMES[tool]}.sock`,
    base: `${work}/vols`,
    cache: `${work}/cache`,
    config: `${work}/rclone.conf`,
    data: `${work}/data`,
  };
  await Deno.mkdir(w.data, { recursive: true });
  await Deno.mkdir(SOCKET_DIR, { recursive: true });
  await Deno.writeTextFile(w.config, "");
  return w;
}

/** A running plugin daemon. */
interface Plugin {
  pid: number;
  /** ms from spawn until `/Plugin.Activate` answered. */
  startMs: number;
  call(endpoint: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }>;
  stop(): Promise<void>;
}

async function startPlugin(w: World, program: DenocloneProgram): Promise<Plugin> {
  const flags = [
    "serve",
    "docker",
    "--socket-addr",
    w.sock,
    "--base-dir",
    w.base,
    "--cache-dir",
    w.cache,
    "--config",
    w.config,
  ];
  const [cmd, pre] = w.tool === "dc" ? program.argv : ["rclone", []];
  const t0 = performance.now();
  const p = await spawnLogged(cmd, [...pre, ...flags], `${w.work}/plugin.log`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const call = (endpoint: string, body: unknown) => post(w.sock, agent, endpoint, body, 60_000);
  const stop = async () => {
    agent.destroy();
    await p.stop(20_000);
    await detachUnder(w.base);
    await Deno.remove(w.sock).catch(() => {});
  };
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (p.exited() || Date.now() > deadline) {
      await stop();
      const tail = (await Deno.readTextFile(`${w.work}/plugin.log`).catch(() => "")).slice(-800);
      throw new Error(`${TOOL_NAMES[w.tool]} serve docker did not answer: ${tail}`);
    }
    // A fresh connection per probe: a failed connect must not poison a pooled one.
    const probe = new http.Agent({ keepAlive: false });
    try {
      const r = await post(w.sock, probe, "Plugin.Activate", {}, 5000);
      if (r.status === 200) break;
    } catch {
      /* not listening yet */
    } finally {
      probe.destroy();
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  const startMs = performance.now() - t0;
  return { pid: p.pid, startMs, call, stop };
}

/**
 * POSTs JSON to the plugin over its unix socket with origin-form request targets, as Docker's
 * plugin client does (Deno's `fetch` with a unix proxy sends absolute-form targets).
 */
function post(
  socketPath: string,
  agent: http.Agent,
  endpoint: string,
  body: unknown,
  timeoutMs: number,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request({
      socketPath,
      path: `/${endpoint}`,
      method: "POST",
      agent,
      headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(payload) },
    }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => text += c);
      res.on("end", () => {
        let json: Record<string, unknown> = {};
        try {
          json = JSON.parse(text);
        } catch { /* not JSON */ }
        resolve({ status: res.statusCode ?? 0, json });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    // Rejects by itself too, not only through the request's events: two runs of this bench
    // stalled for good in the API phase (cause not found; the daemons were idle), and a call
    // that never settles must cost one tool its rows, not the run.
    const timer = setTimeout(() => {
      const err = new Error(`${endpoint} timed out after ${timeoutMs} ms`);
      req.destroy(err);
      reject(err);
    }, timeoutMs);
    req.on("close", () => clearTimeout(timer));
    req.end(payload);
  });
}

/** How long the raw client waits for one answer before giving up on that tool's raw rows. */
const RAW_CALL_TIMEOUT_MS = 10_000;

/** Endpoints timed with the raw client, and the ones whose rows it adds. */
const RAW_ENDPOINTS = [
  "Plugin.Activate",
  "VolumeDriver.Capabilities",
  "VolumeDriver.Get",
  "VolumeDriver.Path",
  "VolumeDriver.List",
];

/**
 * Round trips of the cheap endpoints with a minimal HTTP/1.1 client on one kept-alive unix
 * connection (a request in one write, the response read until its length), so the client's own
 * cost (node:http in Deno: ~0.15 ms a call) doesn't mask the server's: median per endpoint of
 * `n` timed rounds after `n / 2` untimed ones. `name` is an existing volume for Get/Path.
 */
async function rawRoundTrips(sock: string, name: string, n: number): Promise<Measures> {
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  const conn = await Deno.connect({ transport: "unix", path: sock });
  const buf = new Uint8Array(1 << 20);
  // A call not answered in time closes the connection (its read then fails): the rows of this
  // tool are dropped with a note instead of the run hanging.
  let waitingSince = 0; // when the call now waiting for its answer started (0: none)
  let timedOut = false;
  const watchdog = setInterval(() => {
    if (waitingSince && performance.now() - waitingSince > RAW_CALL_TIMEOUT_MS) {
      timedOut = true;
      conn.close();
    }
  }, 1000);
  const call = async (ep: string) => {
    const body = ep.endsWith("Get") || ep.endsWith("Path") ? JSON.stringify({ Name: name }) : "{}";
    const req = `POST /${ep} HTTP/1.1\r\nHost: plugin\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${body.length}\r\n\r\n${body}`;
    waitingSince = performance.now();
    await conn.write(enc.encode(req));
    let got = "";
    for (;;) {
      const k = await conn.read(buf).catch((err) => {
        throw new Error(timedOut ? `${ep}: no complete answer in ${RAW_CALL_TIMEOUT_MS} ms` : err);
      });
      if (k === null) throw new Error(`${ep}: connection closed`);
      got += dec.decode(buf.subarray(0, k));
      const h = got.indexOf("\r\n\r\n");
      if (h < 0) continue;
      const len = /content-length: *(\d+)/i.exec(got.slice(0, h));
      // Go answers big bodies chunked.
      if (len ? got.length - h - 4 >= Number(len[1]) : got.endsWith("\r\n0\r\n\r\n")) break;
    }
    waitingSince = 0;
    if (!got.startsWith("HTTP/1.1 200")) throw new Error(`${ep}: ${got.slice(0, 80)}`);
  };
  const t: Record<string, number[]> = {};
  try {
    for (let i = 0; i < n / 2; i++) for (const ep of RAW_ENDPOINTS) await call(ep);
    for (let i = 0; i < n; i++) {
      for (const ep of RAW_ENDPOINTS) {
        const t0 = performance.now();
        await call(ep);
        (t[ep] ??= []).push(performance.now() - t0);
      }
    }
  } finally {
    clearInterval(watchdog);
    if (!timedOut) conn.close();
  }
  return Object.fromEntries(Object.entries(t).map(([ep, xs]) => [`raw:${ep}`, median(xs)]));
}

async function detachUnder(dir: string): Promise<void> {
  const points = Deno.readTextFileSync("/proc/self/mountinfo").split("\n")
    .map((l) => l.split(" ")[4]).filter((p): p is string => !!p && p.startsWith(dir + "/"))
    .sort((a, b) => b.length - a.length);
  for (const p of points) await run("umount", ["-l", p]).catch(() => {});
}

function rssMiB(pid: number): number {
  let kib = rssKiB(pid) ?? 0;
  for (const c of descendants(pid)) kib += rssKiB(c) ?? 0;
  return kib / 1024;
}

async function ok(p: Plugin, endpoint: string, body: unknown): Promise<number> {
  const t0 = performance.now();
  const r = await p.call(endpoint, body);
  const ms = performance.now() - t0;
  if (r.status !== 200) {
    throw new Error(`${endpoint} ${JSON.stringify(body)}: ${r.status} ${JSON.stringify(r.json)}`);
  }
  return ms;
}

/** Writes a state file holding `n` unmounted local volumes in the shape both tools read. */
async function writeState(w: World, n: number): Promise<void> {
  await Deno.mkdir(w.cache, { recursive: true });
  const vols = [];
  for (let i = 0; i < n; i++) {
    const name = `s${String(i).padStart(3, "0")}`;
    await Deno.mkdir(`${w.data}/${name}`, { recursive: true });
    vols.push({
      name,
      mountpoint: `${w.base}/${name}`,
      created: new Date().toISOString(),
      fs: `${w.data}/${name}`,
      options: {},
      mounts: [],
    });
  }
  await Deno.writeTextFile(`${w.cache}/docker-plugin.state`, JSON.stringify(vols), {
    mode: 0o600,
  });
}

type Measures = Record<string, number | undefined>;

/** Start-up: time until the socket answers with 0 and 50 volumes in the state (one tool). */
async function benchStartup(w: World, program: DenocloneProgram, notes: string[]) {
  const r: Measures = {};
  for (const n of [0, volumesInState]) {
    const times: number[] = [];
    for (let i = 0; i < startRepeats; i++) {
      await Deno.remove(w.cache, { recursive: true }).catch(() => {});
      if (n) await writeState(w, n);
      const p = await startPlugin(w, program);
      try {
        times.push(p.startMs);
        if (n) {
          // Startup is done when the restored volumes are listed.
          const list = await p.call("VolumeDriver.List", {});
          const got = (list.json.Volumes as unknown[] | undefined)?.length ?? 0;
          if (got !== n && i === 0) {
            notes.push(`after start with ${n} volumes in state, List shows ${got}`);
          }
        }
      } finally {
        await p.stop();
      }
    }
    r[`start${n}`] = median(times);
    console.log(
      `  ${TOOL_NAMES[w.tool]} start-up with ${n} volumes: ` +
        `${times.map((x) => x.toFixed(0)).join(", ")} ms`,
    );
  }
  await Deno.remove(w.cache, { recursive: true }).catch(() => {});
  return r;
}

/**
 * The API rows, the cycle and memory, with both plugins running side by side: every timed step
 * calls one tool then the other (the order swapped every round), so drift in the machine (disk
 * latency, other load) hits both alike instead of whichever tool ran in that minute. Memory is
 * then measured per tool on the same processes, one after the other.
 */
async function benchApi(
  worlds: Record<Tool, World>,
  program: DenocloneProgram,
  notes: Record<Tool, string[]>,
): Promise<Record<Tool, Measures>> {
  const out: Record<Tool, Measures> = { dc: {}, rc: {} };
  const plugins: Partial<Record<Tool, Plugin>> = {};
  const alive = new Set<Tool>(TOOLS);
  try {
    for (const tool of TOOLS) plugins[tool] = await startPlugin(worlds[tool], program);
    await new Promise((res) => setTimeout(res, 1000));
    for (const tool of TOOLS) out[tool].rssIdle = rssMiB(plugins[tool]!.pid);
    console.log(
      `  idle RSS ${TOOLS.map((t) => `${t} ${out[t].rssIdle!.toFixed(1)}`).join(", ")} MiB; ` +
        "API round trips…",
    );
    const t: Record<Tool, Record<string, number[]>> = { dc: {}, rc: {} };
    const opts = (tool: Tool, i: number) => {
      const dir = `${worlds[tool].data}/b${i}`;
      Deno.mkdirSync(dir, { recursive: true });
      return { remote: dir };
    };
    /** Runs `step` for each live tool, the order swapped every round; a failing tool drops out. */
    const both = async (i: number, step: (tool: Tool, p: Plugin) => Promise<void>) => {
      for (const tool of i % 2 ? [...TOOLS].reverse() : TOOLS) {
        if (!alive.has(tool)) continue;
        try {
          await step(tool, plugins[tool]!);
        } catch (err) {
          alive.delete(tool);
          notes[tool].push(`API part failed: ${(err as Error).message.slice(0, 200)}`);
        }
      }
    };
    const time = async (tool: Tool, p: Plugin, ep: string, body: unknown) => {
      (t[tool][ep] ??= []).push(await ok(p, ep, body));
    };
    // Untimed warm-up, the same for both tools: this script's node:http client (and a JIT-compiled
    // server) reach steady state before anything is timed.
    for (let i = 0; i < warmupCalls; i++) {
      await both(i, async (tool, p) => {
        await ok(p, "VolumeDriver.Create", { Name: `w${i}`, Opts: opts(tool, 2000 + i) });
        await ok(p, "Plugin.Activate", {});
        await ok(p, "VolumeDriver.Capabilities", {});
        await ok(p, "VolumeDriver.Get", { Name: `w${i}` });
        await ok(p, "VolumeDriver.Path", { Name: `w${i}` });
        await ok(p, "VolumeDriver.List", {});
        await ok(p, "VolumeDriver.Remove", { Name: `w${i}` });
      });
    }
    for (let i = 0; i < iterations; i++) {
      await both(
        i,
        (tool, p) => time(tool, p, "VolumeDriver.Create", { Name: `b${i}`, Opts: opts(tool, i) }),
      );
    }
    for (let i = 0; i < iterations; i++) {
      await both(i, async (tool, p) => {
        await time(tool, p, "Plugin.Activate", {});
        await time(tool, p, "VolumeDriver.Capabilities", {});
        await time(tool, p, "VolumeDriver.Get", { Name: `b${i}` });
        await time(tool, p, "VolumeDriver.Path", { Name: `b${i}` });
        await time(tool, p, "VolumeDriver.List", {});
      });
    }
    for (let i = 0; i < mountIterations; i++) {
      await both(
        i,
        (tool, p) => time(tool, p, "VolumeDriver.Mount", { Name: `b${i}`, ID: "bench" }),
      );
    }
    for (let i = 0; i < mountIterations; i++) {
      await both(
        i,
        (tool, p) => time(tool, p, "VolumeDriver.Unmount", { Name: `b${i}`, ID: "bench" }),
      );
    }
    for (const tool of TOOLS) {
      if (!alive.has(tool)) continue;
      try {
        Object.assign(out[tool], await rawRoundTrips(worlds[tool].sock, "b0", quick ? 200 : 1000));
      } catch (err) {
        notes[tool].push(`minimal client: ${(err as Error).message.slice(0, 200)}`);
      }
    }
    for (let i = 0; i < iterations; i++) {
      await both(i, (tool, p) => time(tool, p, "VolumeDriver.Remove", { Name: `b${i}` }));
    }
    for (const tool of TOOLS) {
      for (const [ep, xs] of Object.entries(t[tool])) out[tool][ep] = median(xs);
    }
    // The whole cycle on the local backend.
    const cycles: Record<Tool, number[]> = { dc: [], rc: [] };
    for (let i = 0; i < mountIterations; i++) {
      await both(i, async (tool, p) => {
        const c0 = performance.now();
        const name = `c${i}`;
        await ok(p, "VolumeDriver.Create", { Name: name, Opts: opts(tool, 1000 + i) });
        await ok(p, "VolumeDriver.Mount", { Name: name, ID: "cycle" });
        await ok(p, "VolumeDriver.Unmount", { Name: name, ID: "cycle" });
        await ok(p, "VolumeDriver.Remove", { Name: name });
        cycles[tool].push(performance.now() - c0);
      });
    }
    for (const tool of TOOLS) if (cycles[tool].length) out[tool].cycle = median(cycles[tool]);
    for (const tool of TOOLS) {
      if (!alive.has(tool)) continue;
      console.log(`  ${TOOL_NAMES[tool]}: mounting ${volumesInState} volumes…`);
      try {
        out[tool].rss50 = await mountedRss(
          worlds[tool],
          plugins[tool]!,
          (i) => opts(tool, 3000 + i),
        );
      } catch (err) {
        notes[tool].push(`memory part failed: ${(err as Error).message.slice(0, 200)}`);
      }
    }
  } finally {
    for (const tool of TOOLS) await plugins[tool]?.stop();
  }
  return out;
}

/**
 * RSS of plugin `p` with 50 mounted volumes, each listed once, 2 s after the last; the volumes
 * are unmounted and removed again after.
 */
async function mountedRss(w: World, p: Plugin, opts: (i: number) => unknown): Promise<number> {
  for (let i = 0; i < volumesInState; i++) {
    await ok(p, "VolumeDriver.Create", { Name: `m${i}`, Opts: opts(i) });
    await ok(p, "VolumeDriver.Mount", { Name: `m${i}`, ID: "mem" });
  }
  for (let i = 0; i < volumesInState; i++) {
    // Touch each mount once so every volume has a live VFS. Bounded: a daemon that hangs
    // (rclone 1.60 has deadlocked here) fails this part instead of stalling the whole run.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const listed = Deno.readDir(`${w.base}/m${i}`)[Symbol.asyncIterator]().next();
    const hung = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`listing mounted volume m${i} hung for 30 s`)),
        30_000,
      );
    });
    try {
      await Promise.race([listed, hung]);
    } finally {
      clearTimeout(timer);
    }
  }
  await new Promise((res) => setTimeout(res, 2000));
  const rss = rssMiB(p.pid);
  // Unmount all before stopping: rclone 1.60 deadlocks at exit with 2+ mounted volumes.
  for (let i = 0; i < volumesInState; i++) {
    await ok(p, "VolumeDriver.Unmount", { Name: `m${i}`, ID: "mem" });
    await ok(p, "VolumeDriver.Remove", { Name: `m${i}` });
  }
  return rss;
}

/**
 * What the docker part measures: median `docker run` times per volume driver, each plugin's
 * median overhead over the local driver in the same round, and the median of the per-round
 * ratios rclone / denoclone (`paired`).
 */
type DockerMeasure = Tool | "local" | "dcOver" | "rcOver" | "paired";

/** Median `docker run` time with a volume of each plugin and of the local driver. */
async function benchDocker(
  worlds: Record<Tool, World>,
  program: DenocloneProgram,
  notes: string[],
): Promise<Partial<Record<DockerMeasure, number>>> {
  const out: Partial<Record<DockerMeasure, number>> = {};
  const why = dockerUnavailable();
  if (why) {
    notes.push(`docker part skipped: ${why}`);
    return out;
  }
  const d = await startDockerd();
  const plugins: Plugin[] = [];
  try {
    const image = await ensureBusyboxImage(d);
    const runOnce = async (vol: string) => {
      const t0 = performance.now();
      const r = await d.docker(["run", "--rm", "-v", `${vol}:/data`, image, "true"]);
      if (r.code !== 0) throw new Error(`docker run with ${vol}: ${r.stderr.slice(0, 300)}`);
      return performance.now() - t0;
    };
    const mk = await d.docker(["volume", "create", "benchlocal"]);
    if (mk.code !== 0) throw new Error(`docker volume create: ${mk.stderr}`);
    const vols: Partial<Record<Tool, string>> = {};
    for (const tool of ["dc", "rc"] as Tool[]) {
      const w = worlds[tool];
      await Deno.remove(w.cache, { recursive: true }).catch(() => {});
      plugins.push(await startPlugin(w, program));
      const vol = `${PLUGIN_NAMES[tool]}vol`;
      await Deno.mkdir(`${w.data}/docker`, { recursive: true });
      const c = await d.docker(
        ["volume", "create", "-d", PLUGIN_NAMES[tool], "-o", `remote=${w.data}/docker`, vol],
      );
      if (c.code !== 0) {
        notes.push(`${TOOL_NAMES[tool]}: docker volume create failed: ${c.stderr.slice(0, 300)}`);
      } else vols[tool] = vol;
    }
    // Round robin so drift in the machine's load hits all three alike: local, dc, rc for the
    // first half of the rounds, local, rc, dc for the second, so neither plugin always runs
    // right after the other (whose background work after a run, a state fsync or a collection,
    // would land in its run) while each plugin's runs stay two runs apart as before (the
    // daemon's quiet-time memory release comes 1 s after its last unmount: with three runs in
    // between it could land in its next run). The overhead is the median of each round's
    // difference to its local-driver run.
    const times: Record<Tool | "local", number[]> = { local: [], dc: [], rc: [] };
    const over: Record<Tool, number[]> = { dc: [], rc: [] };
    for (let i = 0; i <= dockerRuns; i++) {
      const local = await runOnce("benchlocal");
      const round: Partial<Record<Tool, number>> = {};
      for (const tool of (i <= dockerRuns / 2 ? ["dc", "rc"] : ["rc", "dc"]) as Tool[]) {
        if (vols[tool]) round[tool] = await runOnce(vols[tool]!);
      }
      if (i === 0) continue; // warm-up round
      times.local.push(local);
      for (const tool of ["dc", "rc"] as Tool[]) {
        if (round[tool] === undefined) continue;
        times[tool].push(round[tool]!);
        over[tool].push(round[tool]! - local);
      }
    }
    out.local = median(times.local);
    if (times.dc.length && times.dc.length === times.rc.length) {
      const paired = median(times.dc.map((t, i) => t - times.rc[i]!));
      out.paired = median(times.dc.map((t, i) => times.rc[i]! / t));
      notes.push(
        `denoclone − rclone, same round: median ${paired.toFixed(1)} ms over ${times.dc.length} ` +
          "rounds (negative: denoclone faster)",
      );
    }
    for (const tool of ["dc", "rc"] as Tool[]) {
      if (!times[tool].length) continue;
      out[tool] = median(times[tool]);
      out[tool === "dc" ? "dcOver" : "rcOver"] = median(over[tool]);
      await d.docker(["volume", "rm", vols[tool]!]);
    }
  } catch (err) {
    notes.push(`docker part failed: ${(err as Error).message.slice(0, 300)}`);
  } finally {
    for (const p of plugins) await p.stop();
    await d.stop();
  }
  return out;
}

const started = new Date();
const startLoad = loadavg();
const program = await denocloneProgram();
const rcloneVersion = (await run("rclone", ["version"])).split("\n")[0];
const worlds = { dc: await makeWorld("dc"), rc: await makeWorld("rc") };
const notes: Record<Tool, string[]> = { dc: [], rc: [] };
const dockerNotes: string[] = [];
const res: Partial<Record<Tool, Measures>> = {};
let docker: Partial<Record<DockerMeasure, number>> = {};
const memory = await steadyMemory();
console.log(memory.note);
try {
  for (const tool of TOOLS) {
    console.log(`${TOOL_NAMES[tool]} serve docker: start-up…`);
    res[tool] = await benchStartup(worlds[tool], program, notes[tool]);
  }
  console.log("both side by side: API round trips, cycle, memory…");
  const api = await benchApi(worlds, program, notes);
  for (const tool of TOOLS) {
    Object.assign(res[tool]!, api[tool]);
    console.log(JSON.stringify(res[tool]));
  }
  if (withDocker) {
    console.log("docker run overhead…");
    docker = await benchDocker(worlds, program, dockerNotes);
    console.log(JSON.stringify(docker));
  }
} finally {
  memory.restore();
  for (const w of Object.values(worlds)) {
    await detachUnder(w.base);
    await Deno.remove(w.work, { recursive: true }).catch(() => {});
  }
  await program.cleanup();
}

const rows: ResultRow[] = [];
const add = (
  group: string,
  key: string,
  label: string,
  unit: string,
  extra: Partial<ResultRow> = {},
) => {
  const row: ResultRow = { group, label, unit, higherIsBetter: false, goal: 1, ...extra };
  const dc = res.dc?.[key];
  const rc = res.rc?.[key];
  if (dc !== undefined) row.dc = dc;
  if (rc !== undefined) row.rc = rc;
  rows.push(row);
};
const api = "API round trip (median)";
for (
  const ep of [
    "Plugin.Activate",
    "VolumeDriver.Create",
    "VolumeDriver.Get",
    "VolumeDriver.List",
    "VolumeDriver.Path",
    "VolumeDriver.Capabilities",
    "VolumeDriver.Mount",
    "VolumeDriver.Unmount",
    "VolumeDriver.Remove",
  ]
) {
  const n = /mount$/i.test(ep) ? mountIterations : iterations;
  add(api, ep, `${ep} (${n} calls${ep.endsWith("List") ? `, ${iterations} volumes` : ""})`, "ms");
}
for (const ep of RAW_ENDPOINTS) {
  add(
    "API round trip, minimal HTTP/1.1 client (median)",
    `raw:${ep}`,
    `${ep}${ep.endsWith("List") ? ` (${iterations} volumes)` : ""}`,
    "ms",
  );
}
add("Volume lifecycle", "cycle", "Create→Mount→Unmount→Remove, local backend (median)", "ms");
add("Start-up", "start0", "socket answers after start, 0 volumes in state (median)", "ms");
add("Start-up", "start50", `socket answers after start, ${volumesInState} volumes in state`, "ms");
add("Memory", "rssIdle", "daemon RSS idle", "MiB");
add("Memory", "rss50", `daemon RSS with ${volumesInState} mounted volumes`, "MiB");
if (withDocker) {
  const total: ResultRow = {
    group: "Docker",
    label: `\`docker run --rm -v vol:/data busybox true\`, whole run (median of ${dockerRuns}; ` +
      "ratio: median of the per-round ratios)",
    unit: "ms",
    higherIsBetter: false,
    goal: 1,
  };
  if (docker.dc !== undefined) total.dc = docker.dc;
  if (docker.rc !== undefined) total.rc = docker.rc;
  if (docker.paired !== undefined) total.pairedRatio = docker.paired;
  rows.push(total);
  const over = (t: Tool) => t === "dc" ? docker.dcOver : docker.rcOver;
  const row: ResultRow = {
    group: "Docker",
    label: `overhead of that run over a local-driver volume (${
      docker.local?.toFixed(0) ?? "?"
    } ms), median of per-round differences`,
    unit: "ms",
    higherIsBetter: false,
    goal: 1,
    limit: 50,
    noRatio: true,
  };
  const dc = over("dc");
  const rc = over("rc");
  if (dc !== undefined) row.dc = dc;
  if (rc !== undefined) row.rc = rc;
  rows.push(row);
}

const stamp = started.toISOString().replace(/[:.]/g, "-").slice(0, 19);
await Deno.mkdir(outDir, { recursive: true });
const png = `${outDir}/plugin-${stamp}.png`;
const chartErr = await drawChart(
  rows,
  png,
  `denoclone vs ${rcloneVersion} serve docker (${started.toISOString().slice(0, 16)}Z)`,
);
const lines = [
  `# Docker plugin benchmark ${started.toISOString()}`,
  "",
  `denoclone serve docker (${program.describe}) vs ${rcloneVersion} serve docker, same run, each on`,
  "its own unix socket under /run/docker/plugins with its own base dir, cache dir and config.",
  "HTTP over the unix socket with `node:http` (one kept-alive connection, origin-form targets),",
  `timed after ${warmupCalls} untimed rounds of Create/Activate/Capabilities/Get/Path/List/Remove per tool.`,
  "Both plugins run side by side for the API rows, the cycle and memory: each timed step calls one",
  "then the other (order swapped every round), so drift in the machine hits both alike.",
  "Ratio = how many times better denoclone is. RSS includes child processes.",
  machineLine(startLoad),
  `Command: \`deno run -A scripts/bench_plugin.ts ${args.join(" ")}\`.`,
  "",
  ...reportBody(rows, `plugin-${stamp}.png`, chartErr),
  "## Notes",
  "",
  `- memory: ${memory.note}`,
  ...[...notes.dc.map((n) => `- denoclone: ${n}`), ...notes.rc.map((n) => `- rclone: ${n}`)],
  ...dockerNotes.map((n) => `- docker: ${n}`),
  "",
];
await Deno.writeTextFile(`${outDir}/plugin-${stamp}.md`, lines.join("\n"));
await Deno.writeTextFile(
  `${outDir}/plugin-${stamp}.json`,
  JSON.stringify(rows.map((r) => ({ ...r, ratio: ratio(r) })), null, 1) + "\n",
);
console.log(lines.join("\n"));
console.log(`wrote ${outDir}/plugin-${stamp}.md`);

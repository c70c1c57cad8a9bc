/**
 * @module
 * `deno task bench [-- flags]`: the mount benchmark. Mounts the same remote with denoclone and
 * with Debian's `rclone mount` (1.60) in one run, drives both with the same operations from
 * subprocesses of this script, and writes `bench/results/mount-<date>.md` (tables with ratios
 * and targets) and `.png` (gnuplot chart of the ratios). Not a test: numbers vary with the
 * machine and its load.
 *
 * Flags: `--quick` (256M big file, fewer files), `--modes off,writes,full`,
 * `--targets local,sftp,crypt,crypt-sftp`, `--size 1G`, `--small 1000`, `--stat 10000`,
 * `--tree 6400` (files copied with `cp -r`), `--random-secs 8`, `--cold-samples 3` (fresh
 * mounts per tool and mode; time to first byte, the cold listing and the stat pass after it are
 * their medians),
 * `--prep copy|mount` (how the fixtures reach the remote: `rclone copy`, or an `rclone mount`
 * in cache mode off), `--profile DIR` (run denoclone with `--cpu-prof`, profiles and markdown
 * summaries in DIR), `--out DIR` (default bench/results), `--prep-only` (put the fixtures on
 * each target, verify them with `rclone size`, and stop), `--rows seqWrite,cpR` (only these
 * rows; keys as in `ROWS`).
 *
 * On `local` every row runs in every mode: time to first byte, listing and stat of a big
 * directory, sequential read (cold; in `full` also warm), random 4 KiB reads of that file
 * right after it, 4 parallel readers, creating small files, sequential write, `cp -r` of a tree
 * of small files into the mount, write then unmount (until the data is on the remote and the
 * process has exited) and `rm -r` of the copied tree. Other targets run sequential read/write,
 * small files and the listing in modes off and full. Both tools are measured side by side,
 * step by step (see `benchMode`).
 */
import { parseSize } from "../lib/config/option_schema.ts";
import {
  type DenocloneProgram,
  denocloneProgram,
  dropCaches,
  isMounted,
  type MountProc,
  quiesceDisk,
  run,
  startMount,
  type Tool,
  TOOL_NAMES,
} from "./_bench_proc.ts";
import { makeTarget, type Target } from "./_bench_targets.ts";
import {
  drawChart,
  loadavg,
  machineLine,
  markdownTables,
  median,
  ratio,
  reportBody,
  type ResultRow,
} from "./_bench_report.ts";
import { flagValue } from "./_bench_args.ts";
import { steadyMemory } from "./_bench_memory.ts";
import type { IoArgs, IoResult } from "./_bench_io.ts";

const MiB = 1024 * 1024;
const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const args = Deno.args;
const flag = (name: string, dflt: string) => flagValue(args, name, dflt);
const quick = args.includes("--quick");
const modes = flag("modes", "off,writes,full").split(",");
const targetNames = flag("targets", "local,sftp,crypt,crypt-sftp").split(",");
const bigBytes = parseSize(flag("size", quick ? "256M" : "1G"));
const parBytes = Math.min(bigBytes, 256 * MiB);
const smallCount = Number(flag("small", quick ? "200" : "1000"));
const statCount = Number(flag("stat", quick ? "2000" : "10000"));
const treeCount = Number(flag("tree", quick ? "800" : "6400"));
const randomSecs = Number(flag("random-secs", quick ? "3" : "8"));
/**
 * Fresh mounts per tool and mode whose time to first byte, cold listing and stat of every entry
 * are measured; those rows are the medians. One listing of 10,000 cold entries swung ±30%
 * between identical runs (the disk's latency), one stat pass ±50%, more than the tools differ.
 */
const coldSamples = Number(flag("cold-samples", "3"));
const prepMode = flag("prep", "copy");
const profileDir = args.includes("--profile") ? flag("profile", "") : undefined;
const outDir = flag("out", `${root}/bench/results`);
const prepOnly = args.includes("--prep-only");
const rowSel = flag("rows", "").split(",").filter((k) => k);
/** True when row `key` is selected (`--rows a,b`; every row when the flag is absent). */
function want(key: string): boolean {
  return rowSel.length === 0 || rowSel.includes(key);
}

/** Runs one measured operation in a subprocess; undefined (and a note) when it fails. */
async function ioRun(op: string, a: IoArgs, notes: string[], timeoutMs = 900_000) {
  try {
    const out = await run(
      Deno.execPath(),
      ["run", "-A", "--quiet", `${root}/scripts/_bench_io.ts`, op, JSON.stringify(a)],
      { timeoutMs },
    );
    return JSON.parse(out.trim().split("\n").pop()!) as IoResult;
  } catch (err) {
    notes.push(`${op} failed: …${(err as Error).message.replace(/\s+/g, " ").slice(-240)}`);
    return undefined;
  }
}

const mbps = (r?: IoResult) => r && r.bytes !== undefined ? r.bytes / MiB / r.secs : undefined;
const opsPerSec = (r?: IoResult) => r && r.ops !== undefined ? r.ops / r.secs : undefined;

async function timedCmd(cmd: string, a: string[], notes: string[]): Promise<number | undefined> {
  const t0 = performance.now();
  try {
    await run(cmd, a, { timeoutMs: 1_800_000 });
    return (performance.now() - t0) / 1000;
  } catch (err) {
    notes.push(`${cmd} failed: …${(err as Error).message.replace(/\s+/g, " ").slice(-240)}`);
    return undefined;
  }
}

/** Builds the local staging tree: big file, parallel-read files, stat dir, cp -r source. */
async function makeStaging(dir: string): Promise<void> {
  const notes: string[] = [];
  await Deno.mkdir(`${dir}/remote/stat`, { recursive: true });
  const must = (r: IoResult | undefined) => {
    if (!r) throw new Error(`staging failed: ${notes.join("; ")}`);
  };
  must(await ioRun("writeBig", { path: `${dir}/remote/big`, bytes: bigBytes }, notes));
  await Deno.mkdir(`${dir}/par`);
  for (let i = 0; i < 4; i++) {
    must(await ioRun("writeBig", { path: `${dir}/par/par${i}`, bytes: parBytes }, notes));
  }
  must(
    await ioRun(
      "createSmall",
      { path: `${dir}/remote/stat`, count: statCount, prefix: "e" },
      notes,
    ),
  );
  const perDir = 100;
  for (let d = 0; d * perDir < treeCount; d++) {
    const n = Math.min(perDir, treeCount - d * perDir);
    const sub = `${dir}/tree/d${d}`;
    await Deno.mkdir(sub, { recursive: true });
    for (let i = 0; i < n; i++) {
      await Deno.writeFile(`${sub}/f${i}`, new Uint8Array(1024 * (1 + (i % 16))));
    }
  }
}

/** Puts the fixtures on the target's remote and checks they all arrived. */
async function prepare(t: Target, staging: string, program: DenocloneProgram): Promise<string> {
  const t0 = performance.now();
  // Only `local` runs the parallel readers; other targets skip those files.
  const withPar = t.name === "local";
  if (prepMode === "mount") {
    const m = await startMount({
      tool: "rc",
      program,
      remote: t.remote,
      config: t.config,
      cacheDir: `${t.work}/cache-prep`,
      flags: ["--vfs-cache-mode", "off"],
      logFile: `${t.work}/prep.log`,
    });
    try {
      await run("cp", ["-r", `${staging}/remote/.`, m.mp], { timeoutMs: 3_600_000 });
      if (withPar) await run("cp", ["-r", `${staging}/par/.`, m.mp], { timeoutMs: 3_600_000 });
    } finally {
      await m.stop();
    }
  } else {
    for (const src of withPar ? ["remote", "par"] : ["remote"]) {
      await run("rclone", [
        "copy",
        `${staging}/${src}`,
        t.remote,
        "--config",
        t.config,
        "--transfers",
        "8",
        "--checkers",
        "16",
      ], { timeoutMs: 3_600_000 });
    }
  }
  const secs = (performance.now() - t0) / 1000;
  const size = JSON.parse(
    await run("rclone", ["size", "--json", t.remote, "--config", t.config]),
  ) as { count: number; bytes: number };
  const wantCount = 1 + (withPar ? 4 : 0) + statCount;
  const wantBytes = bigBytes + (withPar ? 4 * parBytes : 0) + 4096 * statCount;
  if (size.count !== wantCount || size.bytes !== wantBytes) {
    throw new Error(
      `fixtures on ${t.name} incomplete after ${prepMode} prep: ${size.count} files / ` +
        `${size.bytes} bytes, expected ${wantCount} / ${wantBytes}`,
    );
  }
  return `fixtures via ${
    prepMode === "mount" ? "rclone mount --vfs-cache-mode off" : "rclone copy"
  } in ${secs.toFixed(0)} s, verified with rclone size (${size.count} files, ${size.bytes} bytes)`;
}

async function waitStored(
  t: Target,
  rel: string,
  bytes: number,
  m: MountProc,
): Promise<{ landed: boolean }> {
  const want = await t.stored(rel, bytes);
  let exitedAt: number | undefined;
  const deadline = performance.now() + 900_000;
  for (;;) {
    if (performance.now() > deadline) return { landed: false };
    const size = await Deno.stat(want.path).then((s) => s.size).catch(() => -1);
    if (size === want.size) return { landed: true };
    if (m.exited()) {
      exitedAt ??= performance.now();
      if (performance.now() - exitedAt > 3000) return { landed: false };
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Waits until everything the earlier rows wrote through a caching mount is on the remote (checked
 * with `rclone size` on the remote itself), then flushes dirty pages, so a row never pays for the
 * previous row's upload still running in the background. Both tools get the same wait.
 */
async function settle(
  t: Target,
  rel: string,
  count: number,
  bytes: number,
  m: MountProc,
  notes: string[],
): Promise<void> {
  const target = t.remote.endsWith(":") ? `${t.remote}${rel}` : `${t.remote}/${rel}`;
  const deadline = performance.now() + 900_000;
  for (;;) {
    const out = await run("rclone", ["size", "--json", target, "--config", t.config])
      .catch(() => "{}");
    const size = JSON.parse(out) as { count?: number; bytes?: number };
    if (size.count === count && size.bytes === bytes) break;
    if (m.exited() || performance.now() > deadline) {
      notes.push(`${rel} never fully reached the remote before the next row`);
      break;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await run("sync", []);
}

type Measures = Record<string, number | undefined>;

/** Both tools, in the order {@link benchMode} starts from. */
const TOOLS: Tool[] = ["dc", "rc"];

/** Bytes of the `cp -r` tree (file `i` of each 100-file directory holds 1 + i % 16 KiB). */
function treeBytes(): number {
  let bytes = 0;
  for (let j = 0; j < treeCount; j++) bytes += 1024 * (1 + ((j % 100) % 16));
  return bytes;
}

/**
 * Measures every selected row of one target and cache mode for both tools, side by side: both
 * tools' mounts are up at once and each step runs on one tool, then on the other, the first
 * tool alternating from step to step (`first` picks the first step's). The disk's latency
 * drifts over minutes on this machine (ext4 with `discard`: every freed block is a TRIM), and
 * when one tool ran all its rows before the other, that drift decided single-sample rows
 * (`cp -r` in off mode 0.55× in one run, while alternating runs showed denoclone faster every
 * time). Both tools read the same remote, so every reading step drops the page cache first; a
 * writing step is followed by a wait until its writes are on the remote and the disk is quiet,
 * so the other tool never shares the disk with them. Time to first byte, the cold listing and
 * the stat pass after it are the medians of `coldSamples` fresh mounts per tool.
 */
async function benchMode(
  t: Target,
  mode: string,
  first: number,
  program: DenocloneProgram,
  staging: string,
  all: boolean,
  notes: Record<Tool, string[]>,
): Promise<Record<Tool, Measures>> {
  const r: Record<Tool, Measures> = { dc: {}, rc: {} };
  const samples = {
    ttfb: { dc: [] as number[], rc: [] as number[] },
    list: { dc: [] as number[], rc: [] as number[] },
    stat: { dc: [] as number[], rc: [] as number[] },
  };
  const spec = (tool: Tool) => ({
    tool,
    program,
    remote: t.remote,
    config: t.config,
    cacheDir: `${t.work}/cache-${tool}-${mode}`,
    flags: ["--vfs-cache-mode", mode, "--dir-cache-time", "5m"],
    logFile: `${t.work}/${tool}-${mode}.log`,
  });
  let turn = first;
  /** Both tools, the one going first alternating from call to call. */
  const order = (): Tool[] => turn++ % 2 === 0 ? TOOLS : [...TOOLS].reverse();
  // Every measurement checks the mount is still up: a dead mount's directory would take the
  // I/O on the local disk and report nonsense.
  const io = async (tool: Tool, m: MountProc, op: string, a: IoArgs) => {
    if (m.exited() || !isMounted(m.mp)) {
      notes[tool].push(`${op} skipped: the mount is gone`);
      return undefined;
    }
    const res = await ioRun(op, a, notes[tool]);
    if (m.exited() || !isMounted(m.mp)) {
      const tail = (await Deno.readTextFile(spec(tool).logFile).catch(() => "")).slice(-400);
      notes[tool].push(`mount gone during ${op}; its log ends: ${tail.replace(/\s+/g, " ")}`);
      return undefined;
    }
    return res;
  };
  /**
   * On a mount just started: time to first byte (ms) of the big file, the cold listing, and a
   * stat of every entry right after it.
   */
  const coldStart = async (tool: Tool, m: MountProc) => {
    if (all && want("ttfb")) {
      await dropCaches();
      const fb = await io(tool, m, "firstByte", { path: `${m.mp}/big` });
      if (fb) samples.ttfb[tool].push(fb.secs * 1000);
    }
    if (want("list")) {
      await dropCaches();
      const l = await io(tool, m, "listDir", { path: `${m.mp}/stat`, count: statCount });
      if (l) samples.list[tool].push(l.secs);
    }
    // Stat every entry right after listing them (what `ls -l` does).
    if (all && want("stat")) {
      const st = opsPerSec(
        await io(tool, m, "statMany", { path: `${m.mp}/stat`, count: statCount }),
      );
      if (st !== undefined) samples.stat[tool].push(st);
    }
  };
  /** After a step that wrote `rel` (`count` files, `bytes`): on the remote, disk quiet. */
  const landed = async (tool: Tool, m: MountProc, rel: string, count: number, bytes: number) => {
    if (mode !== "off") await settle(t, rel, count, bytes, m, notes[tool]);
    await quiesceDisk();
  };

  const mounts: Partial<Record<Tool, MountProc>> = {};
  try {
    for (const tool of order()) mounts[tool] = await startMount(spec(tool));
    /** Runs `step` on each tool's mount, one tool after the other. */
    const each = async (step: (tool: Tool, m: MountProc) => Promise<void>) => {
      for (const tool of order()) await step(tool, mounts[tool]!);
    };
    await each(coldStart);
    if (want("seqRead") || (mode === "full" && want("warmRead")) || (all && want("randRead"))) {
      await each(async (tool, m) => {
        const big = `${m.mp}/big`;
        if (want("seqRead")) {
          await dropCaches();
          r[tool].seqRead = mbps(await io(tool, m, "readAll", { path: big }));
        }
        if (mode === "full" && want("warmRead")) {
          await dropCaches();
          r[tool].warmRead = mbps(await io(tool, m, "readAll", { path: big }));
        }
        // Random reads of the file the sequential read(s) just went through, before anything
        // drops the page cache: what a re-read of recently used data costs (with the caches
        // dropped both tools wait on the disk for every 4 KiB and tie at its latency).
        if (all && want("randRead")) {
          r[tool].randRead = opsPerSec(
            await io(tool, m, "randomReads", { path: big, bytes: bigBytes, seconds: randomSecs }),
          );
        }
      });
    }
    if (all && want("parRead")) {
      await each(async (tool, m) => {
        await dropCaches();
        r[tool].parRead = mbps(
          await io(tool, m, "parallelRead", {
            path: m.mp,
            paths: [0, 1, 2, 3].map((i) => `${m.mp}/par${i}`),
          }),
        );
      });
    }
    if (want("create")) {
      await each(async (tool, m) => {
        r[tool].create = opsPerSec(
          await io(tool, m, "createSmall", { path: `${m.mp}/small-${tool}`, count: smallCount }),
        );
        await landed(tool, m, `small-${tool}`, smallCount, smallCount * 4096);
      });
    }
    if (want("seqWrite")) {
      await each(async (tool, m) => {
        r[tool].seqWrite = mbps(
          await io(tool, m, "writeBig", { path: `${m.mp}/w-${tool}`, bytes: bigBytes }),
        );
        await landed(tool, m, `w-${tool}`, 1, bigBytes);
      });
    }
    if (all && (want("cpR") || want("rmR"))) {
      await each(async (tool, m) => {
        r[tool].cpR = await timedCmd(
          "cp",
          ["-r", `${staging}/tree`, `${m.mp}/tree-${tool}`],
          notes[tool],
        );
        await landed(tool, m, `tree-${tool}`, treeCount, treeBytes());
      });
    }
  } finally {
    for (const tool of TOOLS) await mounts[tool]?.stop();
  }
  await quiesceDisk();

  if (all && want("writeUnmount")) {
    // Write, then unmount at once: done when the process has exited with the data on the remote.
    for (const tool of order()) {
      const m = await startMount(spec(tool));
      const t0 = performance.now();
      let stopping: Promise<number> | undefined;
      try {
        const w = await io(tool, m, "writeBig", { path: `${m.mp}/wu-${tool}`, bytes: bigBytes });
        if (w) {
          stopping = m.stop();
          const [{ landed }] = await Promise.all([
            waitStored(t, `wu-${tool}`, bigBytes, m),
            stopping,
          ]);
          const secs = (performance.now() - t0) / 1000;
          if (landed) r[tool].writeUnmount = secs;
          else {
            r[tool].writeUnmountLost = 1;
            notes[tool].push(
              `write then unmount: the process exited after ${
                secs.toFixed(1)
              } s without the file on the remote (data lost until the next mount)`,
            );
          }
        }
      } finally {
        if (!stopping) await m.stop();
      }
      await quiesceDisk();
    }
  }
  if (all && mode !== "off" && want("writeWaitUnmount")) {
    // Write, wait until the upload is on the remote, then unmount.
    for (const tool of order()) {
      const m = await startMount(spec(tool));
      const t0 = performance.now();
      try {
        const w = await io(tool, m, "writeBig", { path: `${m.mp}/ww-${tool}`, bytes: bigBytes });
        if (w) {
          const { landed } = await waitStored(t, `ww-${tool}`, bigBytes, m);
          if (landed) {
            await m.stop();
            r[tool].writeWaitUnmount = (performance.now() - t0) / 1000;
          } else {
            notes[tool].push("write, wait for upload, unmount: the mount died before the upload");
          }
        }
      } finally {
        await m.stop();
      }
      await quiesceDisk();
    }
  }
  // More cold starts, each on a fresh mount, for the medians of time to first byte and listing.
  if ((all && (want("ttfb") || want("stat"))) || want("list")) {
    for (let k = 1; k < coldSamples; k++) {
      for (const tool of order()) {
        const m = await startMount(spec(tool));
        try {
          await coldStart(tool, m);
        } finally {
          await m.stop();
        }
      }
    }
  }
  for (const tool of TOOLS) {
    const { ttfb, list, stat } = samples;
    if (all && want("ttfb")) r[tool].ttfb = ttfb[tool].length ? median(ttfb[tool]) : undefined;
    if (want("list")) r[tool].list = list[tool].length ? median(list[tool]) : undefined;
    if (all && want("stat")) r[tool].stat = stat[tool].length ? median(stat[tool]) : undefined;
  }
  for (const tool of order()) {
    const m = await startMount(spec(tool));
    try {
      if (all && want("rmR")) {
        await dropCaches();
        r[tool].rmR = await timedCmd("rm", ["-r", `${m.mp}/tree-${tool}`], notes[tool]);
      }
      await run("rm", [
        "-rf",
        `${m.mp}/small-${tool}`,
        `${m.mp}/w-${tool}`,
        `${m.mp}/wu-${tool}`,
        `${m.mp}/ww-${tool}`,
        `${m.mp}/tree-${tool}`,
      ])
        .catch((err) => notes[tool].push(`cleanup: ${(err as Error).message.slice(0, 120)}`));
    } finally {
      await m.stop();
    }
    await quiesceDisk();
  }
  return r;
}

/** Row definitions: key, label, unit, higher is better. */
const ROWS: [string, string, string, boolean][] = [
  ["seqRead", "sequential read (cold) 1 file", "MB/s", true],
  ["warmRead", "sequential read (warm, from cache)", "MB/s", true],
  ["parRead", "4 parallel readers", "MB/s", true],
  ["randRead", "random 4 KiB reads of the file just read", "IOPS", true],
  ["seqWrite", "sequential write 1 file", "MB/s", true],
  ["writeUnmount", "write then unmount at once (until on remote)", "s", false],
  ["writeWaitUnmount", "write, wait for upload, unmount", "s", false],
  ["create", "create small files", "files/s", true],
  ["cpR", "cp -r tree of small files in", "s", false],
  ["rmR", "rm -r that tree (cold)", "s", false],
  ["stat", "stat each entry of big dir", "ops/s", true],
  ["list", "list big directory (cold)", "s", false],
  ["ttfb", "time to first byte (cold)", "ms", false],
];

function goalFor(target: string, mode: string, key: string): number {
  if (target === "local" && mode === "off" && key === "seqRead") return 3;
  if (target === "local" && mode !== "off" && (key === "seqWrite" || key === "cpR")) return 2;
  return 1;
}

const started = new Date();
const startLoad = loadavg();
const program = await denocloneProgram(profileDir);
const rcloneVersion = (await run("rclone", ["version"])).split("\n")[0];
const rows: ResultRow[] = [];
const notesOut: string[] = [];
const prepNotes: string[] = [];
const staging = await Deno.makeTempDir({ prefix: "bench-staging-" });
const memory = await steadyMemory();
prepNotes.push(memory.note);
try {
  console.log(memory.note);
  console.log(`staging fixtures in ${staging}…`);
  await makeStaging(staging);
  for (const tname of targetNames) {
    const t = await makeTarget(tname);
    try {
      prepNotes.push(`${tname}: ${await prepare(t, staging, program)}`);
      // Write the staged and copied fixtures out now: otherwise whichever tool is measured
      // first pays for flushing ~1.3 GB of someone else's dirty pages.
      await quiesceDisk();
      console.log(prepNotes[prepNotes.length - 1]);
      if (prepOnly) continue;
      const all = tname === "local";
      const tmodes = all ? modes : modes.filter((m) => m === "off" || m === "full");
      for (const [mi, mode] of tmodes.entries()) {
        const notes: Record<Tool, string[]> = { dc: [], rc: [] };
        const b0 = performance.now();
        console.log(`${new Date().toISOString().slice(11, 19)} ${tname} ${mode}…`);
        const res = await benchMode(t, mode, mi, program, staging, all, notes);
        console.log(`  took ${((performance.now() - b0) / 1000).toFixed(0)} s`);
        const group = `${tname}, --vfs-cache-mode ${mode}`;
        for (const [key, label, unit, hib] of ROWS) {
          const dc = res.dc?.[key];
          const rc = res.rc?.[key];
          if (!(key in (res.dc ?? {})) && !(key in (res.rc ?? {}))) continue;
          let l = label.replace("1 file", `${bigBytes / MiB} MiB`);
          if (key === "create") l += ` (${smallCount} × 4 KiB)`;
          if (key === "cpR") l = l.replace("tree of", `tree of ${treeCount}`);
          if (key === "list" || key === "stat") l += ` (${statCount})`;
          if ((key === "list" || key === "ttfb" || key === "stat") && coldSamples > 1) {
            l += `, median of ${coldSamples}`;
          }
          if (key.startsWith("write")) l = l.replace("write", `write ${bigBytes / MiB} MiB`);
          const row: ResultRow = {
            group,
            label: l,
            unit,
            higherIsBetter: hib,
            goal: goalFor(tname, mode, key),
          };
          if (dc !== undefined) row.dc = dc;
          if (rc !== undefined) row.rc = rc;
          if (key === "writeUnmount") {
            const lost = TOOLS.filter((x) => res[x].writeUnmountLost);
            if (lost.length) {
              row.lost = lost.map((x) => TOOL_NAMES[x]);
              row.note = `${row.lost.join(" and ")} exited with the data not on the remote`;
            }
          }
          rows.push(row);
        }
        for (const tool of ["dc", "rc"] as Tool[]) {
          for (const n of notes[tool]) notesOut.push(`- ${group}, ${TOOL_NAMES[tool]}: ${n}`);
        }
        console.log(markdownTables(rows.filter((r) => r.group === group)).join("\n"));
      }
    } finally {
      await t.cleanup();
    }
  }
} finally {
  memory.restore();
  await Deno.remove(staging, { recursive: true }).catch(() => {});
  await program.cleanup();
}

if (prepOnly) Deno.exit(0);
const stamp = started.toISOString().replace(/[:.]/g, "-").slice(0, 19);
await Deno.mkdir(outDir, { recursive: true });
const png = `${outDir}/mount-${stamp}.png`;
const chartErr = await drawChart(
  rows,
  png,
  `denoclone vs ${rcloneVersion} mount (${
    started.toISOString().slice(0, 16)
  }Z; green = target met)`,
);
const lines = [
  `# Mount benchmark ${started.toISOString()}`,
  "",
  `denoclone (${program.describe}) vs ${rcloneVersion}, same machine, same run, each tool with`,
  "its default options plus `--vfs-cache-mode <mode> --dir-cache-time 5m` and a fresh cache dir.",
  `Big file ${bigBytes / MiB} MiB, parallel readers 4 × ${parBytes / MiB} MiB, ${smallCount}`,
  `small files, ${statCount} directory entries, cp -r tree of ${treeCount} files (1–16 KiB).`,
  "Ratio = how many times better denoclone is (higher is better whatever the unit).",
  machineLine(startLoad),
  `Command: \`deno run -A scripts/bench_mount.ts ${args.join(" ")}\`.`,
  "",
  ...reportBody(rows, `mount-${stamp}.png`, chartErr),
  "## Fixtures",
  "",
  ...prepNotes.map((n) => `- ${n}`),
  "",
  "## Notes and failures",
  "",
  ...(notesOut.length ? notesOut : ["none"]),
  "",
];
await Deno.writeTextFile(`${outDir}/mount-${stamp}.md`, lines.join("\n"));
const json = rows.map((r) => ({ ...r, ratio: ratio(r) }));
await Deno.writeTextFile(`${outDir}/mount-${stamp}.json`, JSON.stringify(json, null, 1) + "\n");
console.log(`wrote ${outDir}/mount-${stamp}.md${chartErr ? "" : " and .png"} and .json`);

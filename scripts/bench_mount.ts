/**
 * @module
 * `deno task bench [-- flags]`: the mount benchmark. Mounts the same remote with denoclone and
 * with Debian's `rclone mount` (1.60) in one run, drives both with the same operations from
 * this separate process, and writes `bench/results/mount-<date>.md` (a table with ratios) and
 * a PNG chart (gnuplot). Not a test: numbers vary with the machine.
 *
 * Flags: `--modes off,writes,full` (VFS cache modes), `--targets local,sftp,crypt`,
 * `--size 1G` (big file), `--small 1000` (small files), `--stat 10000` (entries),
 * `--quick` (256M big file, 200 small files, 2000 entries).
 *
 * Rows: sequential write and read of the big file (MB/s), 4 parallel readers (MB/s), random
 * 4 KiB reads (IOPS), create small files (files/s), stat (ops/s), list a big directory (s),
 * time to first byte (ms), write then unmount (s until the data is on the remote), and for
 * `full` mode cold and warm sequential reads, and the GeeseFS shape: `cp -r` and `rm -r` of
 * many small files.
 */
import { parseSize } from "../lib/config/option_schema.ts";
import { startSshd } from "../tests/helpers/sshd.ts";
import { denocloneArgv } from "../tests/helpers/cli.ts";
import { obscure } from "../lib/config/obscure.ts";

type Row = { name: string; unit: string; higherIsBetter: boolean; dc?: number; rc?: number };

const args = Deno.args;
function flag(name: string, dflt: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : dflt;
}
const quick = args.includes("--quick");
const modes = flag("modes", "off,writes,full").split(",");
const targets = flag("targets", "local").split(",");
const bigBytes = parseSize(flag("size", quick ? "256M" : "1G"));
const smallCount = Number(flag("small", quick ? "200" : "1000"));
const statCount = Number(flag("stat", quick ? "2000" : "10000"));
const MiB = 1024 * 1024;

async function run(cmd: string, a: string[], opts: Deno.CommandOptions = {}): Promise<string> {
  const r = await new Deno.Command(cmd, { args: a, stdout: "piped", stderr: "piped", ...opts })
    .output();
  if (!r.success) {
    throw new Error(`${cmd} ${a.join(" ")}: ${new TextDecoder().decode(r.stderr).slice(0, 500)}`);
  }
  return new TextDecoder().decode(r.stdout);
}

async function dropCaches(): Promise<void> {
  await Deno.writeTextFile("/proc/sys/vm/drop_caches", "3").catch(() => {});
}

function isMounted(mp: string): boolean {
  return Deno.readTextFileSync("/proc/self/mountinfo").split("\n").some((l) =>
    l.split(" ")[4] === mp
  );
}

async function waitMounted(mp: string, child: Deno.ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  let exited = false;
  child.status.then(() => exited = true);
  while (!isMounted(mp)) {
    if (exited) throw new Error(`mount of ${mp} exited early`);
    if (Date.now() > deadline) throw new Error(`mount of ${mp} not ready in 30s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Mount {
  mp: string;
  stop(): Promise<number>;
}

/** Starts `tool` (denoclone or rclone) mounting `remote` at a new dir; stop() returns seconds. */
async function mount(
  tool: "dc" | "rc",
  remote: string,
  mode: string,
  env: Record<string, string>,
): Promise<Mount> {
  const mp = await Deno.makeTempDir({ prefix: `bench-${tool}-mnt-` });
  const common = ["--vfs-cache-mode", mode, "--dir-cache-time", "5m", "--cache-dir", env.CACHE!];
  let child: Deno.ChildProcess;
  if (tool === "dc") {
    const [cmd, pre] = denocloneArgv();
    child = new Deno.Command(cmd, {
      args: [...pre, "mount", remote, mp, ...common, "--config", env.CONF!],
      stdout: "null",
      stderr: "inherit",
    }).spawn();
  } else {
    child = new Deno.Command("rclone", {
      args: ["mount", remote, mp, ...common, "--config", env.CONF!],
      stdout: "null",
      stderr: "inherit",
    }).spawn();
  }
  await waitMounted(mp, child);
  return {
    mp,
    async stop() {
      const t0 = performance.now();
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 120_000);
      await child.status;
      clearTimeout(killer);
      const secs = (performance.now() - t0) / 1000;
      if (isMounted(mp)) await run("umount", ["-l", mp]).catch(() => {});
      await Deno.remove(mp).catch(() => {});
      return secs;
    },
  };
}

async function writeBig(path: string, bytes: number): Promise<number> {
  const buf = new Uint8Array(MiB);
  crypto.getRandomValues(buf.subarray(0, 65536));
  for (let i = 65536; i < MiB; i += 65536) buf.copyWithin(i, 0, 65536);
  const t0 = performance.now();
  const f = await Deno.open(path, { write: true, create: true, truncate: true });
  for (let done = 0; done < bytes; done += MiB) await f.write(buf);
  f.close();
  return bytes / MiB / ((performance.now() - t0) / 1000);
}

async function readAll(path: string): Promise<number> {
  const t0 = performance.now();
  const f = await Deno.open(path);
  const buf = new Uint8Array(MiB);
  let total = 0;
  for (;;) {
    const n = await f.read(buf);
    if (n === null) break;
    total += n;
  }
  f.close();
  return total / MiB / ((performance.now() - t0) / 1000);
}

async function parallelRead(paths: string[]): Promise<number> {
  const t0 = performance.now();
  const sizes = await Promise.all(paths.map(async (p) => {
    const f = await Deno.open(p);
    const buf = new Uint8Array(MiB);
    let total = 0;
    for (;;) {
      const n = await f.read(buf);
      if (n === null) break;
      total += n;
    }
    f.close();
    return total;
  }));
  return sizes.reduce((a, b) => a + b, 0) / MiB / ((performance.now() - t0) / 1000);
}

async function randomReads(path: string, size: number, seconds: number): Promise<number> {
  const f = await Deno.open(path);
  const buf = new Uint8Array(4096);
  const end = performance.now() + seconds * 1000;
  let n = 0;
  while (performance.now() < end) {
    const off = Math.floor(Math.random() * (size / 4096 - 1)) * 4096;
    await f.seek(off, Deno.SeekMode.Start);
    await f.read(buf);
    n++;
  }
  f.close();
  return n / seconds;
}

async function createSmall(dir: string, count: number): Promise<number> {
  await Deno.mkdir(dir, { recursive: true });
  const data = new Uint8Array(4096);
  const t0 = performance.now();
  for (let i = 0; i < count; i++) await Deno.writeFile(`${dir}/f${i}`, data);
  return count / ((performance.now() - t0) / 1000);
}

async function statMany(dir: string, count: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < count; i++) await Deno.stat(`${dir}/e${i}`);
  return count / ((performance.now() - t0) / 1000);
}

async function listDir(dir: string): Promise<number> {
  const t0 = performance.now();
  let n = 0;
  for await (const _ of Deno.readDir(dir)) n++;
  if (n === 0) throw new Error("empty listing");
  return (performance.now() - t0) / 1000;
}

async function firstByte(path: string): Promise<number> {
  const t0 = performance.now();
  const f = await Deno.open(path);
  await f.read(new Uint8Array(1));
  f.close();
  return performance.now() - t0;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

interface Target {
  name: string;
  remote: string;
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

async function makeTarget(name: string): Promise<Target> {
  const work = await Deno.makeTempDir({ prefix: `bench-${name}-` });
  const conf = `${work}/rclone.conf`;
  const cache = `${work}/cache`;
  const data = `${work}/data`;
  await Deno.mkdir(data);
  if (name === "local") {
    await Deno.writeTextFile(conf, "");
    return {
      name,
      remote: data,
      env: { CONF: conf, CACHE: cache },
      cleanup: () => Deno.remove(work, { recursive: true }),
    };
  }
  if (name === "sftp" || name === "crypt-sftp") {
    const sshd = await startSshd();
    const dir = await sshd.newRoot();
    let text = `[bs]\ntype = sftp\nhost = 127.0.0.1\nport = ${sshd.port}\nuser = ${sshd.user}\n` +
      `pass = ${obscure(sshd.password)}\n\n`;
    let remote = `bs:${dir}`;
    if (name === "crypt-sftp") {
      text += `[bc]\ntype = crypt\nremote = bs:${dir}\npassword = ${obscure("benchpw")}\n\n`;
      remote = "bc:";
    }
    await Deno.writeTextFile(conf, text);
    return {
      name,
      remote,
      env: { CONF: conf, CACHE: cache },
      cleanup: async () => {
        await sshd.close();
        await Deno.remove(work, { recursive: true });
      },
    };
  }
  if (name === "crypt") {
    await Deno.writeTextFile(
      conf,
      `[bc]\ntype = crypt\nremote = ${data}\npassword = ${obscure("benchpw")}\n\n`,
    );
    return {
      name,
      remote: "bc:",
      env: { CONF: conf, CACHE: cache },
      cleanup: () => Deno.remove(work, { recursive: true }),
    };
  }
  throw new Error(`unknown target ${name}`);
}

/** Prepares fixtures through a mount: the big file, 4 readers' files, the stat directory. */
async function prepare(t: Target): Promise<void> {
  // Cache mode off: rclone writes straight through (its writes mode could drop queued uploads).
  const m = await mount("rc", t.remote, "off", t.env);
  try {
    await writeBig(`${m.mp}/big`, bigBytes);
    for (let i = 0; i < 4; i++) await writeBig(`${m.mp}/par${i}`, Math.min(bigBytes, 256 * MiB));
    await Deno.mkdir(`${m.mp}/stat`);
    const data = new Uint8Array(16);
    for (let i = 0; i < statCount; i++) await Deno.writeFile(`${m.mp}/stat/e${i}`, data);
  } finally {
    await m.stop();
  }
}

async function benchOne(
  tool: "dc" | "rc",
  t: Target,
  mode: string,
): Promise<Record<string, number>> {
  const r: Record<string, number> = {};
  let m = await mount(tool, t.remote, mode, t.env);
  try {
    await dropCaches();
    r.ttfb = await firstByte(`${m.mp}/big`);
    r.list = await listDir(`${m.mp}/stat`);
    r.stat = await statMany(`${m.mp}/stat`, statCount);
    await dropCaches();
    r.seqRead = await readAll(`${m.mp}/big`);
    if (mode === "full") {
      await dropCaches();
      r.warmRead = await readAll(`${m.mp}/big`);
    }
    await dropCaches();
    r.parRead = await parallelRead([0, 1, 2, 3].map((i) => `${m.mp}/par${i}`));
    r.randRead = await randomReads(`${m.mp}/big`, bigBytes, quick ? 3 : 8);
    r.create = await createSmall(`${m.mp}/small-${tool}`, smallCount);
    r.seqWrite = await writeBig(`${m.mp}/w-${tool}`, bigBytes);
    if (mode !== "off") {
      r.cpR = await timed(() => run("cp", ["-r", `${m.mp}/small-${tool}`, `${m.mp}/copy-${tool}`]));
    }
    await Deno.remove(`${m.mp}/w-${tool}`).catch(() => {});
    await writeBig(`${m.mp}/w-${tool}`, Math.min(bigBytes, 256 * MiB));
  } finally {
    const t0 = performance.now();
    await m.stop();
    r.writeUnmount = (performance.now() - t0) / 1000;
  }
  m = await mount(tool, t.remote, mode, t.env);
  try {
    if (mode !== "off") r.rmR = await timed(() => run("rm", ["-r", `${m.mp}/copy-${tool}`]));
    await run("rm", ["-rf", `${m.mp}/small-${tool}`, `${m.mp}/w-${tool}`]);
  } finally {
    await m.stop();
  }
  return r;
}

const ROWS: [string, string, string, boolean][] = [
  ["seqRead", "sequential read", "MB/s", true],
  ["warmRead", "warm sequential read (full)", "MB/s", true],
  ["parRead", "4 parallel readers", "MB/s", true],
  ["randRead", "random 4 KiB reads", "IOPS", true],
  ["seqWrite", "sequential write", "MB/s", true],
  ["writeUnmount", "write then unmount", "s", false],
  ["create", "create small files", "files/s", true],
  ["cpR", "cp -r small files", "s", false],
  ["rmR", "rm -r small files", "s", false],
  ["stat", "stat", "ops/s", true],
  ["list", "list big directory", "s", false],
  ["ttfb", "time to first byte", "ms", false],
];

const rclonever = (await run("rclone", ["version"])).split("\n")[0];
const lines = [
  `# Mount benchmark ${new Date().toISOString()}`,
  "",
  `denoclone vs ${rclonever}, same machine, same run. Big file ${bigBytes / MiB} MiB, ` +
  `${smallCount} small files, ${statCount} entries. Ratio = how many times better denoclone is.`,
  "",
];
const chart: string[] = [];
for (const tname of targets) {
  const t = await makeTarget(tname);
  try {
    await prepare(t);
    for (const mode of modes) {
      const dc = await benchOne("dc", t, mode);
      const rc = await benchOne("rc", t, mode);
      lines.push(`## ${tname}, --vfs-cache-mode ${mode}`, "");
      lines.push(
        "| operation | unit | denoclone | rclone | ratio |",
        "| --- | --- | --- | --- | --- |",
      );
      for (const [key, label, unit, hib] of ROWS) {
        const a = dc[key];
        const b = rc[key];
        if (a === undefined || b === undefined) continue;
        const ratio = hib ? a / b : b / a;
        lines.push(
          `| ${label} | ${unit} | ${a.toFixed(1)} | ${b.toFixed(1)} | ${ratio.toFixed(2)}× |`,
        );
        chart.push(`"${tname}/${mode} ${label}" ${ratio.toFixed(3)}`);
      }
      lines.push("");
      console.log(lines.slice(-ROWS.length - 4).join("\n"));
    }
  } finally {
    await t.cleanup();
  }
}
const stamp = new Date().toISOString().replace(/[:.]/g, "-");
const outDir = new URL("../bench/results/", import.meta.url).pathname;
await Deno.mkdir(outDir, { recursive: true });
await Deno.writeTextFile(`${outDir}mount-${stamp}.md`, lines.join("\n") + "\n");
const dat = `${outDir}mount-${stamp}.dat`;
await Deno.writeTextFile(dat, chart.join("\n") + "\n");
try {
  await run("gnuplot", [
    "-e",
    `set terminal png size 1200,${
      200 + chart.length * 18
    }; set output '${outDir}mount-${stamp}.png'; ` +
    `set style fill solid; set boxwidth 0.6; set yrange [*:*] reverse; unset key; ` +
    `set title 'denoclone / rclone (higher is better; 1 = parity)'; ` +
    `set xrange [0:*]; set arrow from 1, graph 0 to 1, graph 1 nohead; ` +
    `plot '${dat}' using (0.5*$2):0:(0.5*$2):(0.3):yticlabels(1) with boxxyerrorbars`,
  ]);
  await Deno.remove(dat);
  console.log(`wrote ${outDir}mount-${stamp}.md and .png`);
} catch (err) {
  console.log(
    `wrote ${outDir}mount-${stamp}.md (no chart: ${(err as Error).message.slice(0, 80)};` +
      " apt-get install gnuplot-nox)",
  );
}

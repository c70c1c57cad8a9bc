/**
 * @module
 * The measured file operations of the mount benchmark, run as a short-lived subprocess
 * (`deno run -A scripts/_bench_io.ts <op> <json args>`) that prints one JSON result line. Each
 * operation uses synchronous file calls on one file descriptor: Deno's async file ops work on
 * a duplicated descriptor whose close sends the FUSE FLUSH early, which makes `rclone mount`
 * (cache mode off) close its write handle after the first write. Running in a subprocess lets
 * the orchestrator enforce a time limit even when a mount hangs.
 */

const MiB = 1024 * 1024;

/** Arguments of every operation (unused ones are ignored). */
export interface IoArgs {
  /** The file or directory the operation works on. */
  path: string;
  /** Byte count for writes, file size for random reads. */
  bytes?: number;
  /** Number of files or entries. */
  count?: number;
  /** Duration for time-boxed operations. */
  seconds?: number;
  /** Several files read in parallel. */
  paths?: string[];
  /** File name prefix for created files (default `f`). */
  prefix?: string;
  /** Size of each created small file (default 4096). */
  size?: number;
}

/** What an operation reports: its own elapsed time and how much it did. */
export interface IoResult {
  /** Elapsed seconds of the measured part. */
  secs: number;
  /** Bytes moved, when that is the measure. */
  bytes?: number;
  /** Operations done, when that is the measure. */
  ops?: number;
}

function pattern(): Uint8Array {
  const buf = new Uint8Array(MiB);
  crypto.getRandomValues(buf.subarray(0, 65536));
  for (let i = 65536; i < MiB; i += 65536) buf.copyWithin(i, 0, 65536);
  return buf;
}

function writeBig(a: IoArgs): IoResult {
  const buf = pattern();
  const bytes = a.bytes ?? 0;
  const t0 = performance.now();
  const f = Deno.openSync(a.path, { write: true, create: true, truncate: true });
  for (let done = 0; done < bytes; done += MiB) {
    const chunk = Math.min(MiB, bytes - done);
    let off = 0;
    while (off < chunk) off += f.writeSync(buf.subarray(off, chunk));
  }
  f.close();
  return { secs: (performance.now() - t0) / 1000, bytes };
}

function readAll(a: IoArgs): IoResult {
  const t0 = performance.now();
  const f = Deno.openSync(a.path);
  const buf = new Uint8Array(MiB);
  let total = 0;
  for (;;) {
    const n = f.readSync(buf);
    if (n === null) break;
    total += n;
  }
  f.close();
  return { secs: (performance.now() - t0) / 1000, bytes: total };
}

async function parallelRead(a: IoArgs): Promise<IoResult> {
  const t0 = performance.now();
  const outs = await Promise.all((a.paths ?? []).map((p) =>
    new Deno.Command("dd", {
      args: [`if=${p}`, "of=/dev/null", "bs=1M"],
      stdout: "null",
      stderr: "piped",
    }).output()
  ));
  const secs = (performance.now() - t0) / 1000;
  let bytes = 0;
  for (const o of outs) {
    const err = new TextDecoder().decode(o.stderr);
    if (!o.success) throw new Error(`dd failed: ${err.slice(0, 300)}`);
    const m = /^(\d+) bytes/m.exec(err);
    bytes += m ? Number(m[1]) : 0;
  }
  return { secs, bytes };
}

function randomReads(a: IoArgs): IoResult {
  const f = Deno.openSync(a.path);
  const buf = new Uint8Array(4096);
  const blocks = Math.floor((a.bytes ?? 0) / 4096);
  if (blocks < 2) throw new Error(`file too small for random reads: ${a.bytes} bytes`);
  const t0 = performance.now();
  const end = t0 + (a.seconds ?? 5) * 1000;
  let ops = 0;
  while (performance.now() < end) {
    f.seekSync(Math.floor(Math.random() * (blocks - 1)) * 4096, Deno.SeekMode.Start);
    let got = 0;
    while (got < 4096) {
      const n = f.readSync(buf.subarray(got));
      if (n === null) throw new Error(`short random read at block of ${a.path}`);
      got += n;
    }
    ops++;
  }
  f.close();
  return { secs: (performance.now() - t0) / 1000, ops };
}

function createSmall(a: IoArgs): IoResult {
  Deno.mkdirSync(a.path, { recursive: true });
  const data = new Uint8Array(a.size ?? 4096);
  const count = a.count ?? 0;
  const prefix = a.prefix ?? "f";
  const t0 = performance.now();
  for (let i = 0; i < count; i++) Deno.writeFileSync(`${a.path}/${prefix}${i}`, data);
  return { secs: (performance.now() - t0) / 1000, ops: count };
}

function statMany(a: IoArgs): IoResult {
  const count = a.count ?? 0;
  const t0 = performance.now();
  for (let i = 0; i < count; i++) Deno.statSync(`${a.path}/e${i}`);
  return { secs: (performance.now() - t0) / 1000, ops: count };
}

function listDir(a: IoArgs): IoResult {
  const t0 = performance.now();
  let n = 0;
  for (const _ of Deno.readDirSync(a.path)) n++;
  const secs = (performance.now() - t0) / 1000;
  if (a.count !== undefined && n !== a.count) {
    throw new Error(`listing of ${a.path} has ${n} entries, expected ${a.count}`);
  }
  return { secs, ops: n };
}

function firstByte(a: IoArgs): IoResult {
  const t0 = performance.now();
  const f = Deno.openSync(a.path);
  const n = f.readSync(new Uint8Array(1));
  f.close();
  if (n !== 1) throw new Error(`no first byte from ${a.path}`);
  return { secs: (performance.now() - t0) / 1000, ops: 1 };
}

/** The operations by name. */
export const IO_OPS: Record<string, (a: IoArgs) => IoResult | Promise<IoResult>> = {
  writeBig,
  readAll,
  parallelRead,
  randomReads,
  createSmall,
  statMany,
  listDir,
  firstByte,
};

if (import.meta.main) {
  const [op, json] = Deno.args;
  const fn = op ? IO_OPS[op] : undefined;
  if (!fn || !json) {
    console.error(`usage: _bench_io.ts <${Object.keys(IO_OPS).join("|")}> <json args>`);
    Deno.exit(2);
  }
  try {
    console.log(JSON.stringify(await fn(JSON.parse(json) as IoArgs)));
  } catch (err) {
    console.error(String(err));
    Deno.exit(1);
  }
}

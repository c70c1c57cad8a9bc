/**
 * @module
 * Steady memory for the benchmarks. This machine is a VM with virtio-balloon free page
 * reporting: memory that stays free for a few seconds is handed back to the host, and the first
 * touch of such a page later costs several times more (writing 2 GiB to a file: 4.6 GB/s into
 * recycled pages, 640 MB/s into reported ones, the time spent in the copy into the new page
 * cache pages). `drop_caches` frees gigabytes at once, so whichever tool wrote first after it
 * paid for re-backing the memory — up to 7× on a "sequential write" row, at random.
 * {@link steadyMemory} pauses the reporting for the run (the reporting order is set above the
 * largest buddy order, so no free block qualifies) and touches enough memory once that the
 * run's page cache comes from backed pages; the old setting is put back at the end.
 */

const ORDER_FILE = "/sys/module/page_reporting/parameters/page_reporting_order";
/** Above the buddy allocator's largest order (10): no free block is ever reported. */
const NO_REPORTING_ORDER = 11;
const GiB = 1 << 30;

/** What {@link steadyMemory} did, and how to undo it. */
export interface SteadyMemory {
  /** One line for the report. */
  note: string;
  /** Restores free page reporting as it was (idempotent). */
  restore(): void;
}

function memAvailable(): number {
  const m = /^MemAvailable:\s+(\d+) kB/m.exec(Deno.readTextFileSync("/proc/meminfo"));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Touches `bytes` of memory in a child process, which frees it again when it exits. */
async function touchMemory(bytes: number): Promise<void> {
  const gib = Math.floor(bytes / GiB);
  const code = `const keep = [];
for (let g = 0; g < ${gib}; g++) {
  const b = new Uint8Array(${GiB});
  for (let i = 0; i < b.length; i += 4096) b[i] = 1;
  keep.push(b);
}`;
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!r.success) throw new Error(new TextDecoder().decode(r.stderr).slice(-300));
}

/**
 * Pauses free page reporting (when the kernel has it and we may write its setting) and touches
 * up to `maxBytes` of memory (leaving 4 GiB available), so the run measures the tools and not
 * the host re-backing pages; SIGINT/SIGTERM restore it and exit. Without the setting the run goes
 * on unchanged and says so.
 */
export async function steadyMemory(maxBytes = 12 * GiB): Promise<SteadyMemory> {
  let before: string;
  try {
    before = Deno.readTextFileSync(ORDER_FILE).trim();
  } catch {
    return { note: "no free page reporting on this machine", restore() {} };
  }
  try {
    Deno.writeTextFileSync(ORDER_FILE, `${NO_REPORTING_ORDER}\n`);
  } catch (err) {
    return {
      note: `free page reporting left on (order ${before}; ${(err as Error).message})`,
      restore() {},
    };
  }
  if (before === `${NO_REPORTING_ORDER}`) {
    // Paused already (by whoever set it, or a run going on beside this one): pages backed since
    // then stay backed, and touching more here would race the other run for memory.
    return {
      note: `free page reporting already paused (order ${before}); nothing touched`,
      restore() {},
    };
  }
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    try {
      Deno.writeTextFileSync(ORDER_FILE, `${before}\n`);
    } catch { /* nothing more to do */ }
  };
  // An interrupted run must not leave the machine without reporting either.
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(sig, () => {
      restore();
      Deno.exit(130);
    });
  }
  const bytes = Math.max(0, Math.min(maxBytes, memAvailable() - 4 * GiB));
  const t0 = performance.now();
  try {
    await touchMemory(bytes);
  } catch (err) {
    restore();
    throw err;
  }
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  return {
    note: `free page reporting paused for the run (order ${before} → ${NO_REPORTING_ORDER}, ` +
      `restored after) and ${Math.floor(bytes / GiB)} GiB touched first (${secs} s)`,
    restore,
  };
}

/**
 * @module
 * Results of a side-by-side benchmark: rows of denoclone vs rclone numbers, the ratio (how many
 * times better denoclone is, whatever the unit's direction), the target ratio from the issues,
 * and rendering as markdown tables and a gnuplot PNG bar chart of the ratios.
 */
import { run } from "./_bench_proc.ts";

/** The median of `xs` (the mean of the two middle values for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** One measured row. */
export interface ResultRow {
  /** Table the row belongs to (e.g. `local, --vfs-cache-mode off`). */
  group: string;
  /** Operation. */
  label: string;
  /** Unit of the numbers. */
  unit: string;
  /** Whether a bigger number is better (MB/s) or worse (seconds). */
  higherIsBetter: boolean;
  /** denoclone's number (undefined = failed or not measured). */
  dc?: number;
  /** rclone's number. */
  rc?: number;
  /** Target ratio (denoclone vs rclone) from the issues; 1 = parity. */
  goal: number;
  /** What went wrong or is notable (failures, lost data). */
  note?: string;
  /** Only the absolute limit counts (numbers near zero or negative make a ratio meaningless). */
  noRatio?: boolean;
  /** Tools that lost data in this row (their number is missing for that reason). */
  lost?: string[];
  /** Absolute bound denoclone's number must also keep (at most, or at least if higher is better). */
  limit?: number;
  /**
   * The ratio from paired samples (the median of per-round ratios, each round running both
   * tools back to back), used instead of the ratio of the two medians: when the machine drifts
   * between rounds by more than the tools differ, unpaired medians compare the drift.
   */
  pairedRatio?: number;
}

/** denoclone vs rclone: >1 means denoclone is better; undefined when a side is missing. */
export function ratio(r: ResultRow): number | undefined {
  if (r.noRatio) return undefined;
  if (r.dc === undefined || r.rc === undefined || !isFinite(r.dc) || !isFinite(r.rc)) {
    return undefined;
  }
  if (r.dc === 0 || r.rc === 0) return undefined;
  if (r.pairedRatio !== undefined) return r.pairedRatio;
  return r.higherIsBetter ? r.dc / r.rc : r.rc / r.dc;
}

/** `met`, `MISSED` or `n/a` for a row. */
export function verdict(r: ResultRow): string {
  const q = ratio(r);
  if (r.lost?.includes("denoclone")) return "MISSED (data lost)";
  if (r.lost?.includes("rclone") && r.dc !== undefined) return "met (rclone lost data)";
  if (r.noRatio && r.limit !== undefined && r.dc !== undefined) {
    const within = r.higherIsBetter ? r.dc >= r.limit : r.dc <= r.limit;
    return within ? "met" : `MISSED (limit ${r.higherIsBetter ? "≥" : "≤"} ${r.limit} ${r.unit})`;
  }
  if (q === undefined) return r.dc === undefined ? "MISSED (failed)" : "n/a";
  if (r.limit !== undefined && r.dc !== undefined) {
    const within = r.higherIsBetter ? r.dc >= r.limit : r.dc <= r.limit;
    if (!within) return `MISSED (limit ${r.higherIsBetter ? "≥" : "≤"} ${r.limit} ${r.unit})`;
  }
  return q >= r.goal ? "met" : "MISSED";
}

function num(v: number | undefined): string {
  if (v === undefined || !isFinite(v)) return "—";
  if (v < 0) return `−${num(-v)}`;
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  if (v >= 0.1) return v.toFixed(2);
  return v.toFixed(3);
}

/** Markdown tables, one per group, in first-seen order. */
export function markdownTables(rows: ResultRow[]): string[] {
  const out: string[] = [];
  const groups = [...new Set(rows.map((r) => r.group))];
  for (const g of groups) {
    out.push(`### ${g}`, "");
    out.push("| operation | unit | denoclone | rclone | ratio | target | verdict | note |");
    out.push("| --- | --- | ---: | ---: | ---: | ---: | --- | --- |");
    for (const r of rows.filter((x) => x.group === g)) {
      const q = ratio(r);
      out.push(
        `| ${r.label} | ${r.unit} | ${num(r.dc)} | ${num(r.rc)} | ${
          q === undefined ? "—" : q.toFixed(2) + "×"
        } | ${r.noRatio ? "" : `≥ ${r.goal}×`}${
          r.limit === undefined
            ? ""
            : `${r.noRatio ? "" : ", "}${r.higherIsBetter ? "≥" : "≤"} ${r.limit} ${r.unit}`
        } | ${verdict(r)} | ${r.note ?? ""} |`,
      );
    }
    out.push("");
  }
  return out;
}

/** Summary lines: how many rows met their target and which missed. */
export function summary(rows: ResultRow[]): string[] {
  const missed = rows.filter((r) => verdict(r).startsWith("MISSED"));
  const met = rows.filter((r) => verdict(r).startsWith("met"));
  const out = [`${met.length} of ${rows.length} rows meet their target; ${missed.length} miss.`];
  if (missed.length) {
    out.push("", "Missed:", "");
    for (const r of missed) {
      const q = ratio(r);
      out.push(
        `- ${r.group}: ${r.label} — denoclone ${num(r.dc)} vs rclone ${num(r.rc)} ${r.unit} (${
          q === undefined ? "no ratio" : q.toFixed(2) + "×"
        }, target ≥ ${r.goal}×)${r.note ? `; ${r.note}` : ""}`,
      );
    }
  }
  return out;
}

/** The system load average (1, 5, 15 min) from /proc/loadavg. */
export function loadavg(): string {
  return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
}

/** The report's machine line, with the load average at start and end of the run. */
export function machineLine(startLoad: string): string {
  return `Machine: ${navigator.hardwareConcurrency} cores, ${Deno.osRelease()}; load average ` +
    `${startLoad} at start, ${loadavg()} at the end (a load above the core count means other ` +
    "work ran at the same time and absolute numbers are noisy; both tools ran under the same " +
    "conditions, interleaved).";
}

/** The summary, chart and result tables of a report. */
export function reportBody(rows: ResultRow[], chartFile: string, chartErr?: string): string[] {
  return [
    "## Summary",
    "",
    ...summary(rows),
    "",
    chartErr ? `(no chart: ${chartErr})` : `![ratios](${chartFile})`,
    "",
    "## Results",
    "",
    ...markdownTables(rows),
  ];
}

/**
 * Draws the ratios as horizontal bars (log scale, 1 = parity line) into `png` with gnuplot.
 * Returns undefined on success or why there is no chart.
 */
export async function drawChart(
  rows: ResultRow[],
  png: string,
  title: string,
): Promise<string | undefined> {
  const data = rows.map((r) => ({ r, q: ratio(r) })).filter((x) => x.q !== undefined);
  if (!data.length) return "no ratios to draw";
  const dat = `${png}.dat`;
  const lines = data.map(({ r, q }, i) => {
    const label = `${r.group}: ${r.label}`.replace(/"/g, "'");
    const met = verdict(r) === "met" ? 1 : 0;
    return `${i} "${label}" ${Math.min(32, Math.max(0.03, q!)).toFixed(4)} ${met}`;
  });
  await Deno.writeTextFile(dat, lines.join("\n") + "\n");
  const script = [
    `set terminal pngcairo size 1400,${160 + data.length * 22} font ",10"`,
    `set output '${png}'`,
    `set title '${title.replace(/'/g, "")}'`,
    "set logscale x 2",
    "set xrange [0.03:32]",
    `set yrange [${data.length}:-1]`,
    "set ytics nomirror",
    "set grid xtics",
    "set style fill solid 0.8",
    "unset key",
    "set xlabel 'denoclone vs rclone (× better; log scale; line = parity)'",
    "set arrow from 1, graph 0 to 1, graph 1 nohead lw 2 lc rgb 'black'",
    `plot '${dat}' using (sqrt($3)):1:($3<1?$3:1):($3<1?1:$3):($1-0.35):($1+0.35):` +
    "(int($4) ? 0x2ca02c : 0xd62728):ytic(2) with boxxyerror lc rgb variable",
  ].join("; ");
  try {
    await run("gnuplot", ["-e", script], { timeoutMs: 60_000 });
    return undefined;
  } catch (err) {
    return `${(err as Error).message.slice(0, 200)} (apt-get install -y gnuplot-nox)`;
  } finally {
    await Deno.remove(dat).catch(() => {});
  }
}

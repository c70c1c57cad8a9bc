/**
 * @module
 * A set of half-open byte ranges `[start, end)`, kept sorted and merged. The cache uses it to
 * track which parts of a sparse data file hold real data. A file read at random offsets holds
 * thousands of ranges, so lookups use binary search (O(log n) plus the ranges touched) and the
 * byte count is kept up to date rather than summed. Pure, no I/O.
 */

/** One half-open byte range: `start` included, `end` excluded. */
export type ByteRange = readonly [start: number, end: number];

/** A sorted, merged set of byte ranges. */
export class RangeSet {
  #ranges: [number, number][] = [];
  #bytes = 0;

  /** Creates a set from ranges in any order; empty and overlapping ranges are normalised. */
  constructor(ranges: Iterable<ByteRange> = []) {
    const sorted = [...ranges].filter(([s, e]) => e > s).sort((a, b) => a[0] - b[0]);
    for (const [s, e] of sorted) {
      const last = this.#ranges[this.#ranges.length - 1];
      if (last && s <= last[1]) {
        if (e > last[1]) {
          this.#bytes += e - last[1];
          last[1] = e;
        }
      } else {
        this.#ranges.push([s, e]);
        this.#bytes += e - s;
      }
    }
  }

  /** The ranges, sorted and merged (a copy). */
  toArray(): [number, number][] {
    return this.#ranges.map(([s, e]) => [s, e]);
  }

  /** Number of bytes covered. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Whether the set covers nothing. */
  get empty(): boolean {
    return this.#ranges.length === 0;
  }

  /**
   * Index of the first range ending at or after `pos` (`after`: strictly after), or the number
   * of ranges if there is none.
   */
  #firstEnding(pos: number, after = false): number {
    let lo = 0;
    let hi = this.#ranges.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const e = this.#ranges[mid]![1];
      if (e < pos || (after && e === pos)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Adds `[start, end)`, merging with touching or overlapping ranges. */
  add(start: number, end: number): void {
    if (!(end > start)) return;
    const rs = this.#ranges;
    const i = this.#firstEnding(start);
    let j = i;
    let s = start;
    let e = end;
    let merged = 0;
    while (j < rs.length && rs[j]![0] <= end) {
      const r = rs[j]!;
      s = Math.min(s, r[0]);
      e = Math.max(e, r[1]);
      merged += r[1] - r[0];
      j++;
    }
    rs.splice(i, j - i, [s, e]);
    this.#bytes += e - s - merged;
  }

  /** Removes `[start, end)` from the set. */
  remove(start: number, end: number): void {
    if (!(end > start)) return;
    const rs = this.#ranges;
    // Ranges ending exactly at `start` are untouched.
    const i = this.#firstEnding(start, true);
    let j = i;
    const keep: [number, number][] = [];
    let dropped = 0;
    while (j < rs.length && rs[j]![0] < end) {
      const [s, e] = rs[j]!;
      dropped += e - s;
      if (s < start) keep.push([s, start]);
      if (e > end) keep.push([end, e]);
      j++;
    }
    if (j === i) return;
    for (const [s, e] of keep) dropped -= e - s;
    rs.splice(i, j - i, ...keep);
    this.#bytes -= dropped;
  }

  /** Drops everything at or beyond `size` (used when a file shrinks). */
  truncate(size: number): void {
    this.remove(Math.max(0, size), Number.MAX_SAFE_INTEGER);
  }

  /** Whether `[start, end)` is covered entirely (an empty range always is). */
  covers(start: number, end: number): boolean {
    if (!(end > start)) return true;
    const r = this.#ranges[this.#firstEnding(end)];
    return r !== undefined && r[0] <= start;
  }

  /** The parts of `[start, end)` not covered, in order. */
  missing(start: number, end: number): [number, number][] {
    const gaps: [number, number][] = [];
    if (!(end > start)) return gaps;
    let pos = start;
    for (let i = this.#firstEnding(start, true); i < this.#ranges.length; i++) {
      if (pos >= end) break;
      const [s, e] = this.#ranges[i]!;
      if (s > pos) gaps.push([pos, Math.min(s, end)]);
      pos = Math.max(pos, e);
    }
    if (pos < end) gaps.push([pos, end]);
    return gaps;
  }

  /** Number of bytes of `[start, end)` that are covered. */
  coveredBytes(start: number, end: number): number {
    let n = 0;
    for (let i = this.#firstEnding(start, true); i < this.#ranges.length; i++) {
      const [s, e] = this.#ranges[i]!;
      if (s >= end) break;
      const a = Math.max(s, start);
      const b = Math.min(e, end);
      if (b > a) n += b - a;
    }
    return n;
  }
}

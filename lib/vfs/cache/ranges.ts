/**
 * @module
 * A set of half-open byte ranges `[start, end)`, kept sorted and merged. The cache uses it to
 * track which parts of a sparse data file hold real data. Pure, no I/O.
 */

/** One half-open byte range: `start` included, `end` excluded. */
export type ByteRange = readonly [start: number, end: number];

/** A sorted, merged set of byte ranges. */
export class RangeSet {
  #ranges: [number, number][] = [];

  /** Creates a set from ranges in any order; empty and overlapping ranges are normalised. */
  constructor(ranges: Iterable<ByteRange> = []) {
    for (const [s, e] of ranges) this.add(s, e);
  }

  /** The ranges, sorted and merged (a copy). */
  toArray(): [number, number][] {
    return this.#ranges.map(([s, e]) => [s, e]);
  }

  /** Number of bytes covered. */
  get bytes(): number {
    let n = 0;
    for (const [s, e] of this.#ranges) n += e - s;
    return n;
  }

  /** Whether the set covers nothing. */
  get empty(): boolean {
    return this.#ranges.length === 0;
  }

  /** Adds `[start, end)`, merging with touching or overlapping ranges. */
  add(start: number, end: number): void {
    if (!(end > start)) return;
    const out: [number, number][] = [];
    let s = start;
    let e = end;
    let placed = false;
    for (const r of this.#ranges) {
      if (r[1] < s) {
        out.push(r);
      } else if (r[0] > e) {
        if (!placed) {
          out.push([s, e]);
          placed = true;
        }
        out.push(r);
      } else {
        s = Math.min(s, r[0]);
        e = Math.max(e, r[1]);
      }
    }
    if (!placed) out.push([s, e]);
    this.#ranges = out;
  }

  /** Removes `[start, end)` from the set. */
  remove(start: number, end: number): void {
    if (!(end > start)) return;
    const out: [number, number][] = [];
    for (const [s, e] of this.#ranges) {
      if (e <= start || s >= end) {
        out.push([s, e]);
        continue;
      }
      if (s < start) out.push([s, start]);
      if (e > end) out.push([end, e]);
    }
    this.#ranges = out;
  }

  /** Drops everything at or beyond `size` (used when a file shrinks). */
  truncate(size: number): void {
    this.remove(Math.max(0, size), Number.MAX_SAFE_INTEGER);
  }

  /** Whether `[start, end)` is covered entirely (an empty range always is). */
  covers(start: number, end: number): boolean {
    if (!(end > start)) return true;
    for (const [s, e] of this.#ranges) {
      if (s <= start && e >= end) return true;
      if (s > start) return false;
    }
    return false;
  }

  /** The parts of `[start, end)` not covered, in order. */
  missing(start: number, end: number): [number, number][] {
    const gaps: [number, number][] = [];
    let pos = start;
    for (const [s, e] of this.#ranges) {
      if (pos >= end) break;
      if (e <= pos) continue;
      if (s > pos) gaps.push([pos, Math.min(s, end)]);
      pos = Math.max(pos, e);
    }
    if (pos < end) gaps.push([pos, end]);
    return gaps;
  }

  /** Number of bytes of `[start, end)` that are covered. */
  coveredBytes(start: number, end: number): number {
    let n = 0;
    for (const [s, e] of this.#ranges) {
      const a = Math.max(s, start);
      const b = Math.min(e, end);
      if (b > a) n += b - a;
    }
    return n;
  }
}

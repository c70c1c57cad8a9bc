/**
 * @module
 * rclone's version suffix in file names (`name-v2006-01-02-150405-000.ext`, written by
 * `--b2-versions` and friends). Crypt keeps such a suffix in clear: it encrypts the name
 * without it and puts it back after, so both directions must recognise it exactly as rclone
 * does (a valid date and time, placed right before the extension).
 */

const VERSION_RE = /-v\d{4}-\d{2}-\d{2}-\d{6}-\d{3}/;
/** Length of `-v2006-01-02-150405-000`. */
const VERSION_LEN = 23;

/** Splits like Go's `path.Ext`, except that a name that is all extension is all base. */
function splitExt(name: string): [string, string] {
  const dot = name.lastIndexOf(".");
  if (dot < 0) return [name, ""];
  const base = name.slice(0, dot);
  const ext = name.slice(dot);
  return base === "" ? [ext, ""] : [base, ext];
}

/** Whether `-vYYYY-MM-DD-HHMMSS-mmm` (at `s`) is a valid UTC date and time. */
function validStamp(s: string): boolean {
  const m = /^-v(\d{4})-(\d{2})-(\d{2})-(\d{2})(\d{2})(\d{2})-\d{3}$/.exec(s);
  if (!m) return false;
  const [y, mo, d, h, mi, sec] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59) return false;
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1]!;
  return d <= days;
}

/** A file name split around its version suffix. */
export interface VersionSplit {
  /** The name without the version suffix. */
  name: string;
  /** The suffix, e.g. `-v2024-01-31-120000-000`. */
  version: string;
}

/** Returns the name without its version suffix, or undefined if it has none. */
export function splitVersion(name: string): VersionSplit | undefined {
  if (!VERSION_RE.test(name)) return undefined;
  const [base, ext] = splitExt(name);
  if (base.length < VERSION_LEN) return undefined;
  const version = base.slice(base.length - VERSION_LEN);
  if (!validStamp(version)) return undefined;
  return { name: base.slice(0, base.length - VERSION_LEN) + ext, version };
}

/** Puts a version suffix back into a name, before its extension. */
export function addVersion(name: string, version: string): string {
  const [base, ext] = splitExt(name);
  return base + version + ext;
}

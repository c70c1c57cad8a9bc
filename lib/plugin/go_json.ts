/**
 * @module
 * Request decoding with the observable behaviour of Go's `encoding/json` Decoder, as rclone's
 * plugin uses it: only the first JSON value counts (trailing bytes are ignored), object keys
 * match struct fields case-insensitively, unknown keys are ignored, `null` gives the zero
 * value, and failures carry Go's error text (`EOF`, `invalid character 'g' looking for
 * beginning of value`, `json: cannot unmarshal number into Go struct field …`).
 */

/** A request body that could not be decoded (the plugin answers 400 with the message). */
export class DecodeError extends Error {
  /** Creates a decode error with Go's message. */
  constructor(message: string) {
    super(message);
    this.name = "DecodeError";
  }
}

/** Field kinds a request struct can have. */
export type FieldKind = "string" | "stringMap";

function goKind(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "boolean") return "bool";
  return typeof v; // number, string, object
}

function firstValueEnd(text: string, start: number): number {
  const c = text[start]!;
  if (c === "{" || c === "[") {
    let depth = 0;
    let inStr = false;
    for (let i = start; i < text.length; i++) {
      const ch = text[i];
      if (inStr) {
        if (ch === "\\") i++;
        else if (ch === '"') inStr = false;
      } else if (ch === '"') inStr = true;
      else if (ch === "{" || ch === "[") depth++;
      else if (ch === "}" || ch === "]") {
        depth--;
        if (depth === 0) return i + 1;
      }
    }
    return -1;
  }
  if (c === '"') {
    for (let i = start + 1; i < text.length; i++) {
      if (text[i] === "\\") i++;
      else if (text[i] === '"') return i + 1;
    }
    return -1;
  }
  const m = /^[^\s,\]}{[:"]+/.exec(text.slice(start));
  return start + (m ? m[0].length : 1);
}

/** Decodes the first JSON value of `text`; throws {@link DecodeError} with Go's wording. */
export function decodeFirstValue(text: string): unknown {
  // Fast path: a body that is exactly one JSON value (as Docker sends) is that value. Anything
  // else — trailing bytes, bad syntax, empty — takes the Go-compatible path below.
  if (text.length > 0) {
    try {
      return JSON.parse(text);
    } catch {
      // Fall through.
    }
  }
  let i = 0;
  while (i < text.length && " \t\r\n".includes(text[i]!)) i++;
  if (i >= text.length) throw new DecodeError("EOF");
  const c = text[i]!;
  if (!/[{["\-0-9tfn]/.test(c)) {
    throw new DecodeError(`invalid character '${c}' looking for beginning of value`);
  }
  const end = firstValueEnd(text, i);
  if (end < 0) throw new DecodeError("unexpected EOF");
  try {
    return JSON.parse(text.slice(i, end));
  } catch (err) {
    const msg = (err as Error).message;
    const m = /Unexpected token '?(.)'?/.exec(msg);
    throw new DecodeError(m ? `invalid character '${m[1]}' in JSON value` : msg);
  }
}

/** Lower-cased key → field name, per field set (the routes' field sets are constants). */
const LOWER_KEYS = new WeakMap<Record<string, FieldKind>, Map<string, string>>();

/**
 * Decodes `text` into a struct with the given fields (`Name`, `ID`: string; `Opts`: string
 * map), matching keys case-insensitively like Go. Missing fields are zero values.
 */
export function decodeStruct(
  text: string,
  goType: string,
  fields: Record<string, FieldKind>,
): Record<string, string | Record<string, string>> {
  const v = decodeFirstValue(text);
  const out: Record<string, string | Record<string, string>> = {};
  for (const [f, kind] of Object.entries(fields)) out[f] = kind === "string" ? "" : {};
  if (v === null) return out;
  if (typeof v !== "object" || Array.isArray(v)) {
    throw new DecodeError(
      `json: cannot unmarshal ${goKind(v)} into Go value of type docker.${goType}`,
    );
  }
  let byLower = LOWER_KEYS.get(fields);
  if (!byLower) {
    byLower = new Map(Object.keys(fields).map((f) => [f.toLowerCase(), f]));
    LOWER_KEYS.set(fields, byLower);
  }
  for (const [key, val] of Object.entries(v as Record<string, unknown>)) {
    const f = byLower.get(key.toLowerCase());
    if (!f) continue;
    const kind = fields[f]!;
    const bad = (k: string, field = f, type = "string") =>
      new DecodeError(
        `json: cannot unmarshal ${k} into Go struct field ${goType}.${field} of type ${type}`,
      );
    if (val === null) continue;
    if (kind === "string") {
      if (typeof val !== "string") throw bad(goKind(val));
      out[f] = val;
    } else {
      if (typeof val !== "object" || Array.isArray(val)) {
        throw bad(goKind(val), f, "map[string]string");
      }
      const m: Record<string, string> = {};
      for (const [k, x] of Object.entries(val as Record<string, unknown>)) {
        if (x === null) m[k] = "";
        else if (typeof x !== "string") throw bad(goKind(x));
        else m[k] = x;
      }
      out[f] = m;
    }
  }
  return out;
}

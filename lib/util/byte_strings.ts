/**
 * @module
 * Strings to and from bytes in plain JS, for the plugin server's per-request path: a
 * TextDecoder/TextEncoder call is a runtime op, and on a daemon that sleeps between calls each
 * distinct runtime path a request takes costs cache misses, so short ASCII texts are cheaper
 * converted here. Callers fall back to TextDecoder/TextEncoder when these decline.
 */

/** Bytes converted per `String.fromCharCode` call (its argument count is bounded). */
const SLICE = 4096;

/** `buf[from, to)` as a string, one character per byte (ISO-8859-1). */
export function latin1String(buf: Uint8Array, from = 0, to = buf.length): string {
  let s = "";
  for (let i = from; i < to; i += SLICE) {
    const part = buf.subarray(i, Math.min(to, i + SLICE));
    s += String.fromCharCode.apply(null, part as unknown as number[]);
  }
  return s;
}

/** `buf` as a string if every byte is ASCII (then UTF-8 and ISO-8859-1 agree), else undefined. */
export function asciiString(buf: Uint8Array): string | undefined {
  for (let i = 0; i < buf.length; i++) if (buf[i]! > 0x7f) return undefined;
  return latin1String(buf);
}

/** Whether every character of `text` is ASCII (its length is then its UTF-8 byte count). */
export function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/**
 * Writes `text` into `out` from index 0 if it is all ASCII and fits; returns the byte count,
 * or -1 (nothing useful written) if it has a non-ASCII character or `out` is too small.
 */
export function writeAscii(text: string, out: Uint8Array): number {
  if (text.length > out.length) return -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) return -1;
    out[i] = c;
  }
  return text.length;
}

/**
 * @module
 * Collecting bytes in memory: join chunks into one array, gather a bounded read from a source of
 * pieces, or read a whole stream into one. Only for data known to be small (request bodies,
 * crypt headers, one read's worth of a file, test files).
 */

/** Joins `chunks` into one new array. */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/**
 * Collects up to `n` bytes from `piece` (called with how many are still wanted; undefined when
 * there are no more) into one array: the first piece itself when it was enough. Fewer than `n`
 * bytes means the source ended.
 */
export async function gatherBytes(
  n: number,
  piece: (max: number) => Promise<Uint8Array | undefined>,
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let got = 0;
  while (got < n) {
    const p = await piece(n - got);
    if (!p) break;
    parts.push(p);
    got += p.byteLength;
  }
  return parts.length === 1 ? parts[0]! : concatBytes(parts);
}

/** Reads a whole (small) stream into one array. */
export async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const c of stream) chunks.push(c);
  return concatBytes(chunks);
}

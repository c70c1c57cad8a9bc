/**
 * @module
 * A full cache file system under a real `denoclone mount --vfs-cache-mode writes`: writes are
 * answered before they are stored in the cache (`FuseOps.acceptWrite`), so a write that cannot
 * be stored must still reach the writer, at the latest at close(2) or fsync(2), and the remote
 * must never get bytes that were not stored: only a prefix of what was written, after an error,
 * and zeros where the file is grown past it later.
 */

import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import {
  type CliMount,
  isolatedFlags,
  sh,
  shOk,
  startCliMount,
  testDirs,
} from "./helpers/mount.ts";

const SOURCE_BYTES = 6 * 1024 * 1024;

function randomBytes(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(b.subarray(i, i + 65536));
  return b;
}

/**
 * The first index where `a` and `b` differ (or the shorter one's length), -1 when equal: a
 * cheap comparison of megabytes (a deep-equality failure would print them all).
 */
function firstDiff(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/** Waits until `cond()` holds (checked every 200 ms), for at most 20 s. */
async function waitFor(cond: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + 20_000;
  while (!(await cond().catch(() => false))) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * A 1.5 MiB tmpfs (so a 1 MiB write fails half-way) as the cache of a writes-mode mount of a
 * local directory, for `fn`.
 */
async function withFullCache(
  fn: (dirs: { base: string; mnt: string; data: string; m: CliMount }) => Promise<void>,
): Promise<void> {
  const { base, mnt, data } = await testDirs("wrerr");
  const cache = `${base}/cache`;
  await Deno.mkdir(cache);
  await shOk(`mount -t tmpfs -o size=1536k tmpfs ${cache}`);
  let m: CliMount | undefined;
  try {
    m = await startCliMount(data, mnt, [
      ...isolatedFlags(base),
      "--vfs-cache-mode",
      "writes",
      "--vfs-write-back",
      "0s",
    ]);
    await fn({ base, mnt, data, m });
  } finally {
    await m?.stop();
    await sh(`umount ${cache} || umount -l ${cache}`);
    await Deno.remove(base, { recursive: true }).catch(() => {});
  }
}

/** Waits until `path` exists with a stable size (the write-back upload finished), or times out. */
async function settledSize(path: string, timeoutMs: number): Promise<number | undefined> {
  const end = Date.now() + timeoutMs;
  let last = -1;
  while (Date.now() < end) {
    const size = await Deno.stat(path).then((s) => s.size, () => undefined);
    if (size !== undefined && size === last) return size;
    last = size ?? -1;
    await new Promise((r) => setTimeout(r, 300));
  }
  return undefined;
}

for (const sync of [false, true]) {
  Deno.test({
    name: `a cache on a full file system: ENOSPC reaches the writer by ${
      sync ? "fsync" : "close"
    } at the latest, and the remote gets only stored bytes`,
    ignore: Deno.uid() !== 0, // mounting the tmpfs needs root
    async fn() {
      await withFullCache(async ({ base, mnt, data, m }) => {
        const src = randomBytes(SOURCE_BYTES);
        await Deno.writeFile(`${base}/src`, src);
        // dd reports a failed write, a failed fsync (conv=fsync) and a failed close.
        const r = await sh(
          `dd if=${base}/src of=${mnt}/big bs=1M ${sync ? "conv=fsync" : ""}`,
          { timeoutSec: 60 },
        );
        ok(r.code !== 0 && r.code !== 124, `dd must fail, not hang: ${r.code} ${r.err}`);
        ok(/No space left on device/.test(r.err), `dd's error: ${r.err}`);
        // The file is uploaded as stored: a strict prefix of the source, never other bytes.
        const size = await settledSize(`${data}/big`, 20_000);
        ok(size !== undefined, "the stored part is uploaded");
        ok(size < SOURCE_BYTES, `a short file (${size} bytes), as dd was told`);
        const got = await Deno.readFile(`${data}/big`);
        assertEquals(firstDiff(got, src.subarray(0, got.length)), -1, "a prefix of the source");
        ok(/reported at the next write, close or fsync/.test(m.stderr()), "logged once");
      });
    },
  });
}

Deno.test({
  name: "a cache on a full file system: a file grown after a failed write reads zeros there",
  ignore: Deno.uid() !== 0, // mounting the tmpfs needs root
  async fn() {
    await withFullCache(async ({ mnt, data, m }) => {
      const src = randomBytes(SOURCE_BYTES);
      // This process writes until the error, then grows the file on the same descriptor
      // (ftruncate is not refused after a failed write, as on Linux) and closes it.
      const f = await Deno.open(`${mnt}/grow`, { write: true, create: true, truncate: true });
      let failed: unknown;
      try {
        for (let done = 0; done < SOURCE_BYTES;) {
          done += await f.write(src.subarray(done, done + (1 << 20)));
        }
      } catch (err) {
        failed = err;
      }
      ok(failed instanceof Error && /No space left/.test(failed.message), `${failed}`);
      await f.truncate(SOURCE_BYTES);
      f.close();
      await waitFor(async () => (await Deno.stat(`${data}/grow`)).size === SOURCE_BYTES);
      // The log names the write that failed: everything before it was stored.
      const logged = /writing \d+ bytes at (\d+) of "grow"/.exec(m.stderr());
      ok(logged, m.stderr());
      const stored = Number(logged[1]);
      ok(stored > 0 && stored < SOURCE_BYTES, `${stored}`);
      // The stored prefix, then zeros: never the part of the failed write that reached the disk.
      const got = await Deno.readFile(`${data}/grow`);
      const want = new Uint8Array(SOURCE_BYTES);
      want.set(src.subarray(0, stored));
      assertEquals(firstDiff(got, want), -1, "the stored prefix, then zeros");
    });
  },
});

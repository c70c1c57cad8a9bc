/**
 * @module
 * A full cache file system under a real `denoclone mount --vfs-cache-mode writes`: writes are
 * answered before they are stored in the cache (`FuseOps.acceptWrite`), so a write that cannot
 * be stored must still reach the writer, at the latest at close(2) or fsync(2), and the remote
 * must never get bytes that were not stored: only a prefix of what was written, after an error.
 */

import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { isolatedFlags, sh, shOk, startCliMount, testDirs } from "./helpers/mount.ts";

const SOURCE_BYTES = 6 * 1024 * 1024;

function randomBytes(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(b.subarray(i, i + 65536));
  return b;
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
      const { base, mnt, data } = await testDirs("wrerr");
      const cache = `${base}/cache`;
      await Deno.mkdir(cache);
      await shOk(`mount -t tmpfs -o size=2m tmpfs ${cache}`);
      let m: Awaited<ReturnType<typeof startCliMount>> | undefined;
      try {
        const src = randomBytes(SOURCE_BYTES);
        await Deno.writeFile(`${base}/src`, src);
        m = await startCliMount(data, mnt, [
          ...isolatedFlags(base),
          "--vfs-cache-mode",
          "writes",
          "--vfs-write-back",
          "0s",
        ]);
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
        assertEquals(got, src.subarray(0, got.length));
        ok(/reported at the next write, close or fsync/.test(m.stderr()), "logged once");
      } finally {
        await m?.stop();
        await sh(`umount ${cache} || umount -l ${cache}`);
        await Deno.remove(base, { recursive: true }).catch(() => {});
      }
    },
  });
}

/**
 * The WRITE data path through a real `denoclone mount` on a local remote: the session hands
 * each WRITE's payload to the VFS as a view of its receive buffer (no copy) and reads the next
 * requests into spare buffers, so several writers at once must still land every byte where it
 * belongs. Five `dd` processes write different random files at the same time with different
 * block sizes (cache modes off and writes); in writes mode four more write disjoint regions of
 * one shared file concurrently. Every byte is checked through the mount (writes) and on the
 * remote after the mount has stopped.
 */

import { IS_ROOT, isolatedFlags, shOk, startCliMount, testDirs } from "./helpers/mount.ts";

const MIB = 1 << 20;
/** Size of each source file. */
const FILE_BYTES = 12 * MIB;
/**
 * dd block sizes of the writers: 1 MiB = one full WRITE, 3M = three; 4k WRITEs are copied by
 * the session instead of lent, 256k ones are lent.
 */
const BLOCKS = ["1M", "1M", "4k", "256k", "3M"];

/** Random bytes (getRandomValues fills at most 64 KiB per call). */
function randomBytes(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(b.subarray(i, Math.min(n, i + 65536)));
  return b;
}

/** Throws naming the first differing offset unless `got` equals `want`. */
function sameBytes(got: Uint8Array, want: Uint8Array, what: string): void {
  if (got.length !== want.length) {
    throw new Error(`${what}: ${got.length} bytes, want ${want.length}`);
  }
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== want[i]) throw new Error(`${what}: first difference at byte ${i}`);
  }
}

for (const mode of ["off", "writes"]) {
  Deno.test({
    name: `mount (${mode}): concurrent writers of many 1 MiB blocks land every byte`,
    ignore: !IS_ROOT,
    fn: async () => {
      const { base, mnt, data } = await testDirs(`fuse-write-${mode}`);
      const src = `${base}/src`;
      await Deno.mkdir(src);
      try {
        const files = BLOCKS.map(() => randomBytes(FILE_BYTES));
        for (const [i, f] of files.entries()) await Deno.writeFile(`${src}/f${i}`, f);
        const shared = randomBytes(FILE_BYTES);
        await Deno.writeFile(`${src}/shared`, shared);
        const m = await startCliMount(data, mnt, [
          ...isolatedFlags(base),
          "--vfs-cache-mode",
          mode,
        ]);
        let code = -1;
        try {
          const jobs = BLOCKS.map((bs, i) =>
            shOk(`dd if=${src}/f${i} of=${mnt}/f${i} bs=${bs} status=none`, { timeoutSec: 120 })
          );
          if (mode === "writes") {
            // four writers into disjoint quarters of one file, at once (needs a cache mode)
            await shOk(`truncate -s ${FILE_BYTES} ${mnt}/shared`);
            const q = FILE_BYTES / 4 / MIB;
            for (let k = 0; k < 4; k++) {
              jobs.push(shOk(
                `dd if=${src}/shared of=${mnt}/shared bs=1M skip=${k * q} seek=${k * q} ` +
                  `count=${q} conv=notrunc status=none`,
                { timeoutSec: 120 },
              ));
            }
          }
          await Promise.all(jobs);
          if (mode === "writes") {
            // read back through the mount from a subprocess (this process does not serve it)
            for (let i = 0; i < files.length; i++) {
              await shOk(`cmp ${src}/f${i} ${mnt}/f${i}`, { timeoutSec: 120 });
            }
            await shOk(`cmp ${src}/shared ${mnt}/shared`, { timeoutSec: 120 });
          }
        } finally {
          code = await m.stop();
        }
        if (code !== 0) throw new Error(`mount exited ${code}: ${m.stderr()}`);
        for (const [i, f] of files.entries()) {
          sameBytes(await Deno.readFile(`${data}/f${i}`), f, `${mode} remote f${i}`);
        }
        if (mode === "writes") {
          sameBytes(await Deno.readFile(`${data}/shared`), shared, `${mode} remote shared`);
        }
      } finally {
        await Deno.remove(base, { recursive: true });
      }
    },
  });
}

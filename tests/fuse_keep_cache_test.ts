/**
 * The kernel page cache of a `denoclone mount --vfs-cache-mode full` (served by a child process,
 * read and written through shell commands): an open keeps the pages of a file whose bytes did
 * not change since its previous open (`FOPEN_KEEP_CACHE`, seen with `fincore`), and every change
 * is still seen by the next open: a remote change of size, or of modification time with the same
 * size (once the directory cache expires); a write and a truncate through the mount; another
 * file renamed onto the name with the same size and modification time; and a remote file
 * replaced by one of the same size and modification time after its cached copy was evicted (the
 * kernel's attributes do not change then, only the cache's content version does).
 */

import { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  type CliMount,
  IS_ROOT,
  isolatedFlags,
  sh,
  shOk,
  startCliMount,
  testDirs,
  waitFor,
} from "./helpers/mount.ts";

/** The text of `path`, read by `cat` in a subprocess (a new open each time). */
async function cat(path: string): Promise<string> {
  return await shOk(`cat ${path}`);
}

/** Pages of `path` in the kernel's page cache, by `fincore` (its own open keeps or drops them). */
async function residentPages(path: string): Promise<number> {
  const out = await shOk(`fincore --bytes --noheadings --output PAGES ${path}`);
  return Number(out.trim());
}

/**
 * Reads `path` with new opens until it holds `want` (bounded: the mount notices a remote change
 * once its directory cache expires), then checks once more.
 */
async function untilReads(path: string, want: string, what: string): Promise<void> {
  let got = "";
  try {
    await waitFor(
      async () => {
        const r = await sh(`cat ${path}`);
        got = r.code === 0 ? r.out : `(cat failed: ${r.err.trim()})`;
        return got === want;
      },
      15_000,
      what,
    );
  } catch {
    assertEquals(got, want, what);
  }
  assertEquals(await cat(path), want, `${what}, read again`);
}

Deno.test({
  name: "mount (full): kept page cache never hides a change of the file",
  ignore: !IS_ROOT,
  fn: async () => {
    const { base, mnt, data } = await testDirs("keep-cache");
    let m: CliMount | undefined;
    let code: number | undefined;
    try {
      const big = "k".repeat(64 * 1024);
      await Deno.writeTextFile(`${data}/f`, "first\n");
      await Deno.writeTextFile(`${data}/big`, big);
      m = await startCliMount(data, mnt, [
        ...isolatedFlags(base),
        "--vfs-cache-mode",
        "full",
        "--dir-cache-time",
        "1s",
        "--vfs-cache-max-age",
        "4s",
        "--vfs-cache-poll-interval",
        "500ms",
      ]);

      // unchanged: the second open keeps what the first read brought in
      assertEquals(await cat(`${mnt}/big`), big, "big");
      assertEquals(await residentPages(`${mnt}/big`), 16, "pages of an unchanged file are kept");

      assertEquals(await cat(`${mnt}/f`), "first\n", "f");
      assertEquals(await cat(`${mnt}/f`), "first\n", "f again");

      // remote change of size, then of modification time only (same size)
      await Deno.writeTextFile(`${data}/f`, "second!\n");
      await untilReads(`${mnt}/f`, "second!\n", "remote change of size");
      await Deno.writeTextFile(`${data}/f`, "SECOND!\n");
      await shOk(`touch -d @2000000000 ${data}/f`);
      await untilReads(`${mnt}/f`, "SECOND!\n", "remote change with the same size");

      // a write through the mount, then a truncate
      await shOk(`printf 'xy' | dd of=${mnt}/f bs=1 seek=2 conv=notrunc status=none`);
      assertEquals(await cat(`${mnt}/f`), "SExyND!\n", "written through the mount");
      await shOk(`truncate -s 3 ${mnt}/f`);
      assertEquals(await cat(`${mnt}/f`), "SEx", "truncated through the mount");

      // another file of the same size and modification time renamed onto the name
      await shOk(`printf 'abc' > ${mnt}/g && touch -r ${mnt}/f ${mnt}/g`);
      assertEquals(await cat(`${mnt}/g`), "abc", "g");
      assertEquals(await cat(`${mnt}/f`), "SEx", "f before the rename");
      await shOk(`mv ${mnt}/g ${mnt}/f`);
      assertEquals(await cat(`${mnt}/f`), "abc", "renamed onto f");

      // the cached copy is evicted, then the remote file is replaced by one of the same size and
      // modification time: the kernel's attributes stay the same, the bytes do not
      await shOk(`printf 'old-bytes' > ${data}/h && touch -d @1900000000 ${data}/h`);
      await untilReads(`${mnt}/h`, "old-bytes", "h");
      assertEquals(await cat(`${mnt}/h`), "old-bytes", "h again");
      await waitFor(
        async () => (await shOk(`find ${base}/cache/vfs -name h`)).trim() === "",
        15_000,
        "eviction of h from the cache",
      );
      await shOk(`printf 'NEW-BYTES' > ${data}/h && touch -d @1900000000 ${data}/h`);
      await untilReads(`${mnt}/h`, "NEW-BYTES", "same size and time after eviction");
    } finally {
      code = await m?.stop();
      await Deno.remove(base, { recursive: true });
    }
    if (code !== 0) throw new Error(`mount exited ${code}: ${m?.stderr()}`);
  },
});

import { deepStrictEqual as assertEquals, rejects } from "node:assert/strict";
import { LocalBackend } from "../lib/backends/local.ts";
import { NotFoundError } from "../lib/errors.ts";
import { VfsCache } from "../lib/vfs/cache/vfs_cache.ts";
import { FAST, pattern, readRemote, writeRemote } from "./vfs_cache_helpers.ts";

async function waitForLine(stream: ReadableStream<Uint8Array>, line: string, ms: number) {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const timer = setTimeout(() => reader.cancel(), ms);
  try {
    while (!text.includes(line)) {
      const r = await reader.read();
      if (r.done) throw new Error(`child ended before printing ${line}: ${text}`);
      text += r.value;
    }
  } finally {
    clearTimeout(timer);
    reader.releaseLock();
  }
}

Deno.test("VfsCache after kill -9: everything closed or fsynced lands on the next open", async () => {
  const cacheDir = await Deno.makeTempDir({ prefix: "vfs_cache_crash_" });
  const root = await Deno.makeTempDir({ prefix: "vfs_cache_crash_remote_" });
  const inner = new LocalBackend({ root });
  const original = pattern(100_000, 0, 9);
  await writeRemote(inner, "patched.bin", original, 1_500_000_000_000);
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("./vfs_cache_crash_child.ts", import.meta.url).pathname,
      cacheDir,
      root,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let killed = false;
  try {
    await waitForLine(child.stdout, "READY", 30_000);
    await new Promise((r) => setTimeout(r, 200));
    child.kill("SIGKILL");
    killed = true;
    const status = await child.status;
    assertEquals(status.signal, "SIGKILL");
    // Nothing reached the remote before the crash.
    await rejects(inner.stat("closed.txt"), NotFoundError);

    const cache = await VfsCache.open({
      backend: inner,
      cacheDir,
      options: { vfs_cache_mode: "full", vfs_write_back: 3_600_000 },
      tuning: FAST,
    });
    try {
      assertEquals(cache.stats().dirtyFiles, 5);
      assertEquals(cache.pendingEntry("after.txt")?.size, 5);
      await cache.sync();
      assertEquals(cache.stats().dirtyFiles, 0);
    } finally {
      await cache.close();
    }
    const dec = (b: Uint8Array) => new TextDecoder().decode(b);
    assertEquals(dec(await readRemote(inner, "closed.txt")), "closed before the crash");
    assertEquals(await readRemote(inner, "dir/synced.bin"), pattern(3_000_000, 0, 1));
    const expected = original.slice();
    expected.set(pattern(500, 0, 42), 1000);
    assertEquals(await readRemote(inner, "patched.bin"), expected);
    assertEquals(dec(await readRemote(inner, "after.txt")), "moved");
    await rejects(inner.stat("before.txt"), NotFoundError);
    await rejects(inner.stat("removed.txt"), NotFoundError);
    assertEquals((await inner.stat("empty.txt")).size, 0);
    // The new file being written when the process died was never closed, so nothing was
    // promised: it has no metadata on disk, and its orphan data file is removed.
    await rejects(inner.stat("partial.bin"), NotFoundError);
    const names = [...Deno.readDirSync(root)].map((e) => e.name).sort();
    assertEquals(names, ["after.txt", "closed.txt", "dir", "empty.txt", "patched.bin"]);
    const cached = [...Deno.readDirSync(`${cacheDir}/vfs`)].map((e) => e.name);
    for (const dir of cached) {
      const left = [...Deno.readDirSync(`${cacheDir}/vfs/${dir}`)].map((e) => e.name);
      assertEquals(left.includes("partial.bin"), false);
    }
  } finally {
    if (!killed) {
      child.kill("SIGKILL");
      await child.status;
    }
    await child.stdout.cancel().catch(() => {});
    await Deno.remove(cacheDir, { recursive: true });
    await Deno.remove(root, { recursive: true });
  }
});

/**
 * @module
 * The Vfs over the real `local` backend in a temp directory: basic file and directory
 * operations per cache mode, and the randomized model test.
 */

import { assertEquals, assertRejects } from "./vfs_assert.ts";
import { NotEmptyError, NotFoundError } from "../lib/errors.ts";
import { LocalBackend } from "../lib/backends/local/local_backend.ts";
import { O, Vfs } from "../lib/vfs/vfs.ts";
import { bytes, text } from "./vfs_helpers.ts";
import { modelTest } from "./vfs_model.ts";

async function withLocal(fn: (root: string, b: LocalBackend) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "vfs-local-" });
  try {
    await fn(root, new LocalBackend({ root }));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("Vfs over local: files written through the VFS land on disk", async () => {
  await withLocal(async (root, b) => {
    const vfs = new Vfs(b, {});
    await vfs.mkdir("docs");
    const { handle } = await vfs.create("docs/a.txt", O.WRONLY | O.CREAT | O.TRUNC, 0o644);
    await handle.write(0, bytes("local data"));
    assertEquals((await vfs.stat("docs/a.txt")).size, 10);
    await handle.flush();
    await handle.release();
    assertEquals(await Deno.readTextFile(`${root}/docs/a.txt`), "local data");
    const h = await vfs.open("docs/a.txt", O.RDONLY);
    assertEquals(text(await h.read(6, 100)), "data");
    await h.release();
    await vfs.rename("docs/a.txt", "b.txt");
    assertEquals(await Deno.readTextFile(`${root}/b.txt`), "local data");
    await assertRejects(() => Deno.stat(`${root}/docs/a.txt`), Deno.errors.NotFound);
    await Deno.writeTextFile(`${root}/docs/c`, "c");
    vfs.forgetDirCache();
    await assertRejects(() => vfs.rmdir("docs"), NotEmptyError);
    await vfs.unlink("docs/c");
    await vfs.rmdir("docs");
    await assertRejects(() => vfs.stat("docs"), NotFoundError);
    const fs = await vfs.statfs();
    assertEquals(fs.bsize, 4096);
    await vfs.shutdown();
  });
});

Deno.test("Vfs over local: minimal mode read+write edits a file in place", async () => {
  await withLocal(async (root, b) => {
    await Deno.writeTextFile(`${root}/f`, "abcdef");
    const cacheDir = await Deno.makeTempDir();
    try {
      const vfs = new Vfs(b, { vfs_cache_mode: "minimal", vfs_write_back: 0 }, { cacheDir });
      const h = await vfs.open("f", O.RDWR);
      await h.write(2, bytes("XY"));
      assertEquals(text(await h.read(0, 10)), "abXYef");
      await h.release();
      await vfs.sync();
      assertEquals(await Deno.readTextFile(`${root}/f`), "abXYef");
      await vfs.shutdown();
    } finally {
      await Deno.remove(cacheDir, { recursive: true });
    }
  });
});

modelTest("local", async () => {
  const root = await Deno.makeTempDir({ prefix: "vfs-model-" });
  return {
    backend: new LocalBackend({ root }),
    cleanup: () => Deno.remove(root, { recursive: true }),
  };
}, 1);

/**
 * @module
 * Unit tests of `open_files.ts`, with real write and read handles over the memory backend.
 */

import { assertEquals } from "../../tests/vfs_assert.ts";
import { bytes, memoryBackend, putFile } from "../../tests/vfs_helpers.ts";
import type { Entry } from "../backends/backend.ts";
import { OpenFiles } from "./open_files.ts";
import { ReadHandle } from "./read_handle.ts";
import { WriteHandle, type WriteHandleHost } from "./write_handle.ts";

function host(files: OpenFiles): WriteHandleHost {
  return {
    backend: memoryBackend(),
    writeWaitMs: 0,
    trackUpload: () => {},
    uploaded: (_u: string, _f: string, e: Entry) => Promise.resolve(e),
    uploadFailed: () => {},
    detach: (h) => files.forget(h),
  };
}

Deno.test("OpenFiles.overlay() shows new and growing files and ignores read handles", async () => {
  const files = new OpenFiles();
  const w = new WriteHandle(host(files), "d/new", false, false);
  files.add(w);
  assertEquals(files.overlay("d/new", undefined, undefined, 5), {
    path: "d/new",
    isDir: false,
    size: 0,
    mtimeMs: 5,
  });
  await w.write(0, bytes("12345"));
  const remote: Entry = { path: "d/new", isDir: false, size: 1, mtimeMs: 1 };
  assertEquals(files.overlay("d/new", remote, undefined, 5)?.size, 5);
  assertEquals(files.inDir("d").length, 1);
  assertEquals(files.anyBelow("d"), true);
  const b = memoryBackend();
  await putFile(b, "r", bytes("x"));
  const r = new ReadHandle(b, "r", {
    chunkSize: 0,
    chunkSizeLimit: -1,
    readWaitMs: 0,
    noSeek: false,
  });
  files.add(r);
  assertEquals(files.overlay("r", undefined, undefined, 5), undefined);
  await w.release();
  assertEquals(files.count, 1);
});

Deno.test("OpenFiles.detach() and retarget() move handles out of and within the namespace", () => {
  const files = new OpenFiles();
  const a = new WriteHandle(host(files), "dir/a", false, false);
  const b = new WriteHandle(host(files), "dir/sub/b", false, false);
  files.add(a);
  files.add(b);
  files.retarget("dir", "moved", true);
  assertEquals([a.path, b.path], ["moved/a", "moved/sub/b"]);
  files.detach("moved/a");
  assertEquals(files.at("moved/a").length, 0);
  assertEquals(files.count, 2, "detached handles stay tracked");
  assertEquals(files.overlay("moved/a", undefined, undefined, 1), undefined);
});

Deno.test("OpenFiles.overlay() prefers the cache's pending entry and size", () => {
  const files = new OpenFiles();
  const pending = {
    pendingEntry: (p: string) =>
      p === "f" ? { path: "f", isDir: false, size: 7, mtimeMs: 9 } : undefined,
    cachedSize: (p: string) => (p === "g" ? 3 : undefined),
  };
  const remote: Entry = { path: "f", isDir: false, size: 1, mtimeMs: 1 };
  assertEquals(files.overlay("f", remote, pending, 0), {
    path: "f",
    isDir: false,
    size: 7,
    mtimeMs: 9,
  });
  assertEquals(files.overlay("g", undefined, pending, 4), {
    path: "g",
    isDir: false,
    size: 3,
    mtimeMs: 4,
  });
});

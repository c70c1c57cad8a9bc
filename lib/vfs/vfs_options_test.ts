/**
 * @module
 * Unit tests of `vfs_options.ts`.
 */

import { assertEquals, assertRejects } from "../../tests/vfs_assert.ts";
import {
  defaultsOf,
  envName,
  findOption,
  flagName,
  resolveOptions,
} from "../config/option_schema.ts";
import { VFS_OPTIONS } from "./vfs_options.ts";
import { vfsConfig } from "./vfs_config.ts";

Deno.test("VFS_OPTIONS has rclone's names and defaults", () => {
  const d = defaultsOf(VFS_OPTIONS);
  assertEquals(d.vfs_cache_mode, "off");
  assertEquals(d.dir_cache_time, 5 * 60_000);
  assertEquals(d.poll_interval, 60_000);
  assertEquals(d.vfs_read_chunk_size, 128 * 1024 * 1024);
  assertEquals(d.vfs_read_chunk_size_limit, -1);
  assertEquals([d.dir_perms, d.file_perms, d.umask], [0o777, 0o666, 0o022]);
  assertEquals([d.vfs_write_wait, d.vfs_read_wait, d.vfs_write_back], [1000, 20, 5000]);
  assertEquals(d.vfs_cache_max_age, 3_600_000);
  const def = findOption(VFS_OPTIONS, "--vfs-cache-mode")!;
  assertEquals(flagName(VFS_OPTIONS, def), "--vfs-cache-mode");
  assertEquals(envName(VFS_OPTIONS, def), "RCLONE_VFS_CACHE_MODE");
});

Deno.test("VFS_OPTIONS parse rclone syntax and vfsConfig() types them", () => {
  const o = resolveOptions(VFS_OPTIONS, {
    "vfs-cache-mode": "WRITES",
    "dir-cache-time": "10s",
    "vfs-read-chunk-size": "64M",
    "umask": "0077",
    "uid": "1000",
  }, {});
  const c = vfsConfig(o);
  assertEquals(c.cacheMode, "writes");
  assertEquals(c.dirCacheTimeMs, 10_000);
  assertEquals(c.readChunkSize, 64 * 1024 * 1024);
  assertEquals(c.umask, 0o077);
  assertEquals(c.uid, 1000);
  assertEquals(c.bufferSize, 16 * 1024 * 1024);
});

Deno.test("vfsConfig() rejects values of the wrong type, naming the option", async () => {
  await assertRejects(
    () => Promise.resolve().then(() => vfsConfig({ vfs_cache_mode: "bogus" })),
    Error,
    "vfs_cache_mode",
  );
  await assertRejects(
    () => Promise.resolve().then(() => vfsConfig({ dir_cache_time: "5m" })),
    Error,
    "dir_cache_time",
  );
});

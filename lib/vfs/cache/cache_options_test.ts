import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import { CACHE_DEFAULTS, cacheOptionsFrom } from "./cache_options.ts";
import { InvalidError } from "../../errors.ts";

Deno.test("cacheOptionsFrom() fills rclone's defaults", () => {
  assertEquals(cacheOptionsFrom({}), CACHE_DEFAULTS);
});

Deno.test("cacheOptionsFrom() reads parsed option values", () => {
  const o = cacheOptionsFrom({
    vfs_cache_mode: "FULL",
    vfs_cache_max_size: 1024,
    vfs_write_back: 250,
    vfs_read_chunk_streams: 4,
    vfs_read_chunk_size_limit: -1,
  });
  assertEquals(o.mode, "full");
  assertEquals(o.maxSize, 1024);
  assertEquals(o.writeBackMs, 250);
  assertEquals(o.chunkStreams, 4);
  assertEquals(o.chunkSizeLimit, -1);
});

Deno.test("cacheOptionsFrom() rejects an unknown cache mode", () => {
  throws(() => cacheOptionsFrom({ vfs_cache_mode: "potato" }), InvalidError);
});

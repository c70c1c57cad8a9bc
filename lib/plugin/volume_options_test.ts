import { deepStrictEqual as assertEquals, match, throws } from "node:assert/strict";
import "../backends/all.ts";
import { defaultsOf } from "../config/option_schema.ts";
import { MOUNT_OPTIONS } from "../fuse/mount_options.ts";
import { VFS_OPTIONS } from "../vfs/vfs_options.ts";
import { connectionString, type OptionContext, parseVolumeOptions } from "./volume_options.ts";

const ctx: OptionContext = {
  remoteType: (name) => ({ mylocal: "local", mymem: "memory" } as Record<string, string>)[name],
  mountDefaults: defaultsOf(MOUNT_OPTIONS),
  vfsDefaults: defaultsOf(VFS_OPTIONS),
};

Deno.test("parseVolumeOptions() matches rclone's TestApplyOptions (parity §8.4)", () => {
  const spec = parseVolumeOptions({
    remote: "/tmp/docker",
    persist: "FALSE",
    "--local-case-sensitive": "true",
    local_no_check_updated: "1",
    "debug-fuse": "true",
    attr_timeout: "100s",
    "--async-read": "TRUE",
    "no-modtime": "1",
    no_checksum: "true",
    "--no-seek": "true",
  }, ctx);
  assertEquals(
    connectionString(spec),
    ":local,case_sensitive='true',no_check_updated='1':/tmp/docker",
  );
  assertEquals(spec.persist, false);
  assertEquals(spec.mountOptions.debug_fuse, true);
  assertEquals(spec.mountOptions.attr_timeout, 100_000);
  assertEquals(spec.mountOptions.async_read, true);
  assertEquals(spec.vfsOptions.no_modtime, true);
  assertEquals(spec.vfsOptions.no_checksum, true);
  assertEquals(spec.vfsOptions.no_seek, true);
  assertEquals(spec.options["--local-case-sensitive"], "true", "options kept verbatim");

  throws(
    () => parseVolumeOptions({ remote: "/tmp/docker", "debug-fuse": "POTATO" }, ctx),
    /cannot parse mount options: .*debug_fuse/,
  );
  throws(
    () => parseVolumeOptions({ remote: "/tmp/docker", "no-modtime": "POTATO" }, ctx),
    /cannot parse vfs options: .*no_modtime/,
  );
  throws(
    () => parseVolumeOptions({ remote: "/tmp/docker", local_not_found: "POTATO" }, ctx),
    /unsupported backend option "local_not_found"/,
  );
});

Deno.test("parseVolumeOptions() special keys are case-exact and path overrides the remote's path", () => {
  throws(
    () => parseVolumeOptions({ type: "memory", Remote: "/x" }, ctx),
    /unsupported backend option "Remote"/,
  );
  throws(() => parseVolumeOptions({ type: "memory", "--path": "/x" }, ctx), /"--path"/);
  const s = parseVolumeOptions({ remote: ":local,case_sensitive=true:/d", path: "/e" }, ctx);
  assertEquals(connectionString(s), ":local,case_sensitive='true':/e");
  assertEquals(
    connectionString(parseVolumeOptions({ type: "memory", path: "bucket/dir" }, ctx)),
    ":memory:bucket/dir",
  );
  assertEquals(connectionString(parseVolumeOptions({ fs: "mylocal:sub" }, ctx)), "mylocal:sub");
});

Deno.test("parseVolumeOptions() -o backend keys override connection-string params and need the type prefix", () => {
  const s = parseVolumeOptions({
    remote: ":local,case_sensitive=false:/d",
    "LOCAL-CASE-SENSITIVE": "true",
  }, ctx);
  assertEquals(s.params, { case_sensitive: "true" });
  throws(
    () => parseVolumeOptions({ remote: "/d", case_sensitive: "true" }, ctx),
    /unsupported backend option "case_sensitive"/,
  );
  // The prefix is the backend type, not the remote name.
  throws(
    () => parseVolumeOptions({ remote: "mylocal:", "mylocal-case-sensitive": "1" }, ctx),
    /unsupported backend option/,
  );
  assertEquals(
    parseVolumeOptions({ remote: "mylocal:", "local-case-sensitive": "1" }, ctx).params,
    { case_sensitive: "1" },
  );
});

Deno.test("parseVolumeOptions() errors name the remote, the type and the bad path", () => {
  throws(
    () => parseVolumeOptions({ remote: "nosuch:path" }, ctx),
    /didn't find section in config file.*nosuch/,
  );
  throws(
    () => parseVolumeOptions({ type: "nonexistentbackend" }, ctx),
    /unknown filesystem type "nonexistentbackend"/,
  );
  throws(() => parseVolumeOptions({ remote: ":" }, ctx), /cannot parse path ":"/);
  throws(
    () => parseVolumeOptions({ remote: "mymem:", persist: "true" }, ctx),
    /backend type is required to persist remotes/,
  );
  throws(
    () => parseVolumeOptions({ type: "memory", persist: "yes" }, ctx),
    /cannot parse option "persist"/,
  );
  const p = parseVolumeOptions({ type: "memory", Persist: "true" }, ctx);
  assertEquals(p.persist, true);
  assertEquals(connectionString(p, { persistName: "vol" }), "vol:");
});

Deno.test("parseVolumeOptions() empty values keep defaults for typed options and mount/VFS defaults apply", () => {
  const s = parseVolumeOptions({ type: "memory", "vfs-cache-mode": "", "dir-cache-time": "10s" }, {
    ...ctx,
    vfsDefaults: { ...ctx.vfsDefaults, vfs_cache_mode: "writes" },
  });
  assertEquals(s.vfsOptions.vfs_cache_mode, "writes");
  assertEquals(s.vfsOptions.dir_cache_time, 10_000);
  match(String(s.mountType), /^mount$/);
});

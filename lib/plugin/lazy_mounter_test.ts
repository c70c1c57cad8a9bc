import { deepStrictEqual as assertEquals, rejects } from "node:assert/strict";
import { LazyMounter } from "./lazy_mounter.ts";
import { RecordingMounter } from "./_recording_mounter.ts";
import type { VolumeSetup } from "./mounter.ts";

function setup(name: string): VolumeSetup {
  return { name, remote: ":memory:", displayRemote: ":memory:", mountOptions: {}, vfsOptions: {} };
}

Deno.test("LazyMounter loads the real mounter once, on the first open, and delegates to it", async () => {
  const real = new RecordingMounter();
  let loads = 0;
  const lazy = new LazyMounter(() => {
    loads++;
    return Promise.resolve(real);
  });
  assertEquals(loads, 0);
  const [a, b] = await Promise.all([lazy.open(setup("a")), lazy.open(setup("b"))]);
  await lazy.open(setup("c"));
  assertEquals(loads, 1);
  assertEquals(real.calls.filter((c) => c[0] === "open").map((c) => c[1]), ["a", "b", "c"]);
  await a.mount("/mnt/a", () => {});
  assertEquals(real.calls.at(-1), ["mount", "a", "/mnt/a"]);
  assertEquals(b.status().dirtyFiles, 0);
});

Deno.test("LazyMounter retries a failed load on the next open", async () => {
  let loads = 0;
  const lazy = new LazyMounter(() => {
    loads++;
    return loads === 1
      ? Promise.reject(new Error("no module"))
      : Promise.resolve(new RecordingMounter());
  });
  await rejects(lazy.open(setup("a")), /no module/);
  await lazy.open(setup("a"));
  assertEquals(loads, 2);
});

Deno.test("LazyMounter loads the FUSE mounter module", async () => {
  const lazy = new LazyMounter(async () => {
    const { FuseMounter } = await import("./fuse_mounter.ts");
    return new FuseMounter({ configPath: "/nonexistent/rclone.conf", cacheDir: "/tmp", env: {} });
  });
  const rt = await lazy.open({ ...setup("m"), remote: ":memory:bucket" });
  await rt.probe();
  await rt.close();
});

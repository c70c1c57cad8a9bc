import { deepStrictEqual as assertEquals, rejects } from "node:assert/strict";
import "../backends/all.ts";
import { RcloneConf } from "../config/rclone_conf.ts";
import { FuseMounter } from "./fuse_mounter.ts";
import type { VolumeSetup } from "./mounter.ts";

Deno.test("FuseMounter.open() builds from the conf the driver passes, else reads rclone.conf", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/data`);
    await Deno.writeTextFile(`${dir}/data/f`, "x");
    // No rclone.conf on disk: only the passed conf knows the remote "loc".
    const configPath = `${dir}/missing/rclone.conf`;
    const mounter = new FuseMounter({ configPath, cacheDir: `${dir}/cache`, env: {} });
    const setup: VolumeSetup = {
      name: "v",
      remote: `loc:${dir}/data`,
      displayRemote: `loc:${dir}/data`,
      mountOptions: {},
      vfsOptions: {},
    };
    const conf = RcloneConf.fromText("[loc]\ntype = local\n", configPath, { env: {} });
    const rt = await mounter.open({ ...setup, conf });
    try {
      await rt.probe();
      assertEquals(rt.status().dirtyFiles, 0);
    } finally {
      await rt.close();
    }
    await rejects(mounter.open(setup), /loc/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * @module
 * The randomized VFS-vs-model test over a `crypt` remote wrapping a local directory, in every
 * cache mode (crypt changes sizes and names under the VFS, so listings, ranged reads and
 * streaming writes all go through its transforms).
 */

import { newBackend } from "../lib/backends/new_backend.ts";
import { obscure } from "../lib/config/obscure.ts";
import { RcloneConf } from "../lib/config/rclone_conf.ts";
import { modelTest } from "./vfs_model.ts";

const NO_ENV: Record<string, string | undefined> = {};

modelTest("crypt over local", async () => {
  const dir = await Deno.makeTempDir({ prefix: "vfs-crypt-" });
  const conf = await RcloneConf.load(`${dir}/rclone.conf`, { env: NO_ENV });
  conf.set("disk", "type", "local");
  conf.set("secret", "type", "crypt");
  conf.set("secret", "remote", `disk:${dir}/enc`);
  conf.set("secret", "password", obscure("vfs test password"));
  await Deno.mkdir(`${dir}/enc`);
  const backend = await newBackend("secret:", { conf, env: NO_ENV });
  return {
    backend,
    async cleanup() {
      await backend.close?.();
      await Deno.remove(dir, { recursive: true });
    },
  };
}, 1);

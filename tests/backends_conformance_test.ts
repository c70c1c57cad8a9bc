/**
 * @module
 * Runs the backend conformance suite against the `local`, `memory` and `alias` backends, each
 * built through `newBackend` from a remote string as the CLI and plugin build them.
 */

import { purgeDir, runBackendSuite } from "./backend_conformance.ts";
import { newBackend } from "../lib/backends/new_backend.ts";
import { RcloneConf } from "../lib/config/rclone_conf.ts";

const NO_ENV: Record<string, string | undefined> = {};

async function emptyConf(dir: string): Promise<RcloneConf> {
  return await RcloneConf.load(`${dir}/rclone.conf`, { env: NO_ENV });
}

runBackendSuite("local", async () => {
  const dir = await Deno.makeTempDir({ prefix: "denoclone-local-" });
  const backend = await newBackend(`${dir}/root`, { conf: await emptyConf(dir), env: NO_ENV });
  await backend.mkdir("");
  return {
    backend,
    async cleanup() {
      await backend.close?.();
      await Deno.remove(dir, { recursive: true });
    },
  };
});

let memoryRun = 0;
runBackendSuite("memory", async () => {
  const root = `conformance-${Deno.pid}-${memoryRun++}`;
  const conf = await emptyConf("/nonexistent-denoclone");
  const backend = await newBackend(`:memory:${root}`, { conf, env: NO_ENV });
  await backend.mkdir("");
  return {
    backend,
    async cleanup() {
      await backend.close?.();
      const top = await newBackend(":memory:", { conf, env: NO_ENV });
      await purgeDir(top, root);
    },
  };
});

runBackendSuite("alias", async () => {
  const dir = await Deno.makeTempDir({ prefix: "denoclone-alias-" });
  await Deno.mkdir(`${dir}/target/sub`, { recursive: true });
  const conf = await emptyConf(dir);
  conf.set("target", "type", "local");
  conf.set("myalias", "type", "alias");
  conf.set("myalias", "remote", `target:${dir}/target`);
  const backend = await newBackend("myalias:sub", { conf, env: NO_ENV });
  return {
    backend,
    async cleanup() {
      await backend.close?.();
      await Deno.remove(dir, { recursive: true });
    },
  };
}, {
  // The alias forwards every call to the local backend, whose run streams 256 MiB already.
  bigFileBytes: 32 * 1024 * 1024,
});

/**
 * `denoclone serve docker` flags end to end: TCP with `--spec-dir` writes the spec file and
 * removes it on SIGTERM, `--no-spec` (flag and env) writes none, `--base-dir` from env, and
 * VFS flags as per-volume defaults.
 */
import { deepStrictEqual as assertEquals, match } from "node:assert/strict";
import { callPlugin } from "../lib/plugin/admin_client.ts";
import { detachAllUnder, pluginPaths, startPluginProcess } from "./plugin_process.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

async function runTcp(dir: string, extra: string[], env: Record<string, string> = {}) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      MAIN,
      "serve",
      "docker",
      "--socket-addr",
      "127.0.0.1:0",
      "--spec-dir",
      `${dir}/spec`,
      ...extra,
    ],
    env: { RCLONE_CACHE_DIR: `${dir}/cache`, RCLONE_CONFIG: `${dir}/rclone.conf`, ...env },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let err = "";
  const drained = (async () => {
    for await (const c of child.stderr) err += new TextDecoder().decode(c);
  })();
  const deadline = Date.now() + 20_000;
  let addr = "";
  while (Date.now() < deadline && !addr) {
    addr = /Serving TCP socket: (\S+)/.exec(err)?.[1] ?? "";
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    addr,
    async stop() {
      child.kill("SIGTERM");
      const s = await child.status;
      await drained;
      return s;
    },
  };
}

Deno.test("serve docker: --spec-dir spec file, --no-spec flag and RCLONE_NO_SPEC, RCLONE_BASE_DIR", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dcf" });
  try {
    let p = await runTcp(dir, [], { RCLONE_BASE_DIR: `${dir}/envbase` });
    match(p.addr, /^127\.0\.0\.1:\d+$/);
    assertEquals(await Deno.readTextFile(`${dir}/spec/rclone.spec`), `tcp://${p.addr}`);
    const r = await callPlugin(p.addr, "/VolumeDriver.Create", {
      Name: "v",
      Opts: { type: "memory" },
    });
    assertEquals(r.status, 200, r.text);
    const got = await callPlugin(p.addr, "/VolumeDriver.Path", { Name: "v" });
    assertEquals(got.json, { Mountpoint: `${dir}/envbase/v` });
    assertEquals((await p.stop()).success, true);
    assertEquals(await Deno.stat(`${dir}/spec/rclone.spec`).then(() => true, () => false), false);

    p = await runTcp(dir, ["--no-spec", "--forget-state"]);
    match(p.addr, /^127\.0\.0\.1:\d+$/);
    assertEquals(await Deno.stat(`${dir}/spec/rclone.spec`).then(() => true, () => false), false);
    const list = await callPlugin(p.addr, "/VolumeDriver.List", {});
    assertEquals(list.json, { Volumes: [] }, "--forget-state skips the saved volume");
    assertEquals((await p.stop()).success, true);

    p = await runTcp(dir, [], { RCLONE_NO_SPEC: "true" });
    match(p.addr, /^127\.0\.0\.1:\d+$/);
    assertEquals(await Deno.stat(`${dir}/spec/rclone.spec`).then(() => true, () => false), false);
    assertEquals((await p.stop()).success, true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "serve docker: VFS flags are defaults for new volumes, which may override them",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "dcv" });
    const p = pluginPaths(dir);
    await Deno.mkdir(`${dir}/remote`);
    const plugin = await startPluginProcess(dir, `${dir}/plugin.sock`, ["--read-only"]);
    try {
      for (const [name, opts] of [["ro", {}], ["rw", { "read-only": "false" }]] as const) {
        let r = await plugin.call("/VolumeDriver.Create", {
          Name: name,
          Opts: { type: "local", path: `${dir}/remote`, ...opts },
        });
        assertEquals(r.status, 200, r.text);
        r = await plugin.call("/VolumeDriver.Mount", { Name: name, ID: "1" });
        assertEquals(r.status, 200, r.text);
      }
      let err: Error | undefined;
      await Deno.writeTextFile(`${p.base}/ro/x`, "x").catch((e) => err = e);
      match(String(err), /Read-only file system/);
      await Deno.writeTextFile(`${p.base}/rw/y`, "y");
      for (const name of ["ro", "rw"]) {
        const r = await plugin.call("/VolumeDriver.Unmount", { Name: name, ID: "1" });
        assertEquals(r.status, 200, r.text);
      }
      assertEquals(await Deno.readTextFile(`${dir}/remote/y`), "y");
    } finally {
      await plugin.stop();
      await detachAllUnder(dir);
      await Deno.remove(dir, { recursive: true });
    }
  },
});

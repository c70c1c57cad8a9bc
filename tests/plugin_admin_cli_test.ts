/**
 * `denoclone volume ls | inspect | update` against a running plugin process over its socket.
 */
import { deepStrictEqual as assertEquals, match } from "node:assert/strict";
import { detachAllUnder, pluginPaths, startPluginProcess } from "./plugin_process.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const o = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const d = new TextDecoder();
  return { code: o.code, out: d.decode(o.stdout), err: d.decode(o.stderr) };
}

Deno.test({
  name: "denoclone volume ls/inspect/update talk to the plugin's socket",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "dca" });
    const p = pluginPaths(dir);
    const sock = `${dir}/plugin.sock`;
    await Deno.mkdir(`${dir}/r1`);
    await Deno.mkdir(`${dir}/r2`);
    await Deno.writeTextFile(`${dir}/r2/only-in-r2`, "2");
    const plugin = await startPluginProcess(dir, sock);
    try {
      let r = await plugin.call("/VolumeDriver.Create", {
        Name: "adm",
        Opts: { type: "local", path: `${dir}/r1` },
      });
      assertEquals(r.status, 200, r.text);
      let c = await cli(["volume", "ls", "--socket-addr", sock]);
      assertEquals(c.code, 0, c.err);
      assertEquals(
        c.out,
        `NAME  STATE  MOUNTS  REMOTE\nadm   ok     0       :local:${dir}/r1\n`,
      );

      c = await cli([
        "volume",
        "update",
        "adm",
        "-o",
        `path=${dir}/r2`,
        "-o",
        "vfs-cache-mode=writes",
        "--socket-addr",
        sock,
      ]);
      assertEquals([c.code, c.out], [0, "adm\n"], c.err);
      c = await cli(["volume", "inspect", "adm", "--socket-addr", sock]);
      const [info] = JSON.parse(c.out);
      assertEquals([info.path, info.options], [`${dir}/r2`, { "vfs-cache-mode": "writes" }]);

      r = await plugin.call("/VolumeDriver.Mount", { Name: "adm", ID: "m" });
      assertEquals(r.status, 200, r.text);
      assertEquals(await Deno.readTextFile(`${p.base}/adm/only-in-r2`), "2", "update took effect");
      c = await cli(["volume", "update", "adm", "-o", `path=${dir}/r1`, "--socket-addr", sock]);
      assertEquals(c.code, 1);
      match(c.err, /is mounted; stop the containers using it first/);
      c = await cli(["volume", "inspect", "nosuch", "--socket-addr", sock]);
      assertEquals(c.code, 1);
      match(c.err, /volume not found/);
      c = await cli(["volume", "update", "adm", "-o", "novalue", "--socket-addr", sock]);
      assertEquals(c.code, 2);
      match(c.err, /invalid option "novalue": use key=value/);
      r = await plugin.call("/VolumeDriver.Unmount", { Name: "adm", ID: "m" });
      assertEquals(r.status, 200, r.text);
    } finally {
      await plugin.stop();
      await detachAllUnder(dir);
      await Deno.remove(dir, { recursive: true });
    }
  },
});

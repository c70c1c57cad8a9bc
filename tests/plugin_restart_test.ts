/**
 * The real plugin process with real FUSE mounts: volumes with a path, a persisted remote and
 * a connection string survive `kill -9` (stale mounts are detached, saved mounts replayed),
 * a corrupt state file doesn't stop the plugin, and SIGTERM with three mounted volumes
 * unmounts them all, saves the state and exits.
 */
import { deepStrictEqual as assertEquals, match, ok } from "node:assert/strict";
import {
  detachAllUnder,
  fuseMountsUnder,
  pluginPaths,
  startPluginProcess,
} from "./plugin_process.ts";

async function until(what: string, fn: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

Deno.test({
  name: "plugin process: volumes survive kill -9 and SIGTERM unmounts three mounted volumes",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "dcr" });
    const p = pluginPaths(dir);
    const sock = `${dir}/plugin.sock`;
    const remote = `${dir}/remote`;
    for (const d of ["sub", "p", "c"]) await Deno.mkdir(`${remote}/${d}`, { recursive: true });
    await Deno.writeTextFile(`${remote}/sub/seen-by-withpath`, "sub");
    let plugin = await startPluginProcess(dir, sock);
    try {
      const vols: Record<string, Record<string, string>> = {
        withpath: { remote: `:local:${remote}`, path: `${remote}/sub` },
        pers: { type: "local", path: `${remote}/p`, persist: "true" },
        conn: { remote: `:local,case_sensitive=true:${remote}/c`, "vfs-cache-mode": "writes" },
      };
      for (const [name, opts] of Object.entries(vols)) {
        const r = await plugin.call("/VolumeDriver.Create", { Name: name, Opts: opts });
        assertEquals([r.status, r.text], [200, "{}\n"], `${name}: ${r.text}`);
        const m = await plugin.call("/VolumeDriver.Mount", { Name: name, ID: `id-${name}` });
        assertEquals(m.json, { Mountpoint: `${p.base}/${name}` });
      }
      assertEquals(await Deno.readTextFile(`${p.base}/withpath/seen-by-withpath`), "sub");
      await Deno.writeTextFile(`${p.base}/pers/a.txt`, "pers-data");
      await Deno.writeTextFile(`${p.base}/conn/b.txt`, "conn-data");
      assertEquals(await Deno.readTextFile(`${remote}/p/a.txt`), "pers-data");
      match(await Deno.readTextFile(p.conf), /\[pers\]\ntype = local/);

      // Crash: the FUSE mounts are left behind, dead.
      await plugin.stop("SIGKILL");
      assertEquals((await fuseMountsUnder(dir)).length, 3);

      plugin = await startPluginProcess(dir, sock);
      await until("all volumes restored and remounted", async () => {
        for (const name of Object.keys(vols)) {
          const r = await plugin.call("/VolumeDriver.Get", { Name: name });
          const s = (r.json as { Volume?: { Status: Record<string, unknown> } }).Volume?.Status;
          if (s?.State !== "ok" || s?.Mounted !== true) return false;
        }
        return true;
      });
      assertEquals(await Deno.readTextFile(`${p.base}/withpath/seen-by-withpath`), "sub");
      assertEquals(await Deno.readTextFile(`${p.base}/pers/a.txt`), "pers-data");
      const conn = await Deno.readTextFile(`${p.base}/conn/b.txt`).catch(() => "");
      assertEquals(conn, "conn-data");
      assertEquals((await fuseMountsUnder(dir)).length, 3, "stale mounts replaced, not stacked");
      const get = await plugin.call("/VolumeDriver.Get", { Name: "conn" });
      assertEquals(
        (get.json as { Volume: { Status: { Mounts: string[] } } }).Volume.Status.Mounts,
        [
          "id-conn",
        ],
      );

      // Clean exit with three mounted volumes.
      const t0 = Date.now();
      const st = await plugin.stop("SIGTERM", 60_000);
      ok(Date.now() - t0 < 30_000, "exit took too long");
      assertEquals(st.success, true, await plugin.log());
      assertEquals(await fuseMountsUnder(dir), []);
      const saved = JSON.parse(await Deno.readTextFile(p.state));
      assertEquals(saved.map((v: { mounts: string[] }) => v.mounts), [[], [], []]);
      assertEquals(
        saved.find((v: { name: string }) => v.name === "withpath").path,
        `${remote}/sub`,
      );
    } finally {
      await plugin.stop("SIGKILL").catch(() => {});
      await detachAllUnder(dir);
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "plugin process: a corrupt state file is moved aside, the plugin serves, SIGINT exits",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "dcc" });
    const p = pluginPaths(dir);
    await Deno.mkdir(p.cache, { recursive: true });
    await Deno.writeTextFile(p.state, "\x00garbage{");
    const plugin = await startPluginProcess(dir, `${dir}/plugin.sock`);
    try {
      const r = await plugin.call("/VolumeDriver.List");
      assertEquals(r.json, { Volumes: [] });
      const names = [];
      for await (const e of Deno.readDir(p.cache)) names.push(e.name);
      assertEquals(names.filter((n) => n.startsWith("docker-plugin.state.corrupt-")).length, 1);
      const created = await plugin.call("/VolumeDriver.Create", {
        Name: "fresh",
        Opts: { type: "memory" },
      });
      assertEquals(created.status, 200, created.text);
      assertEquals((await plugin.stop("SIGINT")).success, true);
      assertEquals(JSON.parse(await Deno.readTextFile(p.state))[0].name, "fresh");
    } finally {
      await plugin.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "plugin process: a busy mount is detached lazily after the deadline; SIGHUP keeps serving",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "dcb" });
    const p = pluginPaths(dir);
    await Deno.mkdir(`${dir}/remote`);
    const plugin = await startPluginProcess(dir, `${dir}/plugin.sock`, [
      "--unmount-deadline",
      "1s",
    ]);
    let holder: Deno.ChildProcess | undefined;
    try {
      let r = await plugin.call("/VolumeDriver.Create", {
        Name: "busy",
        Opts: { type: "local", path: `${dir}/remote` },
      });
      assertEquals(r.status, 200, r.text);
      r = await plugin.call("/VolumeDriver.Mount", { Name: "busy", ID: "b1" });
      assertEquals(r.status, 200, r.text);
      holder = new Deno.Command("sleep", { args: ["60"], cwd: `${p.base}/busy` }).spawn();
      const t0 = Date.now();
      r = await plugin.call("/VolumeDriver.Unmount", { Name: "busy", ID: "b1" });
      assertEquals([r.status, r.text], [200, "{}\n"]);
      ok(Date.now() - t0 < 8_000, `unmount took ${Date.now() - t0}ms`);
      assertEquals(await fuseMountsUnder(dir), [], "lazily detached");
      r = await plugin.call("/VolumeDriver.Mount", { Name: "busy", ID: "b2" });
      assertEquals(r.status, 200, r.text);
      assertEquals((await fuseMountsUnder(dir)).length, 1);

      Deno.kill(plugin.pid, "SIGHUP");
      await until("SIGHUP logged", async () => (await plugin.log()).includes("SIGHUP")).catch(
        async (e) => {
          throw new Error(`${e.message}: ${await plugin.log()}`);
        },
      );
      r = await plugin.call("/VolumeDriver.Unmount", { Name: "busy", ID: "b2" });
      assertEquals(r.status, 200, r.text);
    } finally {
      if (holder) {
        holder.kill("SIGKILL");
        await holder.status;
      }
      const st = await plugin.stop();
      assertEquals(st.success, true);
      await detachAllUnder(dir);
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "plugin process: an external umount drops the IDs and the next Mount mounts again",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "dcx" });
    const p = pluginPaths(dir);
    await Deno.mkdir(`${dir}/remote`);
    await Deno.writeTextFile(`${dir}/remote/f`, "x");
    const plugin = await startPluginProcess(dir, `${dir}/plugin.sock`);
    try {
      let r = await plugin.call("/VolumeDriver.Create", {
        Name: "ext",
        Opts: { type: "local", path: `${dir}/remote` },
      });
      assertEquals(r.status, 200, r.text);
      for (const id of ["a", "b"]) {
        r = await plugin.call("/VolumeDriver.Mount", { Name: "ext", ID: id });
        assertEquals(r.status, 200, r.text);
      }
      const out = await new Deno.Command("umount", { args: [`${p.base}/ext`] }).output();
      assertEquals(out.success, true);
      const mounts = async () => {
        const g = await plugin.call("/VolumeDriver.Get", { Name: "ext" });
        return (g.json as { Volume: { Status: { Mounts: string[]; Reachable: unknown } } }).Volume
          .Status;
      };
      await until("IDs dropped", async () => (await mounts()).Mounts.length === 0);
      await until("remote probed reachable", async () => (await mounts()).Reachable === true);
      r = await plugin.call("/VolumeDriver.Unmount", { Name: "ext", ID: "a" });
      assertEquals(r.json, { Err: "volume is not mounted" });
      r = await plugin.call("/VolumeDriver.Mount", { Name: "ext", ID: "c" });
      assertEquals(r.status, 200, r.text);
      assertEquals(await Deno.readTextFile(`${p.base}/ext/f`), "x");
      match(await plugin.log(), /unmounted externally/);
    } finally {
      await plugin.stop();
      await detachAllUnder(dir);
      await Deno.remove(dir, { recursive: true });
    }
  },
});

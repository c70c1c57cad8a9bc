/**
 * Secrets through the real plugin process: a crypt volume's obscured password reaches the
 * backend (files land encrypted) but not the mount table, the plugin's log, `inspect` or error
 * messages.
 */
import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { obscure } from "../lib/config/obscure.ts";
import { detachAllUnder, pluginPaths, startPluginProcess } from "./plugin_process.ts";

Deno.test({
  name: "plugin process: a crypt password never shows in mountinfo, logs, inspect or errors",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "dck" });
    const p = pluginPaths(dir);
    await Deno.mkdir(`${dir}/enc`);
    const plain = "correct-horse-battery";
    const pw = obscure(plain);
    const plugin = await startPluginProcess(dir, `${dir}/plugin.sock`);
    try {
      let r = await plugin.call("/VolumeDriver.Create", {
        Name: "sec",
        Opts: { type: "crypt", "crypt-remote": `${dir}/enc`, "crypt-password": pw },
      });
      assertEquals(r.status, 200, r.text);
      r = await plugin.call("/VolumeDriver.Create", {
        Name: "bad",
        Opts: { remote: `:crypt,password=${pw},bogus_key=1:`, "crypt-remote": `${dir}/enc` },
      });
      assertEquals(r.status, 500);
      ok(!r.text.includes(pw), r.text);
      r = await plugin.call("/VolumeDriver.Mount", { Name: "sec", ID: "1" });
      assertEquals(r.status, 200, r.text);
      const mountinfo = (await Deno.readTextFile("/proc/self/mountinfo")).split("\n")
        .filter((l) => l.includes(`${p.base}/sec `));
      assertEquals(mountinfo.length, 1);
      ok(!mountinfo[0]!.includes(pw), mountinfo[0]);
      await Deno.writeTextFile(`${p.base}/sec/plain-name.txt`, "hidden");
      r = await plugin.call("/VolumeDriver.Unmount", { Name: "sec", ID: "1" });
      assertEquals(r.status, 200, r.text);
      const stored = [...Deno.readDirSync(`${dir}/enc`)].map((e) => e.name);
      assertEquals(stored.length, 1);
      ok(stored[0] !== "plain-name.txt", "file name is encrypted on the remote");
      r = await plugin.call("/denoclone/Volume.Inspect", { Name: "sec" });
      ok(!r.text.includes(pw) && r.text.includes('"crypt-password":"***"'), r.text);
      const log = await plugin.log();
      ok(log.includes("sec"));
      ok(!log.includes(pw) && !log.includes(plain), "secret in the plugin log");
    } finally {
      await plugin.stop();
      await detachAllUnder(dir);
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "plugin process: backend flags of serve docker are defaults for new volumes",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "dcf" });
    const p = pluginPaths(dir);
    await Deno.mkdir(`${dir}/enc`);
    const pw = obscure("flag-given-password");
    const plugin = await startPluginProcess(dir, `${dir}/plugin.sock`, ["--crypt-password", pw]);
    try {
      let r = await plugin.call("/VolumeDriver.Create", {
        Name: "fromflag",
        Opts: { type: "crypt", "crypt-remote": `${dir}/enc` },
      });
      assertEquals(r.status, 200, r.text);
      r = await plugin.call("/VolumeDriver.Mount", { Name: "fromflag", ID: "1" });
      assertEquals(r.status, 200, r.text);
      await Deno.writeTextFile(`${p.base}/fromflag/f.txt`, "x");
      r = await plugin.call("/VolumeDriver.Unmount", { Name: "fromflag", ID: "1" });
      assertEquals(r.status, 200, r.text);
      const stored = [...Deno.readDirSync(`${dir}/enc`)].map((e) => e.name);
      assertEquals(stored.length, 1);
      ok(stored[0] !== "f.txt");
      ok(!(await plugin.log()).includes(pw), "flag secret in the log");
    } finally {
      await plugin.stop();
      await detachAllUnder(dir);
      await Deno.remove(dir, { recursive: true });
    }
  },
});

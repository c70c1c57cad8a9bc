/**
 * The plugin with a real sshd: Create builds the SFTP backend at once, so a wrong password or
 * a dead port fails `Create` (nothing is left behind); a good volume mounts, a write lands on
 * the server before the last Unmount answers, and the password appears in no log line, error
 * or admin output.
 */
import { deepStrictEqual as assertEquals, match, ok } from "node:assert/strict";
import { obscure } from "../lib/config/obscure.ts";
import { startSshd } from "./helpers/sshd.ts";
import {
  detachAllUnder,
  pluginPaths,
  type PluginProcess,
  startPluginProcess,
} from "./plugin_process.ts";

Deno.test({
  name: "plugin process with sshd: bad host or password fails Create; good volume writes through",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const sshd = await startSshd();
    const dir = await Deno.makeTempDir({ prefix: "dcs" });
    const p = pluginPaths(dir);
    let plugin: PluginProcess | undefined;
    try {
      plugin = await startPluginProcess(dir, `${dir}/plugin.sock`);
      const root = await sshd.newRoot();
      const base = {
        type: "sftp",
        path: root,
        "sftp-host": sshd.host,
        "sftp-port": String(sshd.port),
        "sftp-user": sshd.user,
        "sftp-known-hosts-file": sshd.knownHostsFile,
      };
      const wrong = obscure("not-the-password");
      let r = await plugin.call("/VolumeDriver.Create", {
        Name: "badpass",
        Opts: { ...base, "sftp-pass": wrong },
      });
      assertEquals(r.status, 500, r.text);
      ok(!r.text.includes("not-the-password") && !r.text.includes(wrong), r.text);
      r = await plugin.call("/VolumeDriver.Create", {
        Name: "badport",
        Opts: { ...base, "sftp-port": "1", "sftp-pass": obscure(sshd.password) },
      });
      assertEquals(r.status, 500, r.text);
      r = await plugin.call("/VolumeDriver.List");
      assertEquals(r.json, { Volumes: [] });
      const left: string[] = [];
      try {
        for await (const e of Deno.readDir(p.base)) left.push(e.name);
      } catch { /* base dir never created */ }
      assertEquals(left, [], "no mountpoint left behind");

      const good = obscure(sshd.password);
      r = await plugin.call("/VolumeDriver.Create", {
        Name: "good",
        Opts: { ...base, "sftp-pass": good, "vfs-cache-mode": "writes" },
      });
      assertEquals([r.status, r.text], [200, "{}\n"]);
      r = await plugin.call("/VolumeDriver.Mount", { Name: "good", ID: "c1" });
      assertEquals(r.status, 200, r.text);
      await Deno.writeTextFile(`${p.base}/good/hello.txt`, "over sftp");
      const mountinfo = await Deno.readTextFile("/proc/self/mountinfo");
      match(mountinfo, new RegExp(`${p.base}/good `));
      ok(!mountinfo.includes(good), "the mount table shows no password");
      r = await plugin.call("/VolumeDriver.Unmount", { Name: "good", ID: "c1" });
      assertEquals(r.status, 200, r.text);
      assertEquals(await Deno.readTextFile(`${root}/hello.txt`), "over sftp");
      r = await plugin.call("/denoclone/Volume.Inspect", { Name: "good" });
      assertEquals(
        (r.json as { Volume: { options: Record<string, string> } }).Volume.options["sftp-pass"],
        "***",
      );
      const log = await plugin.log();
      match(log, /good/);
      for (const secret of [good, wrong, sshd.password]) {
        ok(!log.includes(secret), `secret in plugin log`);
        ok(!r.text.includes(secret), `secret in inspect`);
      }
    } finally {
      await plugin?.stop();
      await detachAllUnder(dir);
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      await sshd.close();
    }
  },
});

import { deepStrictEqual as assertEquals, match, ok } from "node:assert/strict";
import { testEnv } from "./_test_env.ts";
import { gate } from "./_recording_mounter.ts";
import { RcloneConf } from "../config/rclone_conf.ts";
import { encryptConfig } from "../config/config_encryption.ts";

Deno.test("Driver: path, connection strings and persist survive a restart (rclone loses path)", async () => {
  const t = await testEnv();
  try {
    const data = `${t.dir}/data`;
    await Deno.mkdir(`${data}/sub`, { recursive: true });
    await t.call("/VolumeDriver.Create", {
      Name: "withpath",
      Opts: { remote: `:local,case_sensitive=true:${data}`, path: `${data}/sub` },
    });
    await t.call("/VolumeDriver.Create", {
      Name: "pers",
      Opts: { type: "local", path: data, persist: "true", "local-no-check-updated": "true" },
    });
    const remotes = new Map(
      t.mounter.calls.filter(([o]) => o === "open").map(([, n, r]) => [n, r]),
    );
    assertEquals(remotes.get("withpath"), `:local,case_sensitive='true':${data}/sub`);
    assertEquals(remotes.get("pers"), `pers:${data}`);
    const conf = await RcloneConf.load(t.confPath);
    assertEquals(conf.getSection("pers"), { type: "local", no_check_updated: "true" });

    const saved = JSON.parse(await Deno.readTextFile(t.statePath));
    assertEquals(saved.find((v: { name: string }) => v.name === "withpath").path, `${data}/sub`);

    const t2 = t.restart();
    await t2.driver.restore();
    const remotes2 = new Map(
      t2.mounter.calls.filter(([o]) => o === "open").map(([, n, r]) => [n, r]),
    );
    assertEquals(remotes2, remotes);
    assertEquals(
      (await t2.call("/VolumeDriver.Get", { Name: "pers" })).json.Volume.Status.State,
      "ok",
    );
    await t2.driver.shutdown(1000);

    // Removing the persisted volume drops the remote it wrote.
    assertEquals((await t.call("/VolumeDriver.Remove", { Name: "pers" })).status, 200);
    assertEquals((await RcloneConf.load(t.confPath)).getSection("pers"), undefined);
  } finally {
    await t.cleanup();
  }
});

Deno.test("Driver: persist refuses to overwrite a different remote of the same name", async () => {
  const t = await testEnv();
  try {
    await Deno.writeTextFile(t.confPath, "[taken]\ntype = memory\n");
    const r = await t.call("/VolumeDriver.Create", {
      Name: "taken",
      Opts: { type: "local", path: "/tmp", persist: "true" },
    });
    assertEquals(r.status, 500);
    match(r.json.Err, /rclone.conf already has a different remote/);
    assertEquals((await RcloneConf.load(t.confPath)).getSection("taken"), { type: "memory" });
  } finally {
    await t.cleanup();
  }
});

Deno.test("Driver: a volume whose restore fails stays, is marked unhealthy and is retried", async () => {
  const t = await testEnv();
  try {
    await t.call("/VolumeDriver.Create", { Name: "flaky", Opts: { type: "memory" } });
    await t.call("/VolumeDriver.Create", { Name: "fine", Opts: { type: "memory" } });
    await t.call("/VolumeDriver.Mount", { Name: "flaky", ID: "m1" });
    const t2 = t.restart({ restoreRetryMs: 100 });
    t2.mounter.failOpen.set("flaky", "connection refused");
    await t2.driver.restore();
    let r = await t2.call("/VolumeDriver.Get", { Name: "flaky" });
    assertEquals(r.json.Volume.Status.State, "unhealthy");
    match(r.json.Volume.Status.LastError, /connection refused/);
    assertEquals(r.json.Volume.Status.Mounts, ["m1"]);
    r = await t2.call("/VolumeDriver.Mount", { Name: "flaky", ID: "m2" });
    assertEquals(r.status, 500);
    match(r.json.Err, /volume filesystem is not ready: connection refused/);
    // Still in the state file after a save triggered by another volume.
    await t2.call("/VolumeDriver.Mount", { Name: "fine", ID: "f" });
    const saved = JSON.parse(await Deno.readTextFile(t.statePath));
    assertEquals(saved.map((v: { name: string }) => v.name), ["fine", "flaky"]);
    // The remote comes back: the retry heals it and replays its mount.
    t2.mounter.failOpen.delete("flaky");
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline) {
      r = await t2.call("/VolumeDriver.Get", { Name: "flaky" });
      if (r.json.Volume.Status.State === "ok" && r.json.Volume.Status.Mounted) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    assertEquals(r.json.Volume.Status.State, "ok");
    assertEquals(r.json.Volume.Status.Mounted, true);
    ok(t2.mounter.count("open", "flaky") >= 2);
  } finally {
    await t.cleanup();
  }
});

Deno.test("Driver: a corrupt state file is moved aside and the driver starts empty", async () => {
  const t = await testEnv();
  try {
    await Deno.mkdir(`${t.dir}/cache`, { recursive: true });
    await Deno.writeTextFile(t.statePath, "{not json");
    await t.driver.restore();
    assertEquals((await t.call("/VolumeDriver.List")).json.Volumes, []);
    await t.call("/VolumeDriver.Create", { Name: "n", Opts: { type: "memory" } });
    const names = [];
    for await (const e of Deno.readDir(`${t.dir}/cache`)) names.push(e.name);
    assertEquals(names.filter((n) => n.includes(".corrupt-")).length, 1);
    assertEquals(JSON.parse(await Deno.readTextFile(t.statePath))[0].name, "n");
  } finally {
    await t.cleanup();
  }
});

Deno.test("Driver: admin update changes an unmounted volume and is refused while mounted", async () => {
  const t = await testEnv();
  try {
    await t.call("/VolumeDriver.Create", { Name: "u", Opts: { type: "memory", path: "a" } });
    let r = await t.call("/denoclone/Volume.Update", {
      Name: "u",
      Opts: { path: "b", "vfs-cache-mode": "writes" },
    });
    assertEquals(r.status, 200);
    r = await t.call("/denoclone/Volume.Inspect", { Name: "u" });
    assertEquals(r.json.Volume.path, "b");
    assertEquals(r.json.Volume.options, { "vfs-cache-mode": "writes" });
    assertEquals(
      t.mounter.calls.filter(([o, n]) => o === "open" && n === "u").map(([, , x]) => x),
      [
        ":memory:a",
        ":memory:b",
      ],
    );
    r = await t.call("/denoclone/Volume.Update", {
      Name: "u",
      Opts: { "vfs-cache-mode": "bogus" },
    });
    assertEquals(r.status, 500);
    match(r.json.Err, /cannot parse vfs options/);
    r = await t.call("/denoclone/Volume.Inspect", { Name: "u" });
    assertEquals(
      r.json.Volume.options,
      { "vfs-cache-mode": "writes" },
      "failed update keeps old options",
    );
    await t.call("/VolumeDriver.Mount", { Name: "u", ID: "x" });
    r = await t.call("/denoclone/Volume.Update", { Name: "u", Opts: { path: "c" } });
    match(r.json.Err, /is mounted/);
    r = await t.call("/denoclone/Volume.List", {});
    assertEquals(r.json.Volumes.map((v: { name: string }) => v.name), ["u"]);
    const saved = JSON.parse(await Deno.readTextFile(t.statePath));
    assertEquals(saved[0].path, "b");
    assertEquals(saved[0].options, { "vfs-cache-mode": "writes" });
    assertEquals(saved[0].mounts, ["x"]);
  } finally {
    await t.cleanup();
  }
});

Deno.test("Driver: updating a persisted volume rewrites its rclone.conf section", async () => {
  const t = await testEnv();
  try {
    let r = await t.call("/VolumeDriver.Create", {
      Name: "pv",
      Opts: { type: "local", path: "/tmp", persist: "true" },
    });
    assertEquals(r.status, 200, r.body);
    r = await t.call("/denoclone/Volume.Update", {
      Name: "pv",
      Opts: { "local-no-check-updated": "true" },
    });
    assertEquals(r.status, 200, r.body);
    assertEquals((await RcloneConf.load(t.confPath)).getSection("pv"), {
      type: "local",
      no_check_updated: "true",
    });
    r = await t.call("/denoclone/Volume.Inspect", { Name: "pv" });
    assertEquals(r.json.Volume.remote, "pv:/tmp");
  } finally {
    await t.cleanup();
  }
});

Deno.test("Driver: shutdown is not held up by a restore stuck on a dead remote", async () => {
  const t = await testEnv();
  const { gate } = await import("./_recording_mounter.ts");
  const g = gate();
  try {
    await t.call("/VolumeDriver.Create", { Name: "stuck", Opts: { type: "memory" } });
    await t.call("/VolumeDriver.Create", { Name: "ok", Opts: { type: "memory" } });
    await t.call("/VolumeDriver.Mount", { Name: "ok", ID: "o" });
    await t.call("/VolumeDriver.Mount", { Name: "stuck", ID: "s" });
    const t2 = t.restart();
    t2.mounter.openGates.set("stuck", g);
    await t2.driver.loadState();
    const restoring = t2.driver.rebuild();
    let r = await t2.call("/VolumeDriver.List");
    assertEquals(r.json.Volumes.length, 2, "listed while restoring");
    await new Promise((res) => setTimeout(res, 50));
    r = await t2.call("/VolumeDriver.Get", { Name: "ok" });
    assertEquals(r.json.Volume.Status.Mounted, true, "the healthy volume restored meanwhile");
    const t0 = Date.now();
    await t2.driver.shutdown(300);
    ok(Date.now() - t0 < 2000, `shutdown took ${Date.now() - t0}ms`);
    assertEquals(t2.mounter.count("unmount", "ok"), 1);
    g.open();
    await restoring;
    assertEquals(t2.mounter.count("mount", "stuck"), 0, "nothing mounted after shutdown");
  } finally {
    g.open();
    await t.cleanup();
  }
});

Deno.test("Driver.forgetDirCaches() (SIGHUP) reaches every volume's VFS", async () => {
  const t = await testEnv();
  try {
    for (const n of ["h1", "h2"]) {
      await t.call("/VolumeDriver.Create", { Name: n, Opts: { type: "memory" } });
    }
    t.driver.forgetDirCaches();
    assertEquals(t.mounter.count("forget", "h1"), 1);
    assertEquals(t.mounter.count("forget", "h2"), 1);
  } finally {
    await t.cleanup();
  }
});

Deno.test("Driver: Remove answers before the warm VFS is closed; re-Create and shutdown wait for the close", async () => {
  const t = await testEnv();
  try {
    await t.call("/VolumeDriver.Create", { Name: "w", Opts: { type: "memory" } });
    await t.call("/VolumeDriver.Mount", { Name: "w", ID: "1" });
    await t.call("/VolumeDriver.Unmount", { Name: "w", ID: "1" });
    const g = gate();
    t.mounter.closeGates.set("w", g);
    assertEquals((await t.call("/VolumeDriver.Remove", { Name: "w" })).status, 200);
    assertEquals(t.mounter.count("close", "w"), 1);
    assertEquals(t.mounter.count("closed", "w"), 0);
    const saved = JSON.parse(await Deno.readTextFile(t.statePath));
    assertEquals(saved, []);
    assertEquals((await t.call("/VolumeDriver.Get", { Name: "w" })).status, 500);

    // A re-Create of the same name waits for the old VFS to close before opening a new one.
    const again = t.call("/VolumeDriver.Create", { Name: "w", Opts: { type: "memory" } });
    await new Promise((r) => setTimeout(r, 50));
    assertEquals(t.mounter.count("open", "w"), 1);
    g.open();
    assertEquals((await again).status, 200);
    assertEquals(t.mounter.count("closed", "w"), 1);
    assertEquals(t.mounter.count("open", "w"), 2);
    const openIdx = t.mounter.calls.findLastIndex(([o, n]) => o === "open" && n === "w");
    const closedIdx = t.mounter.calls.findIndex(([o, n]) => o === "closed" && n === "w");
    ok(closedIdx < openIdx, "the old VFS closed before the new one opened");

    // Shutdown waits for a close still running after a Remove.
    const g2 = gate();
    t.mounter.closeGates.set("w", g2);
    assertEquals((await t.call("/VolumeDriver.Remove", { Name: "w" })).status, 200);
    let down = false;
    const shut = t.driver.shutdown(5000).then(() => down = true);
    await new Promise((r) => setTimeout(r, 50));
    assertEquals(down, false);
    g2.open();
    await shut;
    assertEquals(t.mounter.count("closed", "w"), 2);
  } finally {
    await t.cleanup();
  }
});

Deno.test("Driver: named remotes resolve from a plain and from an encrypted rclone.conf", async () => {
  const t = await testEnv({ env: { RCLONE_CONFIG_PASS: "pw" } });
  try {
    const data = `${t.dir}/data`;
    await Deno.mkdir(data, { recursive: true });
    await Deno.writeTextFile(t.confPath, "[plain]\ntype = local\n");
    let r = await t.call("/VolumeDriver.Create", { Name: "a", Opts: { remote: `plain:${data}` } });
    assertEquals(r.status, 200);
    await Deno.writeTextFile(t.confPath, encryptConfig("[enc]\ntype = local\n", "pw"));
    r = await t.call("/VolumeDriver.Create", { Name: "b", Opts: { remote: `enc:${data}` } });
    assertEquals(r.status, 200, r.body);
    // The encrypted file hides "plain": the driver really read the new file.
    r = await t.call("/VolumeDriver.Create", { Name: "c", Opts: { remote: `plain:${data}` } });
    assertEquals(r.status, 500);
    const remotes = t.mounter.calls.filter(([o]) => o === "open").map(([, n, rm]) => [n, rm]);
    assertEquals(remotes, [["a", `plain:${data}`], ["b", `enc:${data}`]]);
  } finally {
    await t.cleanup();
  }
});

Deno.test("Driver: Gets queue reachability probes that run together and report per volume", async () => {
  const t = await testEnv();
  try {
    const status = async (name: string) =>
      (await t.call("/VolumeDriver.Get", { Name: name })).json.Volume.Status;
    for (const name of ["up1", "up2", "down"]) {
      await Deno.mkdir(`${t.dir}/data/${name}`, { recursive: true });
      await t.call("/VolumeDriver.Create", {
        Name: name,
        Opts: { remote: `${t.dir}/data/${name}` },
      });
    }
    t.mounter.failProbe.set("down", "connection refused");
    // The first Get answers before its probe ran.
    for (const name of ["up1", "up2", "down"]) {
      assertEquals((await status(name)).Reachable, "unknown");
    }
    for (let i = 0; i < 200 && (await status("down")).Reachable === "unknown"; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assertEquals((await status("up1")).Reachable, true);
    assertEquals((await status("up2")).Reachable, true);
    const down = await status("down");
    assertEquals(down.Reachable, false);
    match(down.LastError, /remote unreachable: connection refused/);
  } finally {
    await t.cleanup();
  }
});

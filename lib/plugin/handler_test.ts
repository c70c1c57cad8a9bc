import { deepStrictEqual as assertEquals, match, ok } from "node:assert/strict";
import { testEnv } from "./_test_env.ts";
import { PLUGIN_CONTENT_TYPE } from "./api.ts";
import { pathExists } from "../../tests/helpers/path_exists.ts";

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/;

Deno.test("handler: rclone's TestDockerPluginLogic sequence (parity §8.1)", async () => {
  const t = await testEnv();
  try {
    const data = `${t.dir}/data`;
    await Deno.mkdir(data);
    let r = await t.call("/VolumeDriver.Create", { Name: "vol1", Opts: {} });
    assertEquals(r.status, 500);
    match(r.json.Err, /volume must have either remote or backend/);

    r = await t.call("/VolumeDriver.Create", { Name: "vol1", Opts: { remote: data } });
    assertEquals([r.status, r.body], [200, "{}\n"]);
    r = await t.call("/VolumeDriver.Create", { Name: "vol1", Opts: { remote: data } });
    assertEquals([r.status, r.body], [200, "{}\n"]);
    r = await t.call("/VolumeDriver.Path", { Name: "vol1" });
    assertEquals(r.json, { Mountpoint: `${t.base}/vol1` });

    r = await t.call("/VolumeDriver.Get", { Name: "vol1" });
    assertEquals(r.status, 200);
    assertEquals(r.json.Volume.Name, "vol1");
    assertEquals(r.json.Volume.Mountpoint, `${t.base}/vol1`);
    match(r.json.Volume.CreatedAt, RFC3339);
    ok(!isNaN(Date.parse(r.json.Volume.CreatedAt)));

    r = await t.call("/VolumeDriver.Create", { Name: "vol2", Opts: { remote: data } });
    assertEquals(r.status, 200);
    r = await t.call("/VolumeDriver.List", {});
    assertEquals(r.json.Volumes.map((v: { Name: string }) => v.Name), ["vol1", "vol2"]);
    assertEquals(r.json.Volumes[1].Mountpoint, `${t.base}/vol2`);
    assertEquals(r.json.Volumes[1].Status, { Mounts: [] });

    r = await t.call("/VolumeDriver.Create", {
      Name: "vol99",
      Opts: { remote: data, type: "memory" },
    });
    match(r.json.Err, /volume must have either remote or backend/);
    r = await t.call("/VolumeDriver.Create", {
      Name: "vol99",
      Opts: { type: "memory", persist: "WrongBoolean" },
    });
    match(r.json.Err, /cannot parse option/);
    r = await t.call("/VolumeDriver.Create", {
      Name: "vol99",
      Opts: { type: "memory", persist: "false", "memory-option-broken": "some-value" },
    });
    match(r.json.Err, /unsupported backend option/);
    match(r.json.Err, /memory-option-broken/);
    r = await t.call("/VolumeDriver.Get", { Name: "vol99" });
    assertEquals(r.status, 500);
    assertEquals(r.json, { Err: "volume not found" });
    assertEquals(await pathExists(`${t.base}/vol99`), false);

    r = await t.call("/VolumeDriver.Mount", { Name: "vol2", ID: "id1" });
    assertEquals(r.json, { Mountpoint: `${t.base}/vol2` });
    r = await t.call("/VolumeDriver.Mount", { Name: "vol2", ID: "id1" });
    assertEquals(r.status, 500);
    match(r.json.Err, /already mounted by this id/);
    r = await t.call("/VolumeDriver.Mount", { Name: "vol2", ID: "id2" });
    assertEquals(r.status, 200);
    assertEquals(t.mounter.count("mount", "vol2"), 1);

    r = await t.call("/VolumeDriver.Unmount", { Name: "vol2", ID: "id1" });
    assertEquals([r.status, r.body], [200, "{}\n"]);
    assertEquals(t.mounter.count("unmount", "vol2"), 0);
    r = await t.call("/VolumeDriver.Unmount", { Name: "vol2", ID: "id1" });
    match(r.json.Err, /not mounted by this id/);

    const t2 = t.restart();
    await t2.driver.restore();
    r = await t2.call("/VolumeDriver.List", {});
    assertEquals(r.json.Volumes.map((v: { Name: string }) => v.Name), ["vol1", "vol2"]);
    await t2.driver.shutdown(1000);

    r = await t.call("/VolumeDriver.Remove", { Name: "vol2" });
    assertEquals(r.json, { Err: "volume is in use" });
    r = await t.call("/VolumeDriver.Unmount", { Name: "vol2", ID: "id1" });
    match(r.json.Err, /not mounted by this id/);
    r = await t.call("/VolumeDriver.Unmount", { Name: "vol2", ID: "id2" });
    assertEquals(r.status, 200);
    r = await t.call("/VolumeDriver.Unmount", { Name: "vol2", ID: "id2" });
    assertEquals(r.json, { Err: "volume is not mounted" });
    r = await t.call("/VolumeDriver.Remove", { Name: "vol2" });
    assertEquals(r.status, 200);
    r = await t.call("/VolumeDriver.Remove", { Name: "vol2" });
    assertEquals(r.json, { Err: "volume not found" });
    assertEquals(await pathExists(`${t.base}/vol2`), false, "Remove leaves no directory");
  } finally {
    await t.cleanup();
  }
});

Deno.test("handler: saved mount IDs are replayed after a crash (parity §8.3)", async () => {
  const t = await testEnv();
  try {
    for (const n of ["vol1", "vol2"]) {
      assertEquals(
        (await t.call("/VolumeDriver.Create", { Name: n, Opts: { type: "memory" } })).status,
        200,
      );
    }
    await t.call("/VolumeDriver.Mount", { Name: "vol2", ID: "id1" });
    await t.call("/VolumeDriver.Mount", { Name: "vol2", ID: "id2" });
    const t2 = t.restart(); // no shutdown of the first driver: a crash
    await t2.driver.restore();
    const r = await t2.call("/VolumeDriver.Get", { Name: "vol2" });
    assertEquals(r.json.Volume.Status.Mounts, ["id1", "id2"]);
    assertEquals(r.json.Volume.Status.Mounted, true);
    assertEquals(t2.mounter.count("mount", "vol2"), 1);
    assertEquals(t2.mounter.count("mount", "vol1"), 0);
    // Docker later unmounts both IDs: the second one unmounts for real.
    await t2.call("/VolumeDriver.Unmount", { Name: "vol2", ID: "id1" });
    await t2.call("/VolumeDriver.Unmount", { Name: "vol2", ID: "id2" });
    assertEquals(t2.mounter.count("unmount", "vol2"), 1);
  } finally {
    await t.cleanup();
  }
});

Deno.test("handler: wire format of success, errors, bad JSON, methods and unknown paths", async () => {
  const t = await testEnv();
  try {
    let r = await t.call("/Plugin.Activate", "");
    assertEquals([r.status, r.body], [200, '{"Implements":["VolumeDriver"]}\n']);
    assertEquals(r.headers["Content-Type"], PLUGIN_CONTENT_TYPE);
    r = await t.call("/VolumeDriver.Capabilities", "garbage");
    assertEquals(r.body, '{"Capabilities":{"Scope":"local"}}\n');
    r = await t.call("/VolumeDriver.List", "");
    assertEquals(r.body, '{"Volumes":[]}\n');

    r = await t.call("/VolumeDriver.Create", "");
    assertEquals([r.status, r.body], [400, "EOF\n"]);
    assertEquals(r.headers["Content-Type"], "text/plain; charset=utf-8");
    r = await t.call("/VolumeDriver.Create", "garbage");
    assertEquals(r.body, "invalid character 'g' looking for beginning of value\n");
    r = await t.call("/VolumeDriver.Create", '{"Name":"x","Opts":{"a":1}}');
    assertEquals([r.status, r.body], [
      400,
      "json: cannot unmarshal number into Go struct field CreateRequest.Opts of type string\n",
    ]);
    r = await t.call("/VolumeDriver.Get", '{"Name":7}');
    assertEquals(r.status, 400);
    match(r.body, /GetRequest\.Name of type string/);

    // Keys match case-insensitively, trailing bytes after the first value are ignored.
    r = await t.call("/VolumeDriver.Create", '{"name":"ci","opts":{"type":"memory"}} trailing');
    assertEquals([r.status, r.body], [200, "{}\n"]);
    r = await t.call("/VolumeDriver.Get", '{"NAME":"ci"}');
    assertEquals(r.json.Volume.Name, "ci");
    r = await t.call("/VolumeDriver.Get", "null");
    assertEquals(r.json, { Err: "volume not found" });

    r = await t.call("/VolumeDriver.Get", { Name: "ci" }, "GET");
    assertEquals([r.status, r.body], [405, ""]);
    r = await t.call("/VolumeDriver.Update", { Name: "ci" });
    assertEquals([r.status, r.body], [404, "404 page not found\n"]);
    r = await t.call("/nope", {});
    assertEquals(r.status, 404);
    r = await t.call("/VolumeDriver.Create", { Name: "", Opts: { type: "memory" } });
    assertEquals(r.json, { Err: "volume name is required" });
  } finally {
    await t.cleanup();
  }
});

Deno.test("handler: names with /, .. or NUL are refused and nothing escapes the base dir", async () => {
  const t = await testEnv();
  try {
    for (const name of ["../escape", "a/b", "..", ".", "x\0y"]) {
      const r = await t.call("/VolumeDriver.Create", { Name: name, Opts: { type: "memory" } });
      assertEquals(r.status, 500, name);
      match(r.json.Err, /invalid volume name/);
    }
    assertEquals(await pathExists(`${t.dir}/escape`), false);
    assertEquals(await pathExists(`${t.base}/a`), false);
    assertEquals(t.mounter.calls, []);
  } finally {
    await t.cleanup();
  }
});

Deno.test("handler: Create of an existing name with other options says to remove it first", async () => {
  const t = await testEnv();
  try {
    await t.call("/VolumeDriver.Create", { Name: "v", Opts: { type: "memory", path: "a" } });
    let r = await t.call("/VolumeDriver.Create", {
      Name: "v",
      Opts: { type: "memory", path: "a" },
    });
    assertEquals(r.status, 200);
    r = await t.call("/VolumeDriver.Create", { Name: "v", Opts: { type: "memory", path: "b" } });
    assertEquals(r.status, 500);
    match(r.json.Err, /already exists with different options; remove it first/);
    assertEquals(t.mounter.count("open", "v"), 1);
  } finally {
    await t.cleanup();
  }
});

Deno.test("handler: a backend that fails to build fails Create and leaves nothing behind", async () => {
  const t = await testEnv();
  try {
    t.mounter.failOpen.set("bad", "dial tcp 127.0.0.1:1: connection refused");
    const r = await t.call("/VolumeDriver.Create", { Name: "bad", Opts: { type: "memory" } });
    assertEquals(r.status, 500);
    match(r.json.Err, /connection refused/);
    assertEquals(await pathExists(`${t.base}/bad`), false);
    assertEquals((await t.call("/VolumeDriver.List")).json.Volumes, []);
  } finally {
    await t.cleanup();
  }
});

Deno.test("handler: unsupported mount types get a clear error", async () => {
  const t = await testEnv();
  try {
    let r = await t.call("/VolumeDriver.Create", {
      Name: "m",
      Opts: { type: "memory", "mount-type": "cmount" },
    });
    match(
      r.json.Err,
      /unsupported mount type "cmount": denoclone implements only mount-type=mount/,
    );
    r = await t.call("/VolumeDriver.Create", {
      Name: "m",
      Opts: { type: "memory", mount_type: "potato" },
    });
    match(r.json.Err, /unsupported mount type "potato"/);
    r = await t.call("/VolumeDriver.Create", {
      Name: "m",
      Opts: { type: "memory", "mount-type": "mount" },
    });
    assertEquals(r.status, 200);
  } finally {
    await t.cleanup();
  }
});

Deno.test("handler: Unmount of the last ID flushes before unmounting and answering", async () => {
  const t = await testEnv();
  try {
    await t.call("/VolumeDriver.Create", { Name: "w", Opts: { type: "memory" } });
    await t.call("/VolumeDriver.Mount", { Name: "w", ID: "a" });
    await t.call("/VolumeDriver.Mount", { Name: "w", ID: "b" });
    const rt = t.mounter.runtimes.get("w")!;
    rt.dirtyBytes = 1234;
    let r = await t.call("/VolumeDriver.Get", { Name: "w" });
    assertEquals(r.json.Volume.Status.DirtyBytes, 1234);
    await t.call("/VolumeDriver.Unmount", { Name: "w", ID: "a" });
    assertEquals(t.mounter.count("flush", "w"), 0, "not the last ID: no flush");
    r = await t.call("/VolumeDriver.Unmount", { Name: "w", ID: "b" });
    assertEquals(r.status, 200);
    const ops = t.mounter.calls.filter(([, n]) => n === "w").map(([o]) => o);
    assertEquals(ops, ["open", "mount", "flush", "flushed", "unmount"]);
    assertEquals(rt.dirtyBytes, 0);
    r = await t.call("/VolumeDriver.Get", { Name: "w" });
    assertEquals(r.json.Volume.Status.DirtyBytes, 0);
    assertEquals(r.json.Volume.Status.Mounted, false);

    t.mounter.failFlush.set("w", "remote went away");
    await t.call("/VolumeDriver.Mount", { Name: "w", ID: "c" });
    r = await t.call("/VolumeDriver.Unmount", { Name: "w", ID: "c" });
    assertEquals(r.status, 500);
    match(r.json.Err, /failed to upload pending writes: remote went away/);
    r = await t.call("/VolumeDriver.Get", { Name: "w" });
    assertEquals(r.json.Volume.Status.Mounts, []);
    match(r.json.Volume.Status.LastError, /remote went away/);
  } finally {
    await t.cleanup();
  }
});

Deno.test("handler: the VFS stays warm for the grace period between docker's two mount cycles", async () => {
  const t = await testEnv({ idleGraceMs: 1000 });
  try {
    await t.call("/VolumeDriver.Create", { Name: "g", Opts: { type: "memory" } });
    for (const id of ["x1", "x2"]) {
      await t.call("/VolumeDriver.Mount", { Name: "g", ID: id });
      await t.call("/VolumeDriver.Unmount", { Name: "g", ID: id });
    }
    assertEquals(t.mounter.count("open", "g"), 1);
    assertEquals(t.mounter.count("idle", "g"), 0);
    assertEquals(t.mounter.count("flush", "g"), 2, "every last unmount flushes");
    const deadline = Date.now() + 5000;
    while (t.mounter.count("idle", "g") === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assertEquals(t.mounter.count("idle", "g"), 1, "idle after the grace period");
  } finally {
    await t.cleanup();
  }
});

Deno.test("handler: a hung remote on one volume does not delay API calls for others", async () => {
  const t = await testEnv();
  const { gate } = await import("./_recording_mounter.ts");
  const g = gate();
  try {
    await t.call("/VolumeDriver.Create", { Name: "slow", Opts: { type: "memory" } });
    t.mounter.mountGates.set("slow", g);
    const hung = t.call("/VolumeDriver.Mount", { Name: "slow", ID: "s" });
    const started = Date.now();
    let r = await t.call("/VolumeDriver.Create", { Name: "fast", Opts: { type: "memory" } });
    assertEquals(r.status, 200);
    r = await t.call("/VolumeDriver.Mount", { Name: "fast", ID: "f" });
    assertEquals(r.status, 200);
    r = await t.call("/VolumeDriver.Unmount", { Name: "fast", ID: "f" });
    assertEquals(r.status, 200);
    r = await t.call("/VolumeDriver.List");
    assertEquals(r.json.Volumes.length, 2);
    r = await t.call("/VolumeDriver.Get", { Name: "slow" });
    assertEquals(r.status, 200);
    ok(Date.now() - started < 3000, `other volumes waited ${Date.now() - started}ms`);
    g.open();
    assertEquals((await hung).json, { Mountpoint: `${t.base}/slow` });
  } finally {
    g.open();
    await t.cleanup();
  }
});

Deno.test("handler: an external unmount drops every ID and a new Mount mounts again", async () => {
  const t = await testEnv();
  try {
    await t.call("/VolumeDriver.Create", { Name: "e", Opts: { type: "memory" } });
    await t.call("/VolumeDriver.Mount", { Name: "e", ID: "1" });
    await t.call("/VolumeDriver.Mount", { Name: "e", ID: "2" });
    t.mounter.runtimes.get("e")!.loseMount();
    await new Promise((r) => setTimeout(r, 20));
    let r = await t.call("/VolumeDriver.Get", { Name: "e" });
    assertEquals(r.json.Volume.Status.Mounts, []);
    r = await t.call("/VolumeDriver.Unmount", { Name: "e", ID: "1" });
    assertEquals(r.json, { Err: "volume is not mounted" });
    r = await t.call("/VolumeDriver.Mount", { Name: "e", ID: "3" });
    assertEquals(r.status, 200);
    assertEquals(t.mounter.count("mount", "e"), 2);
  } finally {
    await t.cleanup();
  }
});

Deno.test("handler: shutdown flushes and unmounts all three mounted volumes and clears IDs", async () => {
  const t = await testEnv();
  try {
    for (const n of ["a", "b", "c"]) {
      await t.call("/VolumeDriver.Create", { Name: n, Opts: { type: "memory" } });
      await t.call("/VolumeDriver.Mount", { Name: n, ID: `id-${n}` });
    }
    await t.driver.shutdown(2000);
    for (const n of ["a", "b", "c"]) {
      assertEquals(t.mounter.count("flush", n), 1, n);
      assertEquals(t.mounter.count("unmount", n), 1, n);
      assertEquals(t.mounter.count("close", n), 1, n);
    }
    const saved = JSON.parse(await Deno.readTextFile(t.statePath));
    assertEquals(saved.map((v: { mounts: string[] }) => v.mounts), [[], [], []]);
  } finally {
    await t.cleanup();
  }
});

Deno.test("handler: secrets never reach logs, errors or inspect output", async () => {
  const { setLogLevel, setLogSink, logLevelName } = await import("../util/log.ts");
  const lines: string[] = [];
  const prevLevel = logLevelName();
  const prevSink = setLogSink((l) => lines.push(l));
  setLogLevel("DEBUG");
  const t = await testEnv();
  const secret = "Sup3rSecretObscuredValue";
  try {
    let r = await t.call("/VolumeDriver.Create", {
      Name: "c",
      Opts: { type: "crypt", "crypt-remote": `${t.dir}/enc`, "crypt-password": secret },
    });
    assertEquals(r.status, 200);
    t.mounter.failMount.set("c", `cannot mount with password ${secret}`);
    r = await t.call("/VolumeDriver.Mount", { Name: "c", ID: "1" });
    assertEquals(r.status, 500);
    ok(!r.body.includes(secret), r.body);
    r = await t.call("/denoclone/Volume.Inspect", { Name: "c" });
    assertEquals(r.json.Volume.options["crypt-password"], "***");
    ok(!r.body.includes(secret));
    const open = t.mounter.calls.find(([o]) => o === "open")!;
    ok(open[2]!.includes(secret), "the backend itself gets the real value");
    ok(!t.mounter.runtimes.get("c")!.setup.displayRemote.includes(secret));
    ok(lines.length > 0);
    for (const l of lines) ok(!l.includes(secret), l);
  } finally {
    setLogSink(prevSink);
    setLogLevel(prevLevel);
    await t.cleanup();
  }
});

Deno.test("handler: a flush that outlives its deadline answers with an error; the VFS stays while dirty", async () => {
  const t = await testEnv({ flushDeadlineMs: 100, idleGraceMs: 50 });
  try {
    t.mounter.flushDelayMs = 1500;
    await t.call("/VolumeDriver.Create", { Name: "d", Opts: { type: "memory" } });
    await t.call("/VolumeDriver.Mount", { Name: "d", ID: "1" });
    t.mounter.runtimes.get("d")!.dirtyBytes = 10;
    const t0 = Date.now();
    const r = await t.call("/VolumeDriver.Unmount", { Name: "d", ID: "1" });
    ok(Date.now() - t0 < 1200, `took ${Date.now() - t0}ms`);
    assertEquals(r.status, 500);
    match(r.json.Err, /failed to upload pending writes: upload timed out after 100ms/);
    assertEquals(t.mounter.count("unmount", "d"), 1, "unmounted anyway");
    await new Promise((res) => setTimeout(res, 300));
    assertEquals(t.mounter.runtimes.get("d")!.dirtyBytes, 10, "the upload is still running");
    assertEquals(t.mounter.count("idle", "d"), 0, "not idled while dirty");
    const deadline = Date.now() + 5000;
    while (t.mounter.count("idle", "d") === 0 && Date.now() < deadline) {
      await new Promise((res) => setTimeout(res, 50));
    }
    assertEquals(t.mounter.runtimes.get("d")!.dirtyBytes, 0);
    assertEquals(t.mounter.count("idle", "d"), 1, "idled once clean");
  } finally {
    await t.cleanup();
  }
});

import { deepStrictEqual as assertEquals, match, ok } from "node:assert/strict";
import { withTempDir } from "../../tests/helpers/temp_dir.ts";
import {
  byName,
  encodeEntry,
  encodeHead,
  encodeState,
  StateFile,
  type StateVolume,
  SYNC_DELAY_MS,
} from "./state.ts";

const RCLONE_160 =
  `[{"name":"t1","mountpoint":"/tmp/rt/vols/t1","created":"2026-11-21T12:48:56.169053586Z","fs":"","type":"local","path":"/tmp/rt/data/path1","options":{"--no-modtime":"1","Mount_Type":"mount","allow_other":"true","local-no-check-updated":"true","vfs-cache-mode":"full"},"mounts":[]}]`;

function vol(name: string, extra: Partial<StateVolume> = {}): StateVolume {
  return {
    name,
    mountpoint: `/b/${name}`,
    created: "2026-11-21T12:00:00Z",
    fs: "",
    type: "memory",
    options: {},
    mounts: [],
    ...extra,
  };
}

Deno.test("encodeState() writes rclone's compact sorted array plus a version", () => {
  const text = encodeState([vol("b", { mounts: ["z", "a"] }), vol("a", { path: "p" })]);
  assertEquals(
    text,
    '[{"name":"a","mountpoint":"/b/a","created":"2026-11-21T12:00:00Z","fs":"","type":"memory","path":"p","options":{},"mounts":[],"version":1},' +
      '{"name":"b","mountpoint":"/b/b","created":"2026-11-21T12:00:00Z","fs":"","type":"memory","options":{},"mounts":["a","z"],"version":1}]',
  );
});

Deno.test("StateFile.saveEntries() of cached heads writes what save() writes", async () => {
  await withTempDir("denoclone-state-", async (dir) => {
    const vols = [
      vol("b", { mounts: ["z", "a"], options: { "vfs-cache-mode": "full", 'a"b': "\u00e9\n" } }),
      vol("a", { path: "p", type: "" }),
      vol("c", { fs: ":local:/x", mounts: ["m"] }),
    ];
    const sf = new StateFile(`${dir}/docker-plugin.state`);
    await sf.save(vols);
    const viaSave = await Deno.readTextFile(sf.path);
    const heads = new Map(vols.map((v) => [v.name, encodeHead(v)]));
    await sf.saveEntries(
      [...vols].sort(byName).map((v) => encodeEntry(heads.get(v.name)!, v.mounts)),
    );
    assertEquals(await Deno.readTextFile(sf.path), viaSave);
    assertEquals(viaSave, encodeState(vols));
    assertEquals((await sf.load()).map((v) => [v.name, v.mounts]), [["a", []], ["b", ["a", "z"]], [
      "c",
      ["m"],
    ]]);
    await sf.durable();
  });
});

Deno.test("StateFile.load() reads a state file written by rclone 1.60", async () => {
  await withTempDir("denoclone-state-", async (dir) => {
    await Deno.writeTextFile(`${dir}/s`, RCLONE_160);
    const [v] = await new StateFile(`${dir}/s`).load();
    assertEquals(v!.name, "t1");
    assertEquals(v!.path, "/tmp/rt/data/path1");
    assertEquals(v!.options["Mount_Type"], "mount");
    assertEquals(v!.version, undefined);
  });
});

Deno.test("StateFile.load() removes temp copies a crash left and still reads the state", async () => {
  await withTempDir("denoclone-state-", async (dir) => {
    await Deno.writeTextFile(`${dir}/s`, RCLONE_160);
    await Deno.writeTextFile(`${dir}/s.tmp-4242-3`, "[]");
    const [v] = await new StateFile(`${dir}/s`).load();
    assertEquals(v!.name, "t1");
    const left = [];
    for await (const e of Deno.readDir(dir)) left.push(e.name);
    assertEquals(left, ["s"]);
  });
});

Deno.test("StateFile.save() is atomic: mode 0600, serialised saves, no temp file left once durable", async () => {
  await withTempDir("denoclone-state-", async (dir) => {
    const sf = new StateFile(`${dir}/cache/docker-plugin.state`);
    await Promise.all([sf.save([vol("a")]), sf.save([vol("a"), vol("b")])]);
    const loaded = await sf.load();
    assertEquals(loaded.map((v) => v.name), ["a", "b"]);
    assertEquals((await Deno.stat(sf.path)).mode! & 0o777, 0o600);
    await sf.durable();
    const names = [];
    for await (const e of Deno.readDir(`${dir}/cache`)) names.push(e.name);
    assertEquals(names, ["docker-plugin.state"]);
  });
});

Deno.test("StateFile.load() moves a corrupt file aside and starts empty", async () => {
  await withTempDir("denoclone-state-", async (dir) => {
    const sf = new StateFile(`${dir}/docker-plugin.state`);
    await Deno.writeTextFile(sf.path, '[{"name":"x",');
    assertEquals(await sf.load(), []);
    const names = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    assertEquals(names.length, 1);
    match(names[0]!, /^docker-plugin\.state\.corrupt-/);
    assertEquals(await Deno.readTextFile(`${dir}/${names[0]}`), '[{"name":"x",');

    // A file with one malformed entry keeps the good ones and a copy of the original.
    await Deno.writeTextFile(sf.path, JSON.stringify([vol("good"), { name: 7 }]));
    assertEquals((await sf.load()).map((v) => v.name), ["good"]);
    let copies = 0;
    for await (const e of Deno.readDir(dir)) if (e.name.includes(".corrupt-")) copies++;
    ok(copies >= 1);
  });
});

Deno.test("StateFile.save(): each concurrent save's volumes are on disk when it resolves", async () => {
  await withTempDir("denoclone-state-", async (dir) => {
    const sf = new StateFile(`${dir}/docker-plugin.state`);
    const names = ["a", "b", "c", "d", "e", "f"];
    const seen: string[][] = [];
    await Promise.all(names.map((_, i) => {
      const mine = names.slice(0, i + 1);
      return sf.save(mine.map((n) => vol(n))).then(async () => {
        const onDisk = JSON.parse(await Deno.readTextFile(sf.path)).map((v: StateVolume) => v.name);
        seen.push(onDisk);
        for (const n of mine) ok(onDisk.includes(n), `${n} saved before its save resolved`);
      });
    }));
    assertEquals(seen.length, names.length);
    assertEquals((await sf.load()).map((v) => v.name), names);
    // A save after the burst still writes.
    await sf.save([vol("z")]);
    assertEquals((await sf.load()).map((v) => v.name), ["z"]);
    await sf.durable();
  });
});

Deno.test("StateFile.durable() waits for the background fsyncs of every save made so far", async () => {
  await withTempDir("denoclone-state-", async (dir) => {
    const sf = new StateFile(`${dir}/docker-plugin.state`);
    await sf.durable(); // nothing saved yet
    for (let i = 0; i < 20; i++) await sf.save([vol(`v${i}`)]);
    await sf.durable();
    assertEquals((await sf.load()).map((v) => v.name), ["v19"]);
    const names = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    assertEquals(names, ["docker-plugin.state"]);
  });
});

Deno.test("StateFile: the background fsync of a burst of saves runs by itself after the delay", async () => {
  await withTempDir("denoclone-state-", async (dir) => {
    const sf = new StateFile(`${dir}/docker-plugin.state`);
    assertEquals(sf.syncPending, false);
    for (let i = 0; i < 5; i++) await sf.save([vol(`v${i}`)]);
    assertEquals(sf.syncPending, true);
    // Nobody calls durable(): the delayed sync starts and finishes on its own.
    for (let i = 0; i < 500 && sf.syncPending; i++) {
      await new Promise((r) => setTimeout(r, SYNC_DELAY_MS / 5));
    }
    assertEquals(sf.syncPending, false);
    assertEquals((await sf.load()).map((v) => v.name), ["v4"]);
  });
});

Deno.test("StateFile: a steady stream of saves gets at most one sync round per delay", async () => {
  await withTempDir("denoclone-state-", async (dir) => {
    const sf = new StateFile(`${dir}/docker-plugin.state`);
    const t0 = performance.now();
    // Saves every ~2 ms for 4 delays: back-to-back rounds would run one per fsync.
    for (let i = 0; performance.now() - t0 < 4 * SYNC_DELAY_MS; i++) {
      await sf.save([vol(`v${i}`)]);
      await new Promise((r) => setTimeout(r, 2));
    }
    const rounds = sf.syncRounds;
    const elapsed = performance.now() - t0;
    ok(rounds <= Math.ceil(elapsed / SYNC_DELAY_MS) + 1, `${rounds} rounds in ${elapsed} ms`);
    await sf.durable();
    assertEquals(sf.syncPending, false);
    ok(sf.syncRounds >= 1);
  });
});

Deno.test("StateFile.save() rejects when the file can't be replaced and keeps the old one", async () => {
  await withTempDir("denoclone-state-", async (dir) => {
    const sf = new StateFile(`${dir}/docker-plugin.state`);
    await sf.save([vol("old")]);
    await sf.durable();
    // The state path made a non-empty directory: rename(2) over it must fail.
    const blocked = new StateFile(`${dir}/blocked`);
    await Deno.mkdir(`${dir}/blocked/x`, { recursive: true });
    await blocked.save([vol("new")]).then(
      () => ok(false, "save should fail"),
      (err) => match((err as Error).message, /^failed to save state: /),
    );
    await blocked.durable();
    assertEquals((await sf.load()).map((v) => v.name), ["old"]);
    const names = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    assertEquals(names.sort(), ["blocked", "docker-plugin.state"]);
  });
});

/**
 * The built artifact (not the source tree) serves the Docker volume plugin API: `DENOCLONE_BIN`
 * (the test command points it at `dist/denoclone` after `deno task build`), else
 * `dist/denoclone`, runs `serve docker` on a unix socket and on TCP with a spec file, and a
 * client drives Activate/Capabilities/Create/List/Get/Path/Mount/Unmount/Remove over it with
 * real FUSE mounts of a local remote. SIGTERM ends it cleanly and removes socket and spec.
 */
import { deepStrictEqual as assertEquals, match, ok } from "node:assert/strict";
import { callPlugin } from "../lib/plugin/admin_client.ts";
import { pathExists } from "./helpers/path_exists.ts";

const artifact = Deno.env.get("DENOCLONE_BIN") ??
  new URL("../dist/denoclone", import.meta.url).pathname;

/** The artifact serving `serve docker` with its own dirs under `dir`. */
interface Served {
  child: Deno.ChildProcess;
  log(): Promise<string>;
  stop(): Promise<Deno.CommandStatus>;
}

async function serve(dir: string, extra: string[]): Promise<Served> {
  if (!await pathExists(artifact)) {
    throw new Error(`${artifact} is missing: run \`deno task build\` first`);
  }
  const logPath = `${dir}/plugin.log`;
  const child = new Deno.Command(artifact, {
    args: [
      "serve",
      "docker",
      "--base-dir",
      `${dir}/vols`,
      "--config",
      `${dir}/rclone.conf`,
      "--cache-dir",
      `${dir}/cache`,
      "--log-file",
      logPath,
      "-v",
      ...extra,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  let status: Deno.CommandStatus | undefined;
  const done = child.status.then((s) => status = s);
  return {
    child,
    log: () => Deno.readTextFile(logPath).catch(() => ""),
    async stop() {
      if (!status) {
        try {
          child.kill("SIGTERM");
        } catch { /* exited */ }
      }
      const killer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* exited */ }
      }, 20_000);
      await done;
      clearTimeout(killer);
      return status!;
    },
  };
}

/** Polls `probe` until it returns a value (20 s at most). */
async function waitFor<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function isMounted(path: string): boolean {
  return Deno.readTextFileSync("/proc/self/mountinfo").split("\n").some((l) =>
    l.split(" ")[4] === path
  );
}

/** The volume protocol sequence Docker uses, with a container's write done by the test. */
async function driveVolumeApi(addr: string, dir: string): Promise<void> {
  const call = async (path: string, body: unknown) => {
    const r = await callPlugin(addr, path, body, { timeoutMs: 30_000 });
    return { status: r.status, json: r.json };
  };
  assertEquals(await call("/Plugin.Activate", {}), {
    status: 200,
    json: { Implements: ["VolumeDriver"] },
  });
  assertEquals(await call("/VolumeDriver.Capabilities", {}), {
    status: 200,
    json: { Capabilities: { Scope: "local" } },
  });
  const data = `${dir}/data`;
  await Deno.mkdir(data, { recursive: true });
  await Deno.writeTextFile(`${data}/before`, "from the remote\n");
  assertEquals(
    await call("/VolumeDriver.Create", { Name: "art", Opts: { type: "local", path: data } }),
    { status: 200, json: {} },
  );
  const list = await call("/VolumeDriver.List", {}) as {
    json: { Volumes: { Name: string; Mountpoint: string }[] };
  };
  assertEquals(
    list.json.Volumes.map((v) => [v.Name, v.Mountpoint]),
    [["art", `${dir}/vols/art`]],
  );
  const got = await call("/VolumeDriver.Get", { Name: "art" });
  assertEquals((got.json as { Volume: { Name: string } }).Volume.Name, "art");
  const mp = `${dir}/vols/art`;
  assertEquals(await call("/VolumeDriver.Path", { Name: "art" }), {
    status: 200,
    json: { Mountpoint: mp },
  });
  assertEquals(await call("/VolumeDriver.Mount", { Name: "art", ID: "c1" }), {
    status: 200,
    json: { Mountpoint: mp },
  });
  try {
    ok(isMounted(mp), `${mp} is a mount`);
    assertEquals(await Deno.readTextFile(`${mp}/before`), "from the remote\n");
    await Deno.writeTextFile(`${mp}/written`, "through FUSE\n");
    const rm = await call("/VolumeDriver.Remove", { Name: "art" });
    assertEquals(rm, { status: 500, json: { Err: "volume is in use" } });
  } finally {
    assertEquals(await call("/VolumeDriver.Unmount", { Name: "art", ID: "c1" }), {
      status: 200,
      json: {},
    });
  }
  ok(!isMounted(mp), `${mp} is unmounted`);
  assertEquals(await Deno.readTextFile(`${data}/written`), "through FUSE\n");
  assertEquals(await call("/VolumeDriver.Remove", { Name: "art" }), { status: 200, json: {} });
  assertEquals(await call("/VolumeDriver.List", {}), { status: 200, json: { Volumes: [] } });
  assertEquals(await call("/VolumeDriver.Get", { Name: "art" }), {
    status: 500,
    json: { Err: "volume not found" },
  });
}

Deno.test({
  name: "artifact: serve docker on a unix socket answers the volume API and mounts with FUSE",
  ignore: Deno.uid() !== 0,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "shpa-unix-" });
    const sock = `${dir}/plug.sock`;
    try {
      const p = await serve(dir, ["--socket-addr", sock]);
      try {
        await waitFor("the socket", async () => {
          const r = await callPlugin(sock, "/Plugin.Activate", {}, { timeoutMs: 2000 });
          return r.status === 200 ? true : undefined;
        });
        const st = await Deno.stat(sock);
        ok(st.isSocket);
        assertEquals(st.mode! & 0o777, 0o660);
        await driveVolumeApi(sock, dir);
      } finally {
        const status = await p.stop();
        assertEquals(status.code, 0, await p.log());
      }
      assertEquals(await pathExists(sock), false, "socket removed at exit");
      match(await p.log(), /Serving unix socket/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "artifact: serve docker on TCP writes the spec file and answers the volume API",
  ignore: Deno.uid() !== 0,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "shpa-tcp-" });
    const spec = `${dir}/spec/rclone.spec`;
    try {
      const p = await serve(dir, ["--socket-addr", "127.0.0.1:0", "--spec-dir", `${dir}/spec`]);
      try {
        const url = await waitFor("the spec file", () => Deno.readTextFile(spec));
        match(url, /^tcp:\/\/127\.0\.0\.1:\d+$/);
        const addr = url.slice("tcp://".length);
        // Plain HTTP, as Docker talks it.
        const res = await fetch(`http://${addr}/Plugin.Activate`, { method: "POST", body: "{}" });
        assertEquals(res.headers.get("content-type"), "application/vnd.docker.plugins.v1.1+json");
        assertEquals(await res.text(), '{"Implements":["VolumeDriver"]}\n');
        await driveVolumeApi(addr, dir);
      } finally {
        const status = await p.stop();
        assertEquals(status.code, 0, await p.log());
      }
      assertEquals(await pathExists(spec), false, "spec file removed at exit");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

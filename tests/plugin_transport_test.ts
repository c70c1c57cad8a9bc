/**
 * Transport tests of the plugin over real sockets: unix socket (path, `.sock` suffix, mode,
 * group), TCP with the spec file, systemd socket activation through `systemd-socket-activate`,
 * sd_notify through a real unix datagram socket, and the exit sequence on SIGTERM.
 */
import { deepStrictEqual as assertEquals, match, ok } from "node:assert/strict";
import "../lib/backends/all.ts";
import { defaultsOf } from "../lib/config/option_schema.ts";
import { MOUNT_OPTIONS } from "../lib/fuse/mount_options.ts";
import { VFS_OPTIONS } from "../lib/vfs/vfs_options.ts";
import { type PluginSettings, startPlugin } from "../lib/plugin/serve.ts";
import { RecordingMounter } from "../lib/plugin/_recording_mounter.ts";
import { sdNotify } from "../lib/plugin/sd_notify.ts";
import { callPlugin } from "../lib/plugin/admin_client.ts";
import { pathExists } from "./helpers/path_exists.ts";

interface RawReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends one raw HTTP/1.1 request and returns exactly what came back. */
async function raw(
  conn: Deno.Conn,
  path: string,
  body: string,
  method = "POST",
): Promise<RawReply> {
  const req = `${method} ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: ${
    new TextEncoder().encode(body).length
  }\r\nConnection: close\r\n\r\n${body}`;
  await conn.write(new TextEncoder().encode(req));
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(65536);
  while (true) {
    const n = await conn.read(buf);
    if (n === null) break;
    chunks.push(buf.slice(0, n));
  }
  conn.close();
  const text = new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
  const [head, ...rest] = text.split("\r\n\r\n");
  const lines = head!.split("\r\n");
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(":");
    headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
  }
  return { status: Number(lines[0]!.split(" ")[1]), headers, body: rest.join("\r\n\r\n") };
}

async function settings(dir: string, extra: Partial<PluginSettings>): Promise<PluginSettings> {
  await Deno.mkdir(`${dir}/data`, { recursive: true });
  return {
    baseDir: `${dir}/vols`,
    cacheDir: `${dir}/cache`,
    configPath: `${dir}/rclone.conf`,
    socketAddr: "",
    socketGid: -1,
    forgetState: false,
    noSpec: false,
    specDir: `${dir}/spec`,
    mountDefaults: defaultsOf(MOUNT_OPTIONS),
    vfsDefaults: defaultsOf(VFS_OPTIONS),
    env: {},
    mounter: new RecordingMounter(),
    ...extra,
  };
}

/**
 * Connects to a unix socket, retrying while it is bound but not yet listening (a listener
 * binds, then listens: under load a connect can fall between the two and be refused).
 */
async function connectUnix(path: string, timeoutMs = 10_000): Promise<Deno.UnixConn> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await Deno.connect({ transport: "unix", path });
    } catch (err) {
      const retry = err instanceof Deno.errors.ConnectionRefused ||
        err instanceof Deno.errors.NotFound;
      if (!retry || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

Deno.test("transport: unix socket gets .sock, mode 0660 and the group; testMountAPI sequence over it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "denoclone-unix-" });
  const plugin = await startPlugin(
    await settings(dir, { socketAddr: `${dir}/rclone`, socketGid: 4 }),
  );
  try {
    const sock = `${dir}/rclone.sock`;
    assertEquals(plugin.address, sock);
    const st = await Deno.stat(sock);
    ok(st.isSocket);
    assertEquals(st.mode! & 0o777, 0o660);
    assertEquals(st.gid, 4);
    const c = () => Deno.connect({ transport: "unix", path: sock });
    let r = await raw(await c(), "/Plugin.Activate", "{}");
    assertEquals(r.status, 200);
    assertEquals(r.headers["content-type"], "application/vnd.docker.plugins.v1.1+json");
    assertEquals(r.body, '{"Implements":["VolumeDriver"]}\n');
    r = await raw(
      await c(),
      "/VolumeDriver.Create",
      JSON.stringify({ Name: "vol1", Opts: { remote: `${dir}/data/path1` } }),
    );
    assertEquals([r.status, r.body], [200, "{}\n"]);
    r = await raw(
      await c(),
      "/VolumeDriver.Create",
      JSON.stringify({ Name: "vol1", Opts: { remote: `${dir}/data/path1` } }),
    );
    assertEquals([r.status, r.body], [200, "{}\n"]);
    r = await raw(await c(), "/VolumeDriver.Mount", '{"Name":"vol1","ID":"id1"}');
    assertEquals(JSON.parse(r.body), { Mountpoint: `${dir}/vols/vol1` });
    r = await raw(await c(), "/VolumeDriver.Mount", '{"Name":"vol1","ID":"id1"}');
    assertEquals(r.status, 500);
    match(JSON.parse(r.body).Err, /already mounted by this id/);
    r = await raw(await c(), "/VolumeDriver.Remove", '{"Name":"vol1"}');
    assertEquals([r.status, r.body], [500, '{"Err":"volume is in use"}\n']);
    r = await raw(await c(), "/VolumeDriver.Unmount", '{"Name":"vol1","ID":"id1"}');
    assertEquals([r.status, r.body], [200, "{}\n"]);
    r = await raw(await c(), "/VolumeDriver.Unmount", '{"Name":"vol1","ID":"id1"}');
    assertEquals(JSON.parse(r.body), { Err: "volume is not mounted" });
    r = await raw(await c(), "/VolumeDriver.Remove", '{"Name":"vol1"}');
    assertEquals(r.body, "{}\n");
    r = await raw(await c(), "/VolumeDriver.Remove", '{"Name":"vol1"}');
    assertEquals(JSON.parse(r.body), { Err: "volume not found" });
    r = await raw(await c(), "/VolumeDriver.List", "");
    assertEquals(r.body, '{"Volumes":[]}\n');
    r = await raw(await c(), "/VolumeDriver.Create", "garbage");
    assertEquals([r.status, r.body], [
      400,
      "invalid character 'g' looking for beginning of value\n",
    ]);
    r = await raw(await c(), "/VolumeDriver.List", "", "GET");
    assertEquals(r.status, 405);
    r = await raw(await c(), "/nope", "");
    assertEquals([r.status, r.body], [404, "404 page not found\n"]);
    // The admin client talks to the same socket.
    const a = await callPlugin(`${dir}/rclone`, "/denoclone/Volume.List", {});
    assertEquals(a.json, { Volumes: [] });
  } finally {
    await plugin.stop();
    assertEquals(await pathExists(`${dir}/rclone.sock`), false, "socket removed at exit");
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("transport: TCP writes tcp://addr (no newline, 0644) into the spec dir and removes it at exit", async () => {
  const dir = await Deno.makeTempDir({ prefix: "denoclone-tcp-" });
  const plugin = await startPlugin(await settings(dir, { socketAddr: "127.0.0.1:0" }));
  const spec = `${dir}/spec/rclone.spec`;
  try {
    const text = await Deno.readTextFile(spec);
    match(text, /^tcp:\/\/127\.0\.0\.1:\d+$/);
    assertEquals(text, `tcp://${plugin.address}`);
    assertEquals((await Deno.stat(spec)).mode! & 0o777, 0o644);
    const port = Number(plugin.address.split(":")[1]);
    const res = await fetch(`http://127.0.0.1:${port}/VolumeDriver.Capabilities`, {
      method: "POST",
      body: "{}",
    });
    assertEquals(await res.text(), '{"Capabilities":{"Scope":"local"}}\n');
  } finally {
    await plugin.stop();
  }
  assertEquals(await pathExists(spec), false);
  const p2 = await startPlugin(await settings(dir, { socketAddr: "127.0.0.1:0", noSpec: true }));
  try {
    assertEquals(await pathExists(spec), false, "--no-spec writes nothing");
  } finally {
    await p2.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("transport: a TCP address without a port is refused like rclone", async () => {
  const dir = await Deno.makeTempDir({ prefix: "denoclone-tcp-" });
  try {
    let err: Error | undefined;
    await startPlugin(await settings(dir, { socketAddr: "relname" })).catch((e) => err = e);
    match(err!.message, /listen tcp: address relname: missing port in address/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Starts `socat` receiving datagrams on a unix socket; returns the path and a reader. */
async function notifyReceiver(dir: string) {
  const path = `${dir}/notify.sock`;
  const out = `${dir}/notify.out`;
  const child = new Deno.Command("socat", {
    args: ["-u", `UNIX-RECV:${path}`, `OPEN:${out},creat,append`],
    stdout: "null",
    stderr: "null",
  }).spawn();
  for (let i = 0; i < 100 && !(await pathExists(path)); i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  const read = () => Deno.readTextFile(out).catch(() => "");
  return {
    path,
    read,
    /** Waits (5 s at most) until what was received matches `re`; returns it. */
    async waitFor(re: RegExp): Promise<string> {
      let got = "";
      for (let i = 0; i < 250 && !re.test(got); i++) {
        await new Promise((r) => setTimeout(r, 20));
        got = await read();
      }
      return got;
    },
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      await child.status;
    },
  };
}

Deno.test("sdNotify() sends one datagram to $NOTIFY_SOCKET and is a no-op without it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "denoclone-notify-" });
  const rx = await notifyReceiver(dir);
  try {
    assertEquals(sdNotify("READY=1", {}), false);
    assertEquals(sdNotify("READY=1", { NOTIFY_SOCKET: rx.path }), true);
    let got = "";
    for (let i = 0; i < 100 && !got.includes("READY=1"); i++) {
      await new Promise((r) => setTimeout(r, 20));
      got = await rx.read();
    }
    assertEquals(got, "READY=1");
  } finally {
    await rx.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("transport: systemd socket activation (LISTEN_FDS) with READY=1, state, and SIGTERM exit", async () => {
  const dir = await Deno.makeTempDir({ prefix: "denoclone-sd-" });
  const rx = await notifyReceiver(dir);
  const sock = `${dir}/activated.sock`;
  await Deno.mkdir(`${dir}/data`);
  const child = new Deno.Command("systemd-socket-activate", {
    args: [
      "-l",
      sock,
      "-E",
      `NOTIFY_SOCKET=${rx.path}`,
      "-E",
      `PLUGIN_FIXTURE=${
        JSON.stringify({
          baseDir: `${dir}/vols`,
          cacheDir: `${dir}/cache`,
          configPath: `${dir}/rclone.conf`,
          socketAddr: `${dir}/ignored.sock`,
          specDir: `${dir}/spec`,
        })
      }`,
      "-E",
      "PATH",
      Deno.execPath(),
      "run",
      "-A",
      new URL("./plugin_fixture_server.ts", import.meta.url).pathname,
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  try {
    for (let i = 0; i < 100 && !(await pathExists(sock)); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    // The first connection makes systemd-socket-activate exec the plugin with fd 3.
    const r = await raw(
      await connectUnix(sock),
      "/VolumeDriver.Create",
      JSON.stringify({ Name: "sd", Opts: { type: "local", path: `${dir}/data` } }),
    );
    assertEquals([r.status, r.body], [200, "{}\n"]);
    assertEquals(
      await pathExists(`${dir}/ignored.sock`),
      false,
      "activation wins over --socket-addr",
    );
    match(await rx.waitFor(/READY=1/), /READY=1/);
    child.kill("SIGTERM");
    const status = await child.status;
    assertEquals(status.success, true);
    const notes = await rx.waitFor(/STOPPING=1/);
    match(notes, /READY=1.*STOPPING=1/s);
    const saved = JSON.parse(await Deno.readTextFile(`${dir}/cache/docker-plugin.state`));
    assertEquals(saved[0].name, "sd");
    assertEquals(saved[0].path, `${dir}/data`);
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* exited */ }
    await child.status;
    await child.stdout.cancel().catch(() => {});
    await child.stderr.cancel().catch(() => {});
    await rx.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("transport: READY=1 only once the unix socket accepts; SIGTERM sends STOPPING=1 and removes it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "denoclone-ready-" });
  const rx = await notifyReceiver(dir);
  const sock = `${dir}/p.sock`;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./plugin_fixture_server.ts", import.meta.url).pathname],
    env: {
      NOTIFY_SOCKET: rx.path,
      PLUGIN_FIXTURE: JSON.stringify({
        baseDir: `${dir}/vols`,
        cacheDir: `${dir}/cache`,
        configPath: `${dir}/rclone.conf`,
        socketAddr: sock,
        specDir: `${dir}/spec`,
      }),
    },
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    let notes = "";
    for (let i = 0; i < 500 && !notes.includes("READY=1"); i++) {
      await new Promise((r) => setTimeout(r, 10));
      notes = await rx.read();
    }
    assertEquals(notes, "READY=1");
    // No retry: the socket must already accept when READY=1 arrives.
    const r = await raw(
      await Deno.connect({ transport: "unix", path: sock }),
      "/Plugin.Activate",
      "",
    );
    assertEquals(r.status, 200);
    child.kill("SIGTERM");
    assertEquals((await child.status).success, true);
    assertEquals(await rx.waitFor(/STOPPING=1/), "READY=1STOPPING=1");
    assertEquals(await pathExists(sock), false);
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* exited */ }
    await child.status;
    await rx.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

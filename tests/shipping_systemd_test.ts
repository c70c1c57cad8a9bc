/**
 * The systemd units, run for real without systemd as init: the socket's settings are parsed
 * from `systemd/docker-volume-rclone.socket` (ListenStream pointed at a test name in the same
 * directory, SocketMode, SocketUser, SocketGroup) and `systemd-socket-activate` listens there
 * and starts the built artifact with the service's ExecStart and Environment (paths under
 * `/var/lib/docker-*` moved into a test dir) and a NOTIFY_SOCKET datagram socket of the test.
 * READY=1 arrives once the socket answers, a private dockerd uses the plugin through that
 * socket (a container writes into a volume), and SIGTERM ends it with STOPPING=1.
 */
import { deepStrictEqual as assertEquals, match, ok } from "node:assert/strict";
import { callPlugin } from "../lib/plugin/admin_client.ts";
import { dockerUnavailable, ensureBusyboxImage, startDockerd } from "./helpers/dockerd.ts";

const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const artifact = Deno.env.get("DENOCLONE_BIN") ?? `${root}/dist/denoclone`;
const DOCKER = "/usr/bin/docker";

/** A systemd unit file: section → key → values (repeated keys keep every value). */
type Unit = Record<string, Record<string, string[]>>;

/** Parses a systemd unit file (comments, sections, `Key=Value`). */
function parseUnit(text: string): Unit {
  const unit: Unit = {};
  let section: Record<string, string[]> | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const m = /^\[(.+)\]$/.exec(line);
    if (m) {
      section = unit[m[1]!] ??= {};
      continue;
    }
    const eq = line.indexOf("=");
    if (!section || eq < 0) throw new Error(`bad unit line: ${line}`);
    (section[line.slice(0, eq).trim()] ??= []).push(line.slice(eq + 1).trim());
  }
  return unit;
}

function one(unit: Unit, section: string, key: string): string {
  const v = unit[section]?.[key];
  if (!v || v.length !== 1) throw new Error(`[${section}] ${key} must be set once`);
  return v[0]!;
}

/** Receives sd_notify datagrams with `socat` and records when each arrived. */
async function notifyListener(path: string) {
  const child = new Deno.Command("socat", {
    args: ["-u", `UNIX-RECV:${path}`, "STDOUT"],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const got: { at: number; text: string }[] = [];
  const reading = (async () => {
    const dec = new TextDecoder();
    for await (const chunk of child.stdout) got.push({ at: Date.now(), text: dec.decode(chunk) });
  })();
  for (let i = 0; i < 100; i++) {
    if (await Deno.lstat(path).then(() => true, () => false)) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    text: () => got.map((g) => g.text).join("\n"),
    async waitFor(re: RegExp, timeoutMs: number): Promise<number> {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const hit = got.find((g) => re.test(g.text));
        if (hit) return hit.at;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`no ${re} from the service in ${timeoutMs} ms (got ${JSON.stringify(got)})`);
    },
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      await child.status;
      await reading;
    },
  };
}

async function groupId(name: string): Promise<number> {
  for (const line of (await Deno.readTextFile("/etc/group")).split("\n")) {
    const f = line.split(":");
    if (f[0] === name) return Number(f[2]);
  }
  throw new Error(`group ${name} does not exist`);
}

Deno.test("systemd units: socket at /run/docker/plugins/rclone.sock 0660 group docker, Type=notify, before docker.service", async () => {
  const socket = parseUnit(await Deno.readTextFile(`${root}/systemd/docker-volume-rclone.socket`));
  const service = parseUnit(
    await Deno.readTextFile(`${root}/systemd/docker-volume-rclone.service`),
  );
  assertEquals(one(socket, "Socket", "ListenStream"), "/run/docker/plugins/rclone.sock");
  assertEquals(one(socket, "Socket", "SocketMode"), "0660");
  assertEquals(one(socket, "Socket", "SocketGroup"), "docker");
  ok(one(socket, "Unit", "Before").split(/\s+/).includes("docker.service"));
  assertEquals(one(service, "Service", "Type"), "notify");
  ok(one(service, "Unit", "Before").split(/\s+/).includes("docker.service"));
  ok(one(service, "Unit", "Requires").split(/\s+/).includes("docker-volume-rclone.socket"));
  ok(one(service, "Unit", "After").split(/\s+/).includes("docker-volume-rclone.socket"));
  match(one(service, "Service", "ExecStart"), /^\/usr\/local\/bin\/denoclone serve docker\b/);
});

Deno.test({
  name:
    "systemd units: socket-activated service is READY once it answers and dockerd uses the socket",
  ignore: dockerUnavailable() !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const socket = parseUnit(
      await Deno.readTextFile(`${root}/systemd/docker-volume-rclone.socket`),
    );
    const service = parseUnit(
      await Deno.readTextFile(`${root}/systemd/docker-volume-rclone.service`),
    );
    const dir = await Deno.makeTempDir({ prefix: "shps-" });
    // Paths of the units moved into the test dir.
    const move = (s: string) =>
      s.replaceAll("/var/lib/docker-plugins/rclone", `${dir}/plugins-rclone`)
        .replaceAll("/var/lib/docker-volumes/rclone", `${dir}/volumes`);
    const listen = one(socket, "Socket", "ListenStream");
    const name = `shpsd${crypto.randomUUID().slice(0, 8)}`;
    const sock = `${listen.slice(0, listen.lastIndexOf("/"))}/${name}.sock`;
    await Deno.mkdir(listen.slice(0, listen.lastIndexOf("/")), { recursive: true });

    // ExecStartPre (mkdir -p of the state dirs), then ExecStart with the built artifact.
    for (const pre of service.Service?.ExecStartPre ?? []) {
      const [cmd, ...args] = move(pre).split(/\s+/);
      const r = await new Deno.Command(cmd!, { args }).output();
      assertEquals(r.code, 0, `ExecStartPre ${pre}`);
    }
    const [exe, ...execArgs] = one(service, "Service", "ExecStart").split(/\s+/);
    assertEquals(exe, "/usr/local/bin/denoclone");
    const env: string[] = [];
    for (const e of service.Service?.Environment ?? []) env.push(move(e));
    // The unit relies on the default base dir (/var/lib/docker-volumes/rclone, made above).
    env.push(`RCLONE_BASE_DIR=${dir}/volumes`);
    env.push(`RCLONE_LOG_FILE=${dir}/plugin.log`);
    const notify = await notifyListener(`${dir}/notify.sock`);
    env.push(`NOTIFY_SOCKET=${dir}/notify.sock`);

    const child = new Deno.Command("systemd-socket-activate", {
      args: ["-l", sock, ...env.flatMap((e) => ["-E", e]), artifact, ...execArgs],
      clearEnv: true,
      env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" },
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    let exited = false;
    const status = child.status.then((s) => {
      exited = true;
      return s;
    });
    let dockerd: Awaited<ReturnType<typeof startDockerd>> | undefined;
    let dockerdUp: ReturnType<typeof startDockerd> | undefined;
    let trigger: Deno.UnixConn | undefined;
    try {
      for (let i = 0; i < 200 && !await Deno.lstat(sock).then(() => true, () => false); i++) {
        await new Promise((r) => setTimeout(r, 25));
      }
      // What systemd does with the unit's SocketMode/SocketUser/SocketGroup.
      await Deno.chmod(sock, parseInt(one(socket, "Socket", "SocketMode"), 8));
      const gid = await groupId(one(socket, "Socket", "SocketGroup"));
      await Deno.chown(sock, 0, gid);
      const st = await Deno.stat(sock);
      assertEquals([st.mode! & 0o777, st.gid], [0o660, gid]);

      // The first connection makes systemd-socket-activate exec the service with the fd.
      dockerdUp = startDockerd();
      dockerdUp.catch(() => {}); // awaited below
      trigger = await Deno.connect({ transport: "unix", path: sock });
      await notify.waitFor(/READY=1/, 30_000);
      // At READY=1 the service must answer at once.
      const t0 = Date.now();
      const r = await callPlugin(sock, "/Plugin.Activate", {}, { timeoutMs: 2000 });
      assertEquals([r.status, r.text], [200, '{"Implements":["VolumeDriver"]}\n']);
      ok(Date.now() - t0 < 2000);
      ok(!exited, "the service keeps running");
      trigger.close();
      trigger = undefined;

      dockerd = await dockerdUp;
      const image = await ensureBusyboxImage(dockerd);
      const docker = async (args: string[]) => {
        const res = await dockerd!.run(DOCKER, args, { timeoutMs: 60_000 });
        assertEquals(res.code, 0, `docker ${args.join(" ")}: ${res.stderr}`);
        return res.stdout.trim();
      };
      await Deno.mkdir(`${dir}/data`);
      await docker([
        "volume",
        "create",
        "-d",
        name,
        "-o",
        "type=local",
        "-o",
        `path=${dir}/data`,
        "sv",
      ]);
      await docker([
        "run",
        "--rm",
        "--network",
        "none",
        "-v",
        "sv:/data",
        image,
        "sh",
        "-c",
        "echo via-systemd > /data/f",
      ]);
      assertEquals(await Deno.readTextFile(`${dir}/data/f`), "via-systemd\n");
      // The service's Environment put the state into the (moved) cache dir.
      const state = JSON.parse(
        await Deno.readTextFile(`${dir}/plugins-rclone/cache/docker-plugin.state`),
      );
      assertEquals(state.map((v: { name: string }) => v.name), ["sv"]);
      await docker(["volume", "rm", "sv"]);

      child.kill("SIGTERM");
      assertEquals((await status).code, 0);
      await notify.waitFor(/STOPPING=1/, 5000);
      match(await Deno.readTextFile(`${dir}/plugin.log`), /systemd socket/i);
    } finally {
      trigger?.close();
      if (!exited) {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }
      await status;
      if (!dockerd && dockerdUp) dockerd = await dockerdUp.catch(() => undefined);
      await dockerd?.stop();
      await notify.stop();
      await Deno.remove(sock).catch(() => {});
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

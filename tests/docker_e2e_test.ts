/**
 * End to end with a real (private) dockerd and the real plugin process: `docker volume
 * create/ls/inspect/rm` on the local backend, a container that writes and exits at once
 * leaves its file on the remote in every cache mode, a second container reads it, `:ro`
 * mounts are read-only, errors reach the docker CLI, and a compose file with `driver:` +
 * `driver_opts:` works.
 */
import { deepStrictEqual as assertEquals, match, ok } from "node:assert/strict";
import {
  type Dockerd,
  dockerUnavailable,
  ensureBusyboxImage,
  startDockerd,
} from "./helpers/dockerd.ts";
import {
  detachAllUnder,
  fuseMountsUnder,
  pluginPaths,
  startPluginProcess,
} from "./plugin_process.ts";

const skip = dockerUnavailable();

/** Removes plugin sockets left by killed runs of this test (nobody listens on them). */
async function removeDeadTestSockets(): Promise<void> {
  const dir = "/run/docker/plugins";
  let names: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) names.push(e.name);
  } catch {
    return;
  }
  names = names.filter((n) => /^dctest[0-9a-f]{8}\.sock$/.test(n));
  for (const n of names) {
    try {
      (await Deno.connect({ transport: "unix", path: `${dir}/${n}` })).close();
    } catch {
      await Deno.remove(`${dir}/${n}`).catch(() => {});
    }
  }
}

Deno.test({
  name: "docker e2e: volumes of the plugin through a real dockerd",
  ignore: skip !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "dce" });
    const p = pluginPaths(dir);
    const remote = `${dir}/remote`;
    // The remote roots exist beforehand: our VFS (not the plugin) still fails a listing of a
    // missing root where rclone shows an empty directory, and Docker lists the volume on mount.
    for (const d of ["v1", "wb-minimal", "wb-writes", "wb-full", "compose"]) {
      await Deno.mkdir(`${remote}/${d}`, { recursive: true });
    }
    const uid = crypto.randomUUID().slice(0, 8);
    const driver = `dctest${uid}`;
    // dockerd asks every plugin socket in /run/docker/plugins about names it doesn't know, so
    // every docker-visible name is unique to this run.
    const v1 = `v1-${uid}`;
    const project = `dce${uid}`;
    await removeDeadTestSockets();
    const sock = `/run/docker/plugins/${driver}`;
    const plugin = await startPluginProcess(dir, sock);
    let dockerd: Dockerd | undefined;
    try {
      const d = dockerd = await startDockerd();
      const image = await ensureBusyboxImage(d);
      const docker = d.docker;
      const run = (args: string[]) =>
        docker(["run", "--rm", "--network", "none", ...args], { timeoutMs: 60_000 });

      await t.step("create, ls, inspect and errors", async () => {
        let r = await docker([
          "volume",
          "create",
          "-d",
          driver,
          "-o",
          "type=local",
          "-o",
          `path=${remote}/v1`,
          v1,
        ]);
        assertEquals([r.code, r.stdout.trim()], [0, v1], r.stderr);
        r = await docker(["volume", "ls", "--format", "{{.Driver}} {{.Name}}"]);
        match(r.stdout, new RegExp(`^${driver} ${v1}$`, "m"));
        r = await docker(["volume", "inspect", v1]);
        const info = JSON.parse(r.stdout)[0];
        assertEquals(info.Mountpoint, `${p.base}/${v1}`);
        assertEquals(info.Options, { type: "local", path: `${remote}/v1` });
        assertEquals(info.Status.Mounts, []);
        assertEquals(info.Status.State, "ok");
        r = await docker([
          "volume",
          "create",
          "-d",
          driver,
          "-o",
          "type=nonexistentbackend",
          "bad1",
        ]);
        assertEquals(r.code, 1);
        match(r.stderr, /VolumeDriver.Create: unknown filesystem type "nonexistentbackend"/);
        r = await docker([
          "volume",
          "create",
          "-d",
          driver,
          "-o",
          "type=local",
          "-o",
          "bogus-option=1",
          "bad2",
        ]);
        match(r.stderr, /unsupported backend option "bogus-option"/);
        r = await docker(["volume", "inspect", "bad1"]);
        assertEquals(r.code, 1);
      });

      await t.step("a container writes and exits at once; the file is on the remote", async () => {
        let r = await run(["-v", `${v1}:/data`, image, "sh", "-c", "echo banana > /data/x"]);
        assertEquals(r.code, 0, r.stderr);
        assertEquals(await Deno.readTextFile(`${remote}/v1/x`), "banana\n");
        r = await run(["-v", `${v1}:/data`, image, "cat", "/data/x"]);
        assertEquals([r.code, r.stdout], [0, "banana\n"]);
        const g = await plugin.call("/VolumeDriver.Get", { Name: v1 });
        assertEquals(
          (g.json as { Volume: { Status: { Mounts: string[] } } }).Volume.Status.Mounts,
          [],
        );
      });

      await t.step(
        "write-back cache modes flush before the container's unmount returns",
        async () => {
          for (const mode of ["minimal", "writes", "full"]) {
            const name = `wb-${mode}-${uid}`;
            let r = await docker([
              "volume",
              "create",
              "-d",
              driver,
              "-o",
              `remote=:local:${remote}/wb-${mode}`,
              "-o",
              `vfs-cache-mode=${mode}`,
              "-o",
              "vfs-write-back=30s",
              name,
            ]);
            assertEquals(r.code, 0, r.stderr);
            r = await run([
              "-v",
              `${name}:/data`,
              image,
              "sh",
              "-c",
              "seq 1 20000 > /data/big; echo done > /data/small",
            ]);
            assertEquals(r.code, 0, r.stderr);
            assertEquals(await Deno.readTextFile(`${remote}/wb-${mode}/small`), "done\n", mode);
            const big = await Deno.readTextFile(`${remote}/wb-${mode}/big`);
            assertEquals(big.split("\n").length, 20001, mode);
            r = await docker(["volume", "rm", name]);
            assertEquals(r.code, 0, r.stderr);
          }
        },
      );

      await t.step(":ro mounts are read-only", async () => {
        const r = await run([
          "-v",
          `${v1}:/data:ro`,
          image,
          "sh",
          "-c",
          "cat /data/x; touch /data/y",
        ]);
        assertEquals(r.stdout, "banana\n");
        ok(r.code !== 0);
        match(r.stderr, /Read-only file system/);
      });

      await t.step("rm of a volume in use is refused; rm leaves no directory", async () => {
        let r = await docker([
          "run",
          "-d",
          "--name",
          `holder-${uid}`,
          "--network",
          "none",
          "-v",
          `${v1}:/data`,
          image,
          "sleep",
          "300",
        ]);
        assertEquals(r.code, 0, r.stderr);
        r = await docker(["volume", "rm", v1]);
        ok(r.code !== 0);
        match(r.stderr, /volume is in use/);
        r = await docker(["rm", "-f", `holder-${uid}`]);
        assertEquals(r.code, 0, r.stderr);
        r = await docker(["volume", "rm", v1]);
        assertEquals(r.code, 0, r.stderr);
        let left = true;
        await Deno.lstat(`${p.base}/${v1}`).catch(() => left = false);
        assertEquals(left, false);
        assertEquals(
          await Deno.readTextFile(`${remote}/v1/x`),
          "banana\n",
          "data stays on the remote",
        );
      });

      await t.step("docker-compose with driver and driver_opts", async () => {
        const projectDir = `${dir}/proj`;
        await Deno.mkdir(projectDir);
        await Deno.writeTextFile(
          `${projectDir}/docker-compose.yml`,
          [
            'version: "3.7"',
            "services:",
            "  writer:",
            `    image: ${image}`,
            "    network_mode: none",
            '    command: ["sh", "-c", "echo from-compose > /data/c.txt"]',
            "    volumes:",
            "      - cvol:/data",
            "volumes:",
            "  cvol:",
            `    driver: ${driver}`,
            "    driver_opts:",
            "      type: local",
            `      path: ${remote}/compose`,
            '      vfs-cache-mode: "writes"',
            "",
          ].join("\n"),
        );
        let r = await d.run("docker-compose", [
          "-p",
          project,
          "up",
          "--abort-on-container-exit",
          "--exit-code-from",
          "writer",
        ], {
          cwd: projectDir,
          timeoutMs: 120_000,
        });
        assertEquals(r.code, 0, r.stderr);
        assertEquals(await Deno.readTextFile(`${remote}/compose/c.txt`), "from-compose\n");
        r = await d.run("docker-compose", ["-p", project, "down", "-v"], { cwd: projectDir });
        assertEquals(r.code, 0, r.stderr);
        const list = await plugin.call("/VolumeDriver.List");
        assertEquals(list.json, { Volumes: [] });
      });
    } finally {
      await dockerd?.docker(["rm", "-f", `holder-${uid}`]).catch(() => {});
      await dockerd?.stop();
      const st = await plugin.stop("SIGTERM", 30_000);
      if (!st.success) console.error(await plugin.log());
      if ((await fuseMountsUnder(dir)).length > 0) await detachAllUnder(dir);
      await Deno.remove(dir, { recursive: true });
    }
  },
});

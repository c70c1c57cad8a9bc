/**
 * The managed plugin on a real (private) dockerd: `scripts/build_plugin.ts` makes the plugin
 * directory from the build in `dist/`, `docker plugin create` + `enable` run it, volumes on
 * the local backend (inside the plugin's cache bind mount) and on SFTP (a remote of the
 * rclone.conf in the config bind mount, served by a private sshd) are written by one
 * container and read by another, `docker plugin set … args="-v"` and `args=""` restart it
 * fine, and after `disable -f`/`enable` the plugin restores its volumes from its state file.
 * Uses Debian's docker client (`/usr/bin/docker`, matching dockerd 20.10).
 */
import { deepStrictEqual as assertEquals, match } from "node:assert/strict";
import { buildPlugin } from "../scripts/build_plugin.ts";
import { dockerUnavailable, ensureBusyboxImage, startDockerd } from "./helpers/dockerd.ts";
import { startSshd } from "./helpers/sshd.ts";
import { obscure } from "../lib/config/obscure.ts";

const DOCKER = "/usr/bin/docker";
const PLUGIN = "denoclone-test:latest";

function unavailable(): string | undefined {
  const why = dockerUnavailable();
  if (why) return why;
  try {
    Deno.statSync(DOCKER);
  } catch {
    return `${DOCKER} is not installed`;
  }
  return undefined;
}

Deno.test({
  name:
    "managed plugin: create, enable, local and SFTP volumes, args, disable/enable keeps volumes",
  ignore: unavailable() !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "shp" });
    const host = { config: `${dir}/config`, cache: `${dir}/cache` };
    await Deno.mkdir(host.config);
    await Deno.mkdir(`${host.cache}/localdata`, { recursive: true });
    const sshd = await startSshd();
    const dockerd = await startDockerd();
    const docker = async (args: string[], timeoutMs = 60_000) => {
      const r = await dockerd.run(DOCKER, args, { timeoutMs });
      return { ...r, out: r.stdout.trim() };
    };
    const must = async (args: string[], timeoutMs = 60_000) => {
      const r = await docker(args, timeoutMs);
      assertEquals(r.code, 0, `docker ${args.join(" ")}: ${r.stderr}`);
      return r.out;
    };
    const run = (args: string[]) => must(["run", "--rm", "--network", "none", ...args]);
    const volumes: string[] = [];
    try {
      const image = await ensureBusyboxImage(dockerd);
      const built = await buildPlugin({ outDir: `${dir}/plugin` });

      await t.step("docker plugin create and enable", async () => {
        await must(["plugin", "create", PLUGIN, built.outDir], 120_000);
        // The bind-mount sources are settable: point them at this test's dirs.
        await must([
          "plugin",
          "set",
          PLUGIN,
          `config.source=${host.config}`,
          `cache.source=${host.cache}`,
        ]);
        await must(["plugin", "enable", PLUGIN]);
        const info = JSON.parse(await must(["plugin", "inspect", PLUGIN]))[0];
        assertEquals(info.Enabled, true);
        assertEquals(info.Config.Interface.Socket, "rclone.sock");
        assertEquals(info.Config.Interface.Types, ["docker.volumedriver/1.0"]);
        assertEquals(info.Config.Linux.Capabilities, ["CAP_SYS_ADMIN"]);
        assertEquals(info.Config.PropagatedMount, "/mnt");
      });

      const localText = `local ${crypto.randomUUID()}`;
      await t.step("local volume: one container writes, another reads", async () => {
        await must([
          "volume",
          "create",
          "-d",
          PLUGIN,
          "-o",
          "type=local",
          "-o",
          "path=/data/cache/localdata",
          "shplocal",
        ]);
        volumes.push("shplocal");
        const info = JSON.parse(await must(["volume", "inspect", "shplocal"]))[0];
        assertEquals(info.Driver, PLUGIN);
        assertEquals(info.Mountpoint, "/mnt/shplocal");
        const mounts = await run([
          "-v",
          "shplocal:/data",
          image,
          "sh",
          "-c",
          `echo "${localText}" > /data/m && grep ' /data ' /proc/mounts`,
        ]);
        match(mounts, /^:local:\/data\/cache\/localdata \/data fuse\.rclone /);
        assertEquals(await run(["-v", "shplocal:/data", image, "cat", "/data/m"]), localText);
        assertEquals(await Deno.readTextFile(`${host.cache}/localdata/m`), `${localText}\n`);
      });

      const sftpText = `sftp ${crypto.randomUUID()}`;
      const sftpRoot = await sshd.newRoot();
      await t.step("SFTP volume from the rclone.conf in the config mount", async () => {
        await Deno.writeTextFile(
          `${host.config}/rclone.conf`,
          `[shpsftp]\ntype = sftp\nhost = ${sshd.host}\nport = ${sshd.port}\nuser = ${sshd.user}\n` +
            `pass = ${obscure(sshd.password)}\n`,
        );
        await must([
          "volume",
          "create",
          "-d",
          PLUGIN,
          "-o",
          `remote=shpsftp:${sftpRoot}`,
          "shpsftp",
        ]);
        volumes.push("shpsftp");
        await run(["-v", "shpsftp:/data", image, "sh", "-c", `echo "${sftpText}" > /data/s`]);
        assertEquals(await run(["-v", "shpsftp:/data:ro", image, "cat", "/data/s"]), sftpText);
        assertEquals(await Deno.readTextFile(`${sftpRoot}/s`), `${sftpText}\n`);
      });

      await t.step(
        'args="-v --log-file=…": disabled with volumes, set, enabled: volumes come back',
        async () => {
          const r = await docker(["plugin", "disable", PLUGIN]);
          assertEquals(r.code, 1, "volumes hold a reference to the plugin");
          match(r.stderr, /in use/);
          await must(["plugin", "disable", "-f", PLUGIN]);
          // Docker splits args on single spaces: two arguments.
          await must(["plugin", "set", PLUGIN, "args=-v --log-file=/data/cache/plugin.log"]);
          assertEquals(
            await must(["plugin", "inspect", "-f", "{{json .Settings.Args}}", PLUGIN]),
            '["-v","--log-file=/data/cache/plugin.log"]',
          );
          await must(["plugin", "enable", PLUGIN]);
          // Mounting needs the plugin to know the volume again: it restored its state file.
          assertEquals(await run(["-v", "shplocal:/data", image, "cat", "/data/m"]), localText);
          assertEquals(await run(["-v", "shpsftp:/data", image, "cat", "/data/s"]), sftpText);
          const log = await Deno.readTextFile(`${host.cache}/plugin.log`);
          match(log, /INFO {2}: Restoring 2 volumes from \/data\/cache\/docker-plugin\.state/);
          const listed = (await must(["volume", "ls", "-q", "--filter", `driver=${PLUGIN}`]))
            .split("\n").sort();
          assertEquals(listed, ["shplocal", "shpsftp"]);
        },
      );

      await t.step(
        'args="" (one empty argument from Docker) does not break the plugin',
        async () => {
          await must(["plugin", "disable", "-f", PLUGIN]);
          await must(["plugin", "set", PLUGIN, "args="]);
          assertEquals(
            await must(["plugin", "inspect", "-f", "{{json .Settings.Args}}", PLUGIN]),
            '[""]',
          );
          await must(["plugin", "enable", PLUGIN]);
          assertEquals(await run(["-v", "shplocal:/data", image, "cat", "/data/m"]), localText);
          await must(["volume", "rm", "shplocal", "shpsftp"]);
          volumes.length = 0;
          const state = JSON.parse(await Deno.readTextFile(`${host.cache}/docker-plugin.state`));
          assertEquals(state, []);
        },
      );
    } finally {
      for (const v of volumes) await docker(["volume", "rm", "-f", v]);
      await docker(["plugin", "disable", "-f", PLUGIN]);
      await docker(["plugin", "rm", "-f", PLUGIN]);
      await dockerd.stop();
      await sshd.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

/**
 * @module
 * End to end over SFTP with a real (private) dockerd, a private OpenSSH sshd on 127.0.0.1 and
 * the real `denoclone serve docker` process (the built artifact when `DENOCLONE_BIN` is set):
 *
 * - the getting-started command `docker volume create firstvolume -d <plugin> -o type=sftp
 *   -o sftp-host=… -o sftp-port=… -o sftp-user=… -o sftp-pass=<obscured> -o allow-other=true`;
 *   one container writes, another reads, and the file is on the sshd side; a container's
 *   slow upload goes on over a new connection when sshd is restarted under it;
 * - a crypt-over-SFTP volume defined in rclone.conf (`-o remote=mycrypt:`): what a container
 *   writes is ciphertext on the server and reads back in clear through Debian's `rclone` with
 *   the same rclone.conf, and what rclone writes is read by a container;
 * - a wrong password, a wrong host key (`known_hosts_file`) and a port nobody listens on fail at
 *   `docker volume create` with a clear error, and no secret appears in any error or in the
 *   plugin's log.
 *
 * dockerd finds the plugin by its socket `/run/docker/plugins/<name>.sock`; the name is unique
 * per run. The plugin is stopped by PID (SIGTERM, then SIGKILL) and no mount may remain.
 */

import { deepStrictEqual as assertEquals, match, ok as assert } from "node:assert/strict";
import { createHash } from "node:crypto";
import { callPlugin } from "../lib/plugin/admin_client.ts";
import { obscure } from "../lib/config/obscure.ts";
import { denocloneCommand } from "./helpers/cli.ts";
import { dockerUnavailable, ensureBusyboxImage, startDockerd } from "./helpers/dockerd.ts";
import { SSHD_TEST_USER, startSshd } from "./helpers/sshd.ts";
import { rcloneWithConf } from "./helpers/rclone.ts";
import { sodiumSshSupport } from "../lib/backends/sftp/ssh_sodium.ts";

/** The test user's home directory (its SFTP login directory), read from /etc/passwd. */
function home(): string {
  const line = Deno.readTextFileSync("/etc/passwd").split("\n").find((l) =>
    l.startsWith(`${SSHD_TEST_USER}:`)
  );
  const dir = line?.split(":")[5];
  if (!dir) throw new Error(`no home directory for ${SSHD_TEST_USER} in /etc/passwd`);
  return dir;
}
const CRYPT_PASSWORD = "docker crypt password 93f";
const CRYPT_SALT = "docker crypt salt 11a";
const WRONG_PASSWORD = "wrong-password-d0c";

function unavailable(): string | undefined {
  const why = dockerUnavailable();
  if (why) return why;
  for (const bin of ["/usr/sbin/sshd", "/usr/bin/rclone"]) {
    try {
      Deno.statSync(bin);
    } catch {
      return `${bin} is not installed`;
    }
  }
  return undefined;
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** FUSE mounts under `dir`, from /proc/self/mountinfo. */
async function fuseMountsUnder(dir: string): Promise<string[]> {
  const text = await Deno.readTextFile("/proc/self/mountinfo");
  return text.split("\n").filter((l) => l.includes(" - fuse")).map((l) => l.split(" ")[4]!)
    .filter((m) => m.startsWith(dir + "/"));
}

/** The expected output of busybox `seq 1 n`. */
function seqText(n: number): string {
  let s = "";
  for (let i = 1; i <= n; i++) s += `${i}\n`;
  return s;
}

Deno.test({
  name: "docker sftp e2e: getting-started SFTP volume, crypt over SFTP, create-time errors",
  ignore: unavailable() !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const sshd = await startSshd();
    const dir = await Deno.makeTempDir({ prefix: "dcsftp" });
    const driver = `dcsftp-${Deno.pid}`;
    const sock = `/run/docker/plugins/${driver}.sock`;
    const base = `${dir}/vols`;
    const conf = `${dir}/rclone.conf`;
    const pluginLog = `${dir}/plugin.log`;
    const tag = `${Deno.pid}-${Date.now()}`;
    const homeFile = `first-${tag}.txt`;
    const cryptRel = `denoclone-docker-crypt-${tag}`;
    const pass = obscure(sshd.password);
    const wrong = obscure(WRONG_PASSWORD);
    const cryptPass = obscure(CRYPT_PASSWORD);
    const cryptSalt = obscure(CRYPT_SALT);
    const secrets = [
      sshd.password,
      pass,
      WRONG_PASSWORD,
      wrong,
      CRYPT_PASSWORD,
      cryptPass,
      CRYPT_SALT,
      cryptSalt,
    ];

    // The crypt volume's remotes, as a user writes them; the SFTP dir lives in the login's home.
    const st = await Deno.stat(await sshd.newRoot());
    await Deno.mkdir(`${home()}/${cryptRel}`);
    await Deno.chown(`${home()}/${cryptRel}`, st.uid, st.gid);
    await Deno.writeTextFile(
      conf,
      [
        "[mysftp]",
        "type = sftp",
        `host = ${sshd.host}`,
        `port = ${sshd.port}`,
        `user = ${sshd.user}`,
        `pass = ${pass}`,
        `known_hosts_file = ${sshd.knownHostsFile}`,
        "",
        "[mycrypt]",
        "type = crypt",
        `remote = mysftp:${cryptRel}`,
        `password = ${cryptPass}`,
        `password2 = ${cryptSalt}`,
        "",
      ].join("\n"),
    );

    const plugin = denocloneCommand([
      "--config",
      conf,
      "--cache-dir",
      `${dir}/cache`,
      "-vv",
      "--log-file",
      pluginLog,
      "serve",
      "docker",
      "--socket-addr",
      sock,
      "--base-dir",
      base,
    ], { stdin: "null", stdout: "null", stderr: "piped" }).spawn();
    let pluginStderr = "";
    const drained = (async () => {
      const dec = new TextDecoder();
      for await (const c of plugin.stderr) pluginStderr += dec.decode(c, { stream: true });
    })().catch(() => {});
    let pluginExited = false;
    const pluginStatus = plugin.status.then((s) => {
      pluginExited = true;
      return s;
    });
    const pluginOutput = async () =>
      (await Deno.readTextFile(pluginLog).catch(() => "")) + pluginStderr;

    let dockerd: Awaited<ReturnType<typeof startDockerd>> | undefined;
    let status: Deno.CommandStatus | undefined;
    let left: string[] = [];
    try {
      const deadline = Date.now() + 30_000;
      for (;;) {
        assert(!pluginExited, `the plugin exited: ${await pluginOutput()}`);
        assert(Date.now() < deadline, `the plugin did not answer: ${await pluginOutput()}`);
        const r = await callPlugin(sock, "/Plugin.Activate", {}, { timeoutMs: 2000 }).catch(
          () => undefined,
        );
        if (r?.status === 200) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      dockerd = await startDockerd();
      const d = dockerd;
      const image = await ensureBusyboxImage(d);
      const docker = (args: string[]) => d.docker(args, { timeoutMs: 90_000 });
      const run = (args: string[]) => docker(["run", "--rm", "--network", "none", ...args]);
      const stderrs: string[] = [];

      await t.step("getting started: an SFTP volume written and read by containers", async () => {
        let r = await docker([
          "volume",
          "create",
          "firstvolume",
          "-d",
          driver,
          "-o",
          "type=sftp",
          "-o",
          `sftp-host=${sshd.host}`,
          "-o",
          `sftp-port=${sshd.port}`,
          "-o",
          `sftp-user=${sshd.user}`,
          "-o",
          `sftp-pass=${pass}`,
          "-o",
          "allow-other=true",
        ]);
        stderrs.push(r.stderr);
        assertEquals([r.code, r.stdout.trim()], [0, "firstvolume"], r.stderr);
        r = await run([
          "-v",
          "firstvolume:/data",
          image,
          "sh",
          "-c",
          `echo hello-${tag} > /data/${homeFile}`,
        ]);
        stderrs.push(r.stderr);
        assertEquals(r.code, 0, r.stderr);
        assertEquals(await Deno.readTextFile(`${home()}/${homeFile}`), `hello-${tag}\n`);
        r = await run(["-v", "firstvolume:/data", image, "cat", `/data/${homeFile}`]);
        stderrs.push(r.stderr);
        assertEquals([r.code, r.stdout], [0, `hello-${tag}\n`], r.stderr);
      });

      await t.step("a container's write survives an sshd restart", async () => {
        // 40 pieces of 256 KiB over about 4 s; sshd is stopped and started in the middle.
        const slow = `slow-${tag}.bin`;
        const writer = run([
          "-v",
          "firstvolume:/data",
          image,
          "sh",
          "-c",
          // One writer (cat) on the volume: with cache mode off every close of a shared
          // descriptor flushes the upload (as in rclone), so the slow source is a FIFO.
          "mkfifo /tmp/p; (i=0; while [ $i -lt 40 ]; do head -c 262144 /dev/urandom; " +
          "i=$((i+1)); sleep 0.1; done > /tmp/p) & " +
          `cat /tmp/p > /data/${slow} && wait && sha256sum /data/${slow}`,
        ]);
        let r: Awaited<typeof writer> | undefined;
        let done = false;
        let loginsBefore = Infinity;
        const logins = () =>
          Deno.readTextFileSync(`${sshd.dir}/sshd.log`).split("\n").filter((l) =>
            l.includes("Accepted password for")
          ).length;
        writer.then(() => done = true, () => done = true);
        try {
          // Wait until the upload is under way (its temp file grows on the server).
          const deadline = Date.now() + 30_000;
          const growing = async () => {
            for await (const e of Deno.readDir(home())) {
              if (!e.name.includes(slow)) continue;
              const size = await Deno.stat(`${home()}/${e.name}`).then((x) => x.size, () => 0);
              if (size >= 512 * 1024) return true;
            }
            return false;
          };
          while (!(await growing())) {
            if (done) {
              const w = await writer;
              assert(false, `the container ended first: ${w.code} ${w.stdout} ${w.stderr}`);
            }
            assert(Date.now() < deadline, "the container's upload never started");
            await new Promise((r) => setTimeout(r, 50));
          }
          loginsBefore = logins();
          await sshd.stop();
          await new Promise((r) => setTimeout(r, 500));
          await sshd.start();
        } finally {
          r = await writer;
        }
        stderrs.push(r.stderr);
        assertEquals(r.code, 0, r.stderr);
        const inContainer = r.stdout.split(/\s+/)[0];
        const onServer = await Deno.readFile(`${home()}/${slow}`);
        assertEquals(onServer.length, 40 * 262144);
        assertEquals(createHash("sha256").update(onServer).digest("hex"), inContainer);
        assert(logins() > loginsBefore, "the upload went on over a new SSH connection");
        await Deno.remove(`${home()}/${slow}`);
        r = await docker(["volume", "rm", "firstvolume"]);
        assertEquals(r.code, 0, r.stderr);
      });

      await t.step("crypt over SFTP from rclone.conf, read back with Debian's rclone", async () => {
        // The plugin keeps a volume's VFS between containers (as rclone does), and SFTP has no
        // change notification: a short dir cache time lets the reader see rclone's new file.
        let r = await docker([
          "volume",
          "create",
          "-d",
          driver,
          "-o",
          "remote=mycrypt:",
          "-o",
          "dir-cache-time=1s",
          "cryptvol",
        ]);
        stderrs.push(r.stderr);
        assertEquals([r.code, r.stdout.trim()], [0, "cryptvol"], r.stderr);
        r = await run([
          "-v",
          "cryptvol:/data",
          image,
          "sh",
          "-c",
          "mkdir -p /data/dir && echo secret-text > '/data/dir/file one.txt' && " +
          "seq 1 50000 > /data/dir/seq.txt",
        ]);
        stderrs.push(r.stderr);
        assertEquals(r.code, 0, r.stderr);
        // On the server: one encrypted directory name, no clear text anywhere.
        const top: string[] = [];
        for await (const e of Deno.readDir(`${home()}/${cryptRel}`)) top.push(e.name);
        assertEquals(top.length, 1, `server side: ${top}`);
        assert(top[0] !== "dir", "the directory name is encrypted");
        for await (const e of Deno.readDir(`${home()}/${cryptRel}/${top[0]}`)) {
          assert(!e.name.includes("seq") && !e.name.includes("file"), e.name);
          const raw = await Deno.readFile(`${home()}/${cryptRel}/${top[0]}/${e.name}`);
          assertEquals(new TextDecoder().decode(raw.subarray(0, 8)), "RCLONE\0\0");
        }
        const ls = await rcloneWithConf(conf, ["lsf", "-R", "mycrypt:"]);
        assertEquals(ls.code, 0, ls.out);
        assertEquals(ls.out.split("\n").filter((l) => l).sort(), [
          "dir/",
          "dir/file one.txt",
          "dir/seq.txt",
        ]);
        assertEquals(await rcloneWithConf(conf, ["cat", "mycrypt:dir/file one.txt"]), {
          code: 0,
          out: "secret-text\n",
        });
        const seq = await rcloneWithConf(conf, ["cat", "mycrypt:dir/seq.txt"]);
        assertEquals(seq.code, 0);
        assert(seq.out === seqText(50000), `rclone cat seq.txt: ${seq.out.length} bytes`);

        await Deno.writeTextFile(`${dir}/from-rclone.txt`, "written by rclone\n");
        const put = await rcloneWithConf(conf, [
          "copyto",
          `${dir}/from-rclone.txt`,
          "mycrypt:dir/r.txt",
        ]);
        assertEquals(put.code, 0, put.out);
        await new Promise((r) => setTimeout(r, 1500));
        r = await run(["-v", "cryptvol:/data", image, "cat", "/data/dir/r.txt"]);
        stderrs.push(r.stderr);
        assertEquals([r.code, r.stdout], [0, "written by rclone\n"], r.stderr);
        r = await docker(["volume", "rm", "cryptvol"]);
        assertEquals(r.code, 0, r.stderr);
      });

      await t.step("wrong password, wrong host key, dead port fail at create", async () => {
        const sftp = (host: string, port: number, pw: string, extra: string[] = []) => [
          "-o",
          "type=sftp",
          "-o",
          `sftp-host=${host}`,
          "-o",
          `sftp-port=${port}`,
          "-o",
          `sftp-user=${sshd.user}`,
          "-o",
          `sftp-pass=${pw}`,
          ...extra,
        ];
        const at = `couldn't connect to ${sshd.user}@127\\.0\\.0\\.1:`;
        const dead = freePort();
        const cases: [string, string[], RegExp][] = [
          [
            "badpass",
            sftp(sshd.host, sshd.port, wrong),
            new RegExp(`${at}${sshd.port}: authentication failed`),
          ],
          [
            "badhostkey",
            sftp(sshd.host, sshd.port, pass, [
              "-o",
              `sftp-known-hosts-file=${sshd.wrongKnownHostsFile}`,
            ]),
            new RegExp(`${at}${sshd.port}: host key verification failed: .*does not match`),
          ],
          [
            "deadport",
            sftp("127.0.0.1", dead, pass),
            new RegExp(`${at}${dead}: connection refused`),
          ],
        ];
        for (const [name, opts, want] of cases) {
          const started = Date.now();
          const r = await docker(["volume", "create", "-d", driver, ...opts, name]);
          stderrs.push(r.stderr);
          assert(r.code !== 0, `${name}: create must fail: ${r.stdout}`);
          match(r.stderr, /VolumeDriver\.Create/, name);
          match(r.stderr, want, name);
          assert(Date.now() - started < 60_000, `${name}: took ${Date.now() - started} ms`);
        }
        const ls = await docker(["volume", "ls", "--format", "{{.Name}}"]);
        const names = ls.stdout.split("\n").filter((n) => cases.some((c) => c[0] === n));
        assertEquals(names, [], "no volume is left from the failed creates");
      });

      await t.step("no secret in any docker error or in the plugin log", async () => {
        const log = await pluginOutput();
        match(log, /firstvolume/, "the plugin logged its requests");
        // The shipped bundle still finds ssh2's packet classes to hand them to libsodium.
        if (sodiumSshSupport().aes256gcm) {
          match(log, /cipher aes256-gcm@openssh\.com \(libsodium\)/, "SSH packets via libsodium");
        }
        for (const s of secrets) {
          assert(!log.includes(s), `a secret (${secrets.indexOf(s)}) is in the plugin log`);
          for (const e of stderrs) assert(!e.includes(s), `a secret is in a docker error: ${e}`);
        }
      });
    } finally {
      await dockerd?.stop();
      try {
        plugin.kill("SIGTERM");
      } catch {
        // Already gone.
      }
      const killer = setTimeout(() => {
        try {
          plugin.kill("SIGKILL");
        } catch {
          // Already gone.
        }
      }, 20_000);
      status = await pluginStatus;
      clearTimeout(killer);
      await drained;
      left = await fuseMountsUnder(dir);
      for (const m of left) {
        await new Deno.Command("umount", { args: ["-l", m], stderr: "null" }).output();
      }
      await sshd.close();
      await Deno.remove(`${home()}/${homeFile}`).catch(() => {});
      await Deno.remove(`${home()}/${cryptRel}`, { recursive: true }).catch(() => {});
      await Deno.remove(sock).catch(() => {});
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
    assertEquals(left, [], "no mount remains after the plugin stopped");
    assert(status?.success, `the plugin's exit after SIGTERM: ${status?.code}`);
  },
});

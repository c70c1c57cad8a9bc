/**
 * `scripts/install.sh` into a temp prefix and unit dir (no systemctl): the installed program
 * runs (version, and `serve docker` answering Activate on a unix socket), runs without
 * `--allow-all`, and the installed units are the repo's with ExecStart pointed at it.
 */
import { deepStrictEqual as assertEquals, match, ok } from "node:assert/strict";
import { callPlugin } from "../lib/plugin/admin_client.ts";

const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

async function run(cmd: string, args: string[], cwd = root) {
  const r = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  const dec = new TextDecoder();
  return { code: r.code, stdout: dec.decode(r.stdout), stderr: dec.decode(r.stderr) };
}

Deno.test("install.sh puts the program and the units in place; the program serves", async () => {
  const dir = await Deno.makeTempDir({ prefix: "shpi-" });
  try {
    const prefix = `${dir}/usr`;
    const units = `${dir}/units`;
    const r = await run("bash", [
      "scripts/install.sh",
      "--prefix",
      prefix,
      "--unit-dir",
      units,
      "--no-systemctl",
    ]);
    assertEquals(r.code, 0, r.stderr);
    match(r.stdout, /^installed .*\/usr\/bin\/denoclone \((single executable|bundle \+ Deno)/);
    const exe = `${prefix}/bin/denoclone`;
    const v = await run(exe, ["version"], dir);
    assertEquals(v.code, 0, v.stderr);
    match(v.stdout, /^denoclone v\d+\.\d+\.\d+/);
    // The launcher (bundle case) names its permissions; never all of them.
    const real = await Deno.realPath(exe);
    if (real.endsWith("/lib/denoclone/denoclone")) {
      const launcher = await Deno.readTextFile(real);
      ok(!/--allow-all|\s-A\s/.test(launcher), launcher);
      match(launcher, /--allow-ffi/);
    }
    const service = await Deno.readTextFile(`${units}/docker-volume-rclone.service`);
    const repoService = await Deno.readTextFile(`${root}/systemd/docker-volume-rclone.service`);
    assertEquals(service, repoService.replaceAll("/usr/local/bin/denoclone", exe));
    match(service, new RegExp(`^ExecStart=${exe} serve docker$`, "m"));
    assertEquals(
      await Deno.readTextFile(`${units}/docker-volume-rclone.socket`),
      await Deno.readTextFile(`${root}/systemd/docker-volume-rclone.socket`),
    );

    const sock = `${dir}/inst.sock`;
    const child = new Deno.Command(exe, {
      args: [
        "serve",
        "docker",
        "--socket-addr",
        sock,
        "--base-dir",
        `${dir}/vols`,
        "--config",
        `${dir}/rclone.conf`,
        "--cache-dir",
        `${dir}/cache`,
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      let answer = "";
      for (let i = 0; i < 200 && !answer; i++) {
        answer = await callPlugin(sock, "/Plugin.Activate", {}, { timeoutMs: 2000 })
          .then((a) => a.text, () => "");
        if (!answer) await new Promise((res) => setTimeout(res, 100));
      }
      assertEquals(answer, '{"Implements":["VolumeDriver"]}\n');
    } finally {
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      const status = await child.status;
      clearTimeout(killer);
      assertEquals(status.code, 0);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

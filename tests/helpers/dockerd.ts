/**
 * @module
 * A private Docker daemon for end-to-end tests: `dockerd` with its own data-root, exec-root,
 * pidfile and API socket under a temp dir (no iptables, no bridge, vfs storage, so it touches
 * nothing of the host's Docker), a `docker` runner bound to it, a busybox image built with
 * `docker import` from Debian's busybox-static (no registry), and a stop by PID.
 */

/** Result of a `docker` (or compose) command. */
export interface CmdResult {
  /** Exit code. */
  code: number;
  /** Standard output. */
  stdout: string;
  /** Standard error. */
  stderr: string;
}

/** A running private dockerd. */
export interface Dockerd {
  /** Temp dir holding everything of this daemon. */
  dir: string;
  /** `DOCKER_HOST` value, `unix://…/docker.sock`. */
  host: string;
  /** dockerd's PID. */
  pid: number;
  /** Runs `docker <args>` against this daemon. */
  docker(args: string[], opts?: { timeoutMs?: number }): Promise<CmdResult>;
  /** Runs any command with `DOCKER_HOST` pointing at this daemon. */
  run(cmd: string, args: string[], opts?: { timeoutMs?: number; cwd?: string }): Promise<CmdResult>;
  /** Stops dockerd by PID (TERM, then KILL after 20 s) and removes its temp dir. */
  stop(): Promise<void>;
}

/** Why dockerd can't run here, or undefined when it can (root, dockerd, docker, busybox). */
export function dockerUnavailable(): string | undefined {
  if (Deno.uid() !== 0) return "needs root";
  for (const bin of ["/usr/sbin/dockerd", "/bin/busybox"]) {
    try {
      Deno.statSync(bin);
    } catch {
      return `${bin} is not installed`;
    }
  }
  return undefined;
}

async function runCmd(
  cmd: string,
  args: string[],
  env: Record<string, string>,
  opts: { timeoutMs?: number; cwd?: string } = {},
): Promise<CmdResult> {
  const child = new Deno.Command(cmd, {
    args,
    env,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, opts.timeoutMs ?? 120_000);
  try {
    const out = await child.output();
    return {
      code: out.code,
      stdout: new TextDecoder().decode(out.stdout),
      stderr: new TextDecoder().decode(out.stderr),
    };
  } finally {
    clearTimeout(timer);
  }
}

function alive(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
}

async function detachMountsUnder(dir: string): Promise<void> {
  const text = await Deno.readTextFile("/proc/self/mountinfo");
  const points = text.split("\n").map((l) => l.split(" ")[4]).filter((p): p is string =>
    !!p && p.startsWith(dir + "/")
  ).sort((a, b) => b.length - a.length);
  for (const p of points) {
    await runCmd("umount", ["-l", p.replace(/\\040/g, " ")], {});
  }
}

/** Starts a private dockerd; resolves once `docker version` answers (30 s at most). */
export async function startDockerd(): Promise<Dockerd> {
  const dir = await Deno.makeTempDir({ prefix: "dkd" });
  const sock = `${dir}/docker.sock`;
  const host = `unix://${sock}`;
  const out = await Deno.open(`${dir}/dockerd.out`, { write: true, create: true });
  const log = await Deno.open(`${dir}/dockerd.log`, { write: true, create: true });
  const child = new Deno.Command("/usr/sbin/dockerd", {
    args: [
      "--data-root",
      `${dir}/data`,
      "--exec-root",
      `${dir}/exec`,
      "--pidfile",
      `${dir}/docker.pid`,
      "-H",
      host,
      "--iptables=false",
      "--ip6tables=false",
      "--bridge=none",
      "--storage-driver=vfs",
      "--userland-proxy=false",
      "--log-level=warn",
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // Drain dockerd's output into its log file so its pipes never fill up.
  const drain = Promise.all([
    child.stdout.pipeTo(out.writable).catch(() => {}),
    child.stderr.pipeTo(log.writable).catch(() => {}),
  ]);
  const env = { ...Deno.env.toObject(), DOCKER_HOST: host };
  const d: Dockerd = {
    dir,
    host,
    pid: child.pid,
    docker: (args, opts) => runCmd("docker", args, env, opts),
    run: (cmd, args, opts) => runCmd(cmd, args, env, opts),
    async stop() {
      if (alive(child.pid)) {
        Deno.kill(child.pid, "SIGTERM");
        const killer = setTimeout(() => {
          try {
            Deno.kill(child.pid, "SIGKILL");
          } catch { /* gone */ }
        }, 20_000);
        await child.status;
        clearTimeout(killer);
      } else {
        await child.status;
      }
      await drain;
      await detachMountsUnder(dir);
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (!alive(child.pid)) break;
    const r = await d.docker(["version", "--format", "{{.Server.Version}}"], { timeoutMs: 5000 });
    if (r.code === 0) return d;
    await new Promise((r) => setTimeout(r, 200));
  }
  const tail = await Deno.readTextFile(`${dir}/dockerd.log`).catch(() => "");
  await d.stop();
  throw new Error(`dockerd did not come up in 30s: ${tail.slice(-2000)}`);
}

/** Builds a busybox image with `docker import` (no registry) unless it exists. */
export async function ensureBusyboxImage(d: Dockerd, image = "local/busybox"): Promise<string> {
  if ((await d.docker(["image", "inspect", image])).code === 0) return image;
  const root = `${d.dir}/rootfs`;
  for (
    const sub of [
      "bin",
      "sbin",
      "usr/bin",
      "usr/sbin",
      "etc",
      "tmp",
      "proc",
      "sys",
      "dev",
      "root",
      "data",
    ]
  ) {
    await Deno.mkdir(`${root}/${sub}`, { recursive: true });
  }
  await Deno.chmod(`${root}/tmp`, 0o1777);
  await Deno.copyFile("/bin/busybox", `${root}/bin/busybox`);
  await Deno.chmod(`${root}/bin/busybox`, 0o755);
  const list = await runCmd("/bin/busybox", ["--list-full"], {});
  for (const applet of list.stdout.split("\n").filter((x) => x)) {
    const target = `${root}/${applet}`;
    await Deno.mkdir(target.slice(0, target.lastIndexOf("/")), { recursive: true });
    await Deno.symlink("/bin/busybox", target).catch(() => {});
  }
  await Deno.writeTextFile(`${root}/etc/passwd`, "root:x:0:0:root:/root:/bin/sh\n");
  await Deno.writeTextFile(`${root}/etc/group`, "root:x:0:\n");
  const tar = await runCmd("tar", ["-C", root, "-cf", `${d.dir}/rootfs.tar`, "."], {});
  if (tar.code !== 0) throw new Error(`tar failed: ${tar.stderr}`);
  const imp = await d.docker([
    "import",
    "-c",
    "ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin",
    "-c",
    'CMD ["/bin/sh"]',
    `${d.dir}/rootfs.tar`,
    image,
  ]);
  if (imp.code !== 0) throw new Error(`docker import failed: ${imp.stderr}`);
  await Deno.remove(root, { recursive: true });
  await Deno.remove(`${d.dir}/rootfs.tar`);
  return image;
}

/**
 * @module
 * A private OpenSSH sshd for integration tests: Debian's `/usr/sbin/sshd` in the foreground on
 * 127.0.0.1 with a free port, its own `sshd_config`, host keys and client keys generated in a
 * temp dir, and a system test user (`denoclone-sftp`, created with a password when missing).
 * The server can be stopped (listener and every session process, by PID) and started again on
 * the same port, for fault tests. Needs root and the `openssh-server` package.
 */

import { descendants } from "./proc_tree.ts";

/** The fixed login of the test user. */
export const SSHD_TEST_USER = "denoclone-sftp";
/** The password set on the test user (a throwaway account that only logs in over 127.0.0.1). */
export const SSHD_TEST_PASSWORD = "denoclone-test-pw-5e1";
/** The passphrase of the encrypted client key. */
export const SSHD_KEY_PASSPHRASE = "key-passphrase-7c2";

/** A running (or stopped) private sshd and everything a client needs to reach it. */
export interface SshdServer {
  /** Always `127.0.0.1`. */
  readonly host: string;
  /** The TCP port, kept across stop()/start(). */
  readonly port: number;
  /** The test user's login. */
  readonly user: string;
  /** The test user's password (plain). */
  readonly password: string;
  /** An unencrypted ed25519 private key (OpenSSH format) authorised for the user. */
  readonly keyFile: string;
  /** An encrypted ed25519 private key, passphrase {@link SSHD_KEY_PASSPHRASE}. */
  readonly encryptedKeyFile: string;
  /** A known_hosts file holding this server's host key for `[127.0.0.1]:port`. */
  readonly knownHostsFile: string;
  /** A known_hosts file naming this server with a different (wrong) host key. */
  readonly wrongKnownHostsFile: string;
  /** The temp dir holding config, keys and data. */
  readonly dir: string;
  /** PID of the listening sshd, or undefined while stopped. */
  readonly pid: number | undefined;
  /** PIDs of the session processes sshd forked (one or more per open connection). */
  sessions(): number[];
  /** Makes a fresh empty directory owned by the test user; returns its absolute path. */
  newRoot(): Promise<string>;
  /** Starts sshd again on the same port (no-op if running). */
  start(): Promise<void>;
  /** Stops sshd and kills every session process it forked (by PID). */
  stop(): Promise<void>;
  /** Stops sshd and removes the temp dir. */
  close(): Promise<void>;
}

const SSHD = "/usr/sbin/sshd";
const SETPRIV = "/usr/bin/setpriv";

async function run(cmd: string, args: string[], stdin?: string): Promise<string> {
  const c = new Deno.Command(cmd, {
    args,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  });
  const p = c.spawn();
  if (stdin !== undefined) {
    const w = p.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const out = await p.output();
  if (!out.success) {
    throw new Error(
      `${cmd} ${args.join(" ")} failed (${out.code}): ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return new TextDecoder().decode(out.stdout);
}

async function ensureUser(): Promise<{ uid: number; gid: number }> {
  // Test files run in parallel processes; useradd and chpasswd must not race on /etc/shadow.
  const lock = await Deno.open("/tmp/denoclone-sftp-user.lock", { create: true, write: true });
  try {
    await lock.lock(true);
    try {
      await run("id", ["-u", SSHD_TEST_USER]);
    } catch {
      await run("useradd", ["-m", "-s", "/bin/sh", SSHD_TEST_USER]);
    }
    await run("chpasswd", [], `${SSHD_TEST_USER}:${SSHD_TEST_PASSWORD}\n`);
    const uid = Number((await run("id", ["-u", SSHD_TEST_USER])).trim());
    const gid = Number((await run("id", ["-g", SSHD_TEST_USER])).trim());
    return { uid, gid };
  } finally {
    lock.close();
  }
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

function kill(pid: number, sig: Deno.Signal): void {
  try {
    Deno.kill(pid, sig);
  } catch {
    // Already gone.
  }
}

async function waitForBanner(port: number, deadlineMs: number): Promise<void> {
  const end = Date.now() + deadlineMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      try {
        const buf = new Uint8Array(64);
        const n = await conn.read(buf);
        if (n && new TextDecoder().decode(buf.subarray(0, n)).startsWith("SSH-")) return;
      } finally {
        conn.close();
      }
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`sshd did not start listening on 127.0.0.1:${port}: ${last}`);
}

/** Options of {@link startSshd}. */
export interface SshdOptions {
  /** Lines appended to the generated `sshd_config` (e.g. another `Subsystem`). */
  extraConfig?: string[];
}

/** Starts a private sshd; call `close()` in a `finally` block. */
export async function startSshd(opts: SshdOptions = {}): Promise<SshdServer> {
  try {
    await Deno.stat(SSHD);
  } catch {
    throw new Error(`${SSHD} is missing: install Debian's openssh-server package`);
  }
  const { uid, gid } = await ensureUser();
  const dir = await Deno.makeTempDir({ prefix: "denoclone-sshd-" });
  await Deno.chmod(dir, 0o755);
  await Deno.mkdir("/run/sshd", { recursive: true });
  const port = freePort();
  const keygen = (file: string, type: string, pass = "") =>
    run("ssh-keygen", ["-q", "-t", type, "-N", pass, "-C", "denoclone-test", "-f", file]);
  await keygen(`${dir}/host_ed25519`, "ed25519");
  await keygen(`${dir}/host_ecdsa`, "ecdsa");
  await keygen(`${dir}/other_host_ed25519`, "ed25519");
  await keygen(`${dir}/other_host_ecdsa`, "ecdsa");
  await keygen(`${dir}/client_ed25519`, "ed25519");
  await keygen(`${dir}/client_ed25519_enc`, "ed25519", SSHD_KEY_PASSPHRASE);
  await Deno.mkdir(`${dir}/authorized_keys`);
  const pub = (f: string) => Deno.readTextFile(`${dir}/${f}.pub`);
  await Deno.writeTextFile(
    `${dir}/authorized_keys/${SSHD_TEST_USER}`,
    (await pub("client_ed25519")) + (await pub("client_ed25519_enc")),
  );
  const hostLine = async (f: string) => {
    const [type, blob] = (await pub(f)).trim().split(/\s+/);
    return `[127.0.0.1]:${port} ${type} ${blob}\n`;
  };
  await Deno.writeTextFile(
    `${dir}/known_hosts`,
    (await hostLine("host_ed25519")) + (await hostLine("host_ecdsa")),
  );
  await Deno.writeTextFile(
    `${dir}/known_hosts_wrong`,
    (await hostLine("other_host_ed25519")) + (await hostLine("other_host_ecdsa")),
  );
  await Deno.mkdir(`${dir}/data`);
  await Deno.chmod(`${dir}/data`, 0o755);
  const config = [
    `Port ${port}`,
    "ListenAddress 127.0.0.1",
    `HostKey ${dir}/host_ed25519`,
    `HostKey ${dir}/host_ecdsa`,
    `PidFile ${dir}/sshd.pid`,
    `AuthorizedKeysFile ${dir}/authorized_keys/%u`,
    "StrictModes no",
    "UsePAM no",
    "PasswordAuthentication yes",
    "KbdInteractiveAuthentication no",
    "PubkeyAuthentication yes",
    "PermitRootLogin no",
    `AllowUsers ${SSHD_TEST_USER}`,
    "X11Forwarding no",
    "AllowTcpForwarding no",
    "PrintMotd no",
    "MaxStartups 100:30:200",
    "LogLevel VERBOSE",
    "Subsystem sftp /usr/lib/openssh/sftp-server",
    ...(opts.extraConfig ?? []),
    "",
  ].join("\n");
  await Deno.writeTextFile(`${dir}/sshd_config`, config);
  await run(SSHD, ["-t", "-f", `${dir}/sshd_config`]);

  let child: Deno.ChildProcess | undefined;
  let rootSeq = 0;
  const start = async () => {
    if (child) return;
    const args = ["-D", "-f", `${dir}/sshd_config`, "-E", `${dir}/sshd.log`];
    // setpriv execs sshd (same PID) with a parent-death signal, so a test process that is
    // killed never leaves a listening sshd behind.
    const setpriv = await Deno.stat(SETPRIV).then(() => true, () => false);
    child = new Deno.Command(setpriv ? SETPRIV : SSHD, {
      args: setpriv ? ["--pdeathsig", "KILL", SSHD, ...args] : args,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      await waitForBanner(port, 10_000);
    } catch (err) {
      await stop();
      throw err;
    }
  };
  const stop = async () => {
    const c = child;
    if (!c) return;
    child = undefined;
    for (const p of descendants(c.pid)) kill(p, "SIGKILL");
    kill(c.pid, "SIGTERM");
    const timer = setTimeout(() => kill(c.pid, "SIGKILL"), 5000);
    try {
      await c.status;
    } finally {
      clearTimeout(timer);
    }
    // Session processes reparented before we looked are still children of nobody we know;
    // the descendants pass above ran while the listener was alive, so none can remain.
  };
  await start();
  return {
    host: "127.0.0.1",
    port,
    user: SSHD_TEST_USER,
    password: SSHD_TEST_PASSWORD,
    keyFile: `${dir}/client_ed25519`,
    encryptedKeyFile: `${dir}/client_ed25519_enc`,
    knownHostsFile: `${dir}/known_hosts`,
    wrongKnownHostsFile: `${dir}/known_hosts_wrong`,
    dir,
    get pid() {
      return child?.pid;
    },
    sessions() {
      return child ? descendants(child.pid) : [];
    },
    async newRoot() {
      const p = `${dir}/data/root${++rootSeq}`;
      await Deno.mkdir(p);
      await Deno.chown(p, uid, gid);
      return p;
    },
    start,
    stop,
    async close() {
      await stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** One sshd shared by the tests of a file: started on first use, closed by a closing test. */
export interface SharedSshd {
  /** The server, started by the first call. */
  get(): Promise<SshdServer>;
  /** Stops the server and removes its files (the file's last test calls this). */
  close(): Promise<void>;
}

/**
 * A lazily started {@link SharedSshd}. If a filtered run skips the closing test, the server is
 * killed by PID when the test file unloads.
 */
export function sharedSshd(): SharedSshd {
  let server: SshdServer | undefined;
  let starting: Promise<SshdServer> | undefined;
  return {
    get() {
      starting ??= startSshd().then((s) => {
        server = s;
        globalThis.addEventListener("unload", () => {
          if (server?.pid) Deno.kill(server.pid, "SIGKILL");
        });
        return s;
      });
      return starting;
    },
    async close() {
      await server?.close();
      server = undefined;
    },
  };
}

/**
 * @module
 * Mount-level fault test: `denoclone mount mysftp:dir` (the real CLI, a real FUSE mount, a
 * private OpenSSH sshd on 127.0.0.1) while sshd is stopped (listener and every session
 * process killed) and started again on the same port. A read and a write through the mount
 * that are in progress when sshd goes away resume on a new connection and deliver intact data;
 * an operation while sshd stays down fails with EIO once the low-level retries are spent (not
 * a hang, not "transport endpoint is not connected"), and no password reaches the mount's log;
 * afterwards the mounted file system keeps working for new reads and writes. The mount process
 * is stopped by PID.
 */

import { deepStrictEqual as assertEquals, match, ok as assert } from "node:assert/strict";
import { createHash } from "node:crypto";
import { denocloneCommand } from "./helpers/cli.ts";
import { IS_ROOT, isMounted, sh, waitFor } from "./helpers/mount.ts";
import { type SshdServer, startSshd } from "./helpers/sshd.ts";
import { obscure } from "../lib/config/obscure.ts";

const MiB = 1024 * 1024;
/** Size of the files moved while sshd restarts: long enough to cut them off in the middle. */
const SIZE = 24 * MiB;

function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let o = 0; o < n; o += 65536) crypto.getRandomValues(out.subarray(o, o + 65536));
  return out;
}

/** Stops sshd now and starts it again after `downMs`. */
async function restart(s: SshdServer, downMs: number): Promise<void> {
  await s.stop();
  await new Promise((r) => setTimeout(r, downMs));
  await s.start();
}

function logins(s: SshdServer): number {
  const log = Deno.readTextFileSync(`${s.dir}/sshd.log`);
  return log.split("\n").filter((l) => l.includes("Accepted password for")).length;
}

/** Resolves `p`, or rejects naming `what` after `ms`. */
async function within<T>(what: string, ms: number, p: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, rej) => {
        timer = setTimeout(() => rej(new Error(`${what}: no result within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Stops a `timeout …` child we started (by PID; it passes SIGTERM on to its command). */
function killChild(child: Deno.ChildProcess): void {
  try {
    child.kill("SIGTERM");
  } catch {
    // Already gone.
  }
}

Deno.test({
  name: "sftp mount: sshd restarted mid-read and mid-write; the mount keeps working",
  ignore: !IS_ROOT,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const s = await startSshd();
    const dir = await Deno.makeTempDir({ prefix: "denoclone-sftp-mount-" });
    const mnt = `${dir}/mnt`;
    const logFile = `${dir}/mount.log`;
    await Deno.mkdir(mnt);
    let mount: Deno.ChildProcess | undefined;
    let mountStatus: Promise<Deno.CommandStatus> | undefined;
    let passed = false;
    const results: boolean[] = [];
    // Each step needs a working mount: after a failure the rest are skipped (a hung handle
    // would make every later step wait for its own time limit).
    const step = async (name: string, fn: () => Promise<void>) => {
      results.push(await t.step({ name, ignore: !results.every((r) => r), fn }));
    };
    try {
      const root = await s.newRoot();
      const pass = obscure(s.password);
      const st = await Deno.stat(root);
      const data = randomBytes(SIZE);
      await Deno.writeFile(`${root}/big.bin`, data);
      // Never looked at before sshd goes down: listing it needs the server.
      await Deno.mkdir(`${root}/later`);
      await Deno.writeTextFile(`${root}/later/f.txt`, "later\n");
      for (const p of [`${root}/big.bin`, `${root}/later`, `${root}/later/f.txt`]) {
        await Deno.chown(p, st.uid, st.gid);
      }
      await Deno.writeTextFile(
        `${dir}/rclone.conf`,
        [
          "[mysftp]",
          "type = sftp",
          `host = ${s.host}`,
          `port = ${s.port}`,
          `user = ${s.user}`,
          `pass = ${pass}`,
          `known_hosts_file = ${s.knownHostsFile}`,
          "",
        ].join("\n"),
      );
      mount = denocloneCommand([
        "--config",
        `${dir}/rclone.conf`,
        "--cache-dir",
        `${dir}/cache`,
        "-vv",
        "--log-file",
        logFile,
        "mount",
        `mysftp:${root}`,
        mnt,
        "--vfs-cache-mode",
        "off",
      ], { stdin: "null", stdout: "null", stderr: "null" }).spawn();
      let exited = false;
      mountStatus = mount.status.then((st) => {
        exited = true;
        return st;
      });
      await waitFor(() => exited || isMounted(mnt), 30_000, `mount of ${mnt}`);
      assert(
        !exited,
        `denoclone mount exited: ${await Deno.readTextFile(logFile).catch(() => "")}`,
      );

      await step("a read through the mount survives an sshd restart", async () => {
        const before = logins(s);
        const cat = new Deno.Command("timeout", {
          args: ["-k", "2", "90", "cat", `${mnt}/big.bin`],
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        try {
          const hash = createHash("sha256");
          let got = 0;
          let restarted: Promise<void> | undefined;
          for await (const chunk of cat.stdout) {
            hash.update(chunk);
            got += chunk.length;
            if (!restarted && got >= 4 * MiB) restarted = restart(s, 1000);
          }
          await within("sshd restart", 20_000, restarted ?? Promise.resolve());
          const out = await within("cat", 90_000, cat.output());
          assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
          assert(restarted, "sshd was restarted while the read ran");
          assertEquals([got, hash.digest("hex")], [SIZE, sha256(data)]);
          assert(logins(s) > before, "the read reconnected");
        } finally {
          killChild(cat);
        }
      });

      await step("a read paused while sshd restarts carries on afterwards", async () => {
        // One open file: 1 MiB is read, the reader idles while sshd restarts (every request
        // in flight was answered before), then reads the rest from the same descriptor.
        const reader = new Deno.Command("timeout", {
          args: [
            "-k",
            "2",
            "90",
            "sh",
            "-c",
            "{ dd bs=1M count=1 iflag=fullblock status=none | sha256sum; echo paused >&2; " +
            `read -r go < '${dir}/go.fifo'; sha256sum; }< '${mnt}/big.bin'`,
          ],
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
        });
        await new Deno.Command("mkfifo", { args: [`${dir}/go.fifo`] }).output();
        const child = reader.spawn();
        try {
          const err = child.stderr.getReader();
          let text = "";
          while (!text.includes("paused")) {
            const { done, value } = await within("the first MiB", 60_000, err.read());
            if (done) break;
            text += new TextDecoder().decode(value);
          }
          assert(text.includes("paused"), text);
          err.releaseLock();
          await new Promise((r) => setTimeout(r, 500));
          await restart(s, 500);
          await within("the reader's go", 10_000, Deno.writeTextFile(`${dir}/go.fifo`, "go\n"));
          const out = await within("the rest of the file", 90_000, child.output());
          assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
          const sums = new TextDecoder().decode(out.stdout).split("\n").map((l) => l.slice(0, 64));
          assertEquals(sums.slice(0, 2), [
            sha256(data.subarray(0, MiB)),
            sha256(data.subarray(MiB)),
          ]);
        } finally {
          killChild(child);
        }
      });

      await step("a write through the mount survives an sshd restart", async () => {
        const before = logins(s);
        const up = randomBytes(SIZE);
        const writer = new Deno.Command("timeout", {
          args: ["-k", "2", "90", "sh", "-c", `cat > '${mnt}/up.bin'`],
          stdin: "piped",
          stdout: "null",
          stderr: "piped",
        }).spawn();
        try {
          const w = writer.stdin.getWriter();
          let restarted: Promise<void> | undefined;
          for (let off = 0; off < SIZE; off += 256 * 1024) {
            await within(
              "write to the mount",
              60_000,
              w.write(up.subarray(off, off + 256 * 1024)),
            );
            if (!restarted && off >= 4 * MiB) restarted = restart(s, 1000);
          }
          await w.close();
          await within("sshd restart", 20_000, restarted ?? Promise.resolve());
          const out = await within("writer", 90_000, writer.output());
          assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
          assert(logins(s) > before, "the write reconnected");
          // With cache mode off the upload has finished when close() returns.
          assertEquals(sha256(await Deno.readFile(`${root}/up.bin`)), sha256(up));
          const names: string[] = [];
          for await (const e of Deno.readDir(root)) names.push(e.name);
          assertEquals(names.sort(), ["big.bin", "later", "up.bin"], "no temp file is left");
        } finally {
          killChild(writer);
        }
      });

      await step(
        "while sshd stays down, operations fail with EIO after the retries, not a hang",
        async () => {
          const logBefore = (await Deno.readTextFile(logFile)).length;
          await s.stop();
          try {
            const started = Date.now();
            const r = await sh(`cat '${mnt}/later/f.txt'`, { timeoutSec: 60 });
            assert(r.code !== 0 && r.code !== 124, `cat must fail, not hang: ${r.code} ${r.out}`);
            match(r.err, /Input\/output error/);
            assert(!/not connected/.test(r.err), r.err);
            // The low-level retries (10, backoff up to 2 s) ran before giving up.
            assert(Date.now() - started >= 5_000, `gave up after ${Date.now() - started} ms`);
            const log = await Deno.readTextFile(logFile);
            // The debug log (-vv) names the server and why each reconnect failed.
            match(
              log.slice(logBefore),
              new RegExp(
                `reconnect to ${s.user}@127\\.0\\.0\\.1:${s.port} failed .*connection refused`,
              ),
            );
            assert(!log.includes(s.password), "password in the mount log");
            assert(!log.includes(pass), "obscured password in the mount log");
            assert(isMounted(mnt), "the mount survives");
          } finally {
            await s.start();
          }
        },
      );

      await step("after the faults the mount serves new reads and writes", async () => {
        const r = await sh(
          `set -e; cd '${mnt}'; ls; cat later/f.txt; echo after > after.txt; cat after.txt; ` +
            `sha256sum big.bin up.bin | cut -c1-64`,
          { timeoutSec: 60 },
        );
        assertEquals(r.code, 0, r.err);
        const lines = r.out.trim().split("\n");
        assertEquals(lines, [
          "big.bin",
          "later",
          "up.bin",
          "later",
          "after",
          sha256(data),
          sha256(await Deno.readFile(`${root}/up.bin`)),
        ]);
        assertEquals(await Deno.readTextFile(`${root}/after.txt`), "after\n");
      });
      passed = results.every((r) => r);
    } finally {
      if (!passed) {
        // Keep the evidence of a failure: the mount's log (no secrets: checked above).
        const log = await Deno.readTextFile(logFile).catch(() => "(no log)");
        console.error(
          `denoclone mount log (last lines):\n${log.split("\n").slice(-80).join("\n")}`,
        );
      }
      if (mount) {
        try {
          mount.kill("SIGTERM");
        } catch {
          // Already gone.
        }
        const timer = setTimeout(() => {
          try {
            mount!.kill("SIGKILL");
          } catch {
            // Already gone.
          }
        }, 10_000);
        await mountStatus;
        clearTimeout(timer);
      }
      if (isMounted(mnt)) {
        await new Deno.Command("umount", { args: ["-l", mnt], stderr: "null" }).output();
      }
      await s.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
    assert(!isMounted(mnt), "no mount is left behind");
  },
});

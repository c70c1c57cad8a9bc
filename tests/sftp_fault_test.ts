/**
 * @module
 * Fault tests of the sftp backend against a real sshd that is stopped (listener and every
 * session process killed) and restarted on the same port: reads and writes in progress resume
 * on a new connection and deliver intact data, idle connections that died are replaced
 * silently, a server that stays down gives a clear error, and `close()` ends every session.
 */

import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { createHash } from "node:crypto";
import type { Entry } from "../lib/backends/backend.ts";
import { SshConnectError } from "../lib/backends/sftp/ssh_connection.ts";
import type { SshdServer } from "./helpers/sshd.ts";
import { sftpTest } from "./sftp_fixtures.ts";
import { captureLog } from "./helpers/capture_log.ts";

const MiB = 1024 * 1024;

/** Stops sshd now and starts it again after `downMs` (returns when it is back). */
async function restart(s: SshdServer, downMs: number): Promise<void> {
  await s.stop();
  await new Promise((r) => setTimeout(r, downMs));
  await s.start();
}

async function logins(s: SshdServer): Promise<number> {
  const log = await Deno.readTextFile(`${s.dir}/sshd.log`);
  return log.split("\n").filter((l) => l.includes("Accepted password for")).length;
}

function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let o = 0; o < n; o += 65536) crypto.getRandomValues(out.subarray(o, o + 65536));
  return out;
}

function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

sftpTest("sftp fault: sshd restarted mid-read, the read resumes with intact data", async (t) => {
  const s = await t.sshd();
  const { backend: b, root } = await t.backend(s, {});
  const data = randomBytes(24 * MiB);
  await Deno.writeFile(`${root}/big.bin`, data);
  const before = await logins(s);
  const reader = (await b.read("big.bin")).getReader();
  const hash = createHash("sha256");
  let got = 0;
  let restarted: Promise<void> | undefined;
  const logs = await captureLog(async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      hash.update(value);
      got += value.length;
      if (!restarted && got >= 2 * MiB) restarted = restart(s, 500);
    }
    await restarted;
  });
  assert(/read of .*big\.bin.*resuming at byte \d+ on a new connection/.test(logs), logs);
  assertEquals(got, data.length);
  assertEquals(hash.digest("hex"), sha256(data));
  assert((await logins(s)) > before, "the read reconnected");
  // The backend keeps working after the restart.
  assertEquals((await b.list("")).map((e) => e.path), ["big.bin"]);
});

sftpTest("sftp fault: sshd restarted mid-write, the upload resumes and lands whole", async (t) => {
  const s = await t.sshd();
  const { backend: b, root } = await t.backend(s, {});
  const total = 24 * MiB;
  const data = randomBytes(total);
  const before = await logins(s);
  let sent = 0;
  let restarted: Promise<void> | undefined;
  const source = new ReadableStream<Uint8Array>({
    pull(c) {
      if (sent >= total) return c.close();
      const n = Math.min(256 * 1024, total - sent);
      c.enqueue(data.slice(sent, sent + n));
      sent += n;
      if (!restarted && sent >= 4 * MiB) restarted = restart(s, 500);
    },
  });
  let e: Entry | undefined;
  const logs = await captureLog(async () => {
    e = await b.write("up.bin", source, { size: total, mtimeMs: Date.UTC(2022, 1, 3) });
    await restarted;
  });
  assert(e);
  assert(/upload of "up\.bin".*resending \d+ unacknowledged chunks/.test(logs), logs);
  assertEquals(e.size, total);
  assertEquals(e.mtimeMs, Date.UTC(2022, 1, 3));
  assertEquals(sha256(await Deno.readFile(`${root}/up.bin`)), sha256(data));
  assert((await logins(s)) > before, "the upload reconnected");
  const names = [];
  for await (const d of Deno.readDir(root)) names.push(d.name);
  assertEquals(names, ["up.bin"], "no temp file is left behind");
});

sftpTest("sftp fault: idle connections killed by a restart are replaced silently", async (t) => {
  const s = await t.sshd();
  const { backend: b } = await t.backend(s, {});
  await b.mkdir("d");
  for (let i = 0; i < 3; i++) {
    await restart(s, 100);
    assertEquals((await b.list("")).map((e) => e.path), ["d"]);
    await b.write(`d/f${i}`, ReadableStream.from([new Uint8Array([i])]));
  }
  assertEquals((await b.list("d")).length, 3);
});

sftpTest(
  "sftp fault: a server that stays down is a clear error, then the backend recovers",
  async (t) => {
    const s = await t.sshd();
    const { backend: b } = await t.backend(s, {}, { lowLevelRetries: 2 });
    await b.mkdir("x");
    await s.stop();
    const err = await b.stat("x").then(() => undefined, (e) => e);
    assert(err instanceof SshConnectError, `got ${err}`);
    assert(err.message.includes(`127.0.0.1:${s.port}`), err.message);
    assert(err.message.includes("connection refused"), err.message);
    const werr = await b.write("y", ReadableStream.from([new Uint8Array(10)])).then(
      () => undefined,
      (e) => e,
    );
    assert(werr instanceof SshConnectError, `write while down: got ${werr}`);
    await s.start();
    assert((await b.stat("x")).isDir, "works again once the server is back");
  },
);

sftpTest("sftp fault: a connection that stops answering (network drop) is replaced", async (t) => {
  const s = await t.sshd();
  const { backend: b, root } = await t.backend(s, {}, { keepaliveMs: 300 });
  const data = randomBytes(8 * MiB);
  await Deno.writeFile(`${root}/f.bin`, data);
  const reader = (await b.read("f.bin")).getReader();
  const hash = createHash("sha256");
  let got = 0;
  const frozen: number[] = [];
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      hash.update(value);
      got += value.length;
      if (frozen.length === 0 && got >= MiB) {
        // Freeze the sessions: TCP stays up but nothing answers, as when a link drops.
        frozen.push(...s.sessions());
        for (const pid of frozen) Deno.kill(pid, "SIGSTOP");
      }
    }
  } finally {
    for (const pid of frozen) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
  }
  assert(frozen.length > 0, "sessions were frozen");
  assertEquals(got, data.length);
  assertEquals(hash.digest("hex"), sha256(data));
  assertEquals((await b.stat("f.bin")).size, data.length);
});

sftpTest(
  "sftp fault: parallel operations share a bounded pool and close() ends every session",
  async (t) => {
    const s = await t.sshd();
    const { backend: b } = await t.backend(s, {});
    await Promise.all(
      Array.from(
        { length: 40 },
        (_, i) => b.write(`p/${i}`, ReadableStream.from([new TextEncoder().encode(`file ${i}`)])),
      ),
    );
    const stats = await Promise.all(Array.from({ length: 40 }, (_, i) => b.stat(`p/${i}`)));
    assertEquals(
      stats.map((e) => e.size),
      Array.from({ length: 40 }, (_, i) => `file ${i}`.length),
    );
    assert(s.sessions().length > 0, "sessions are open");
    await b.close();
    const deadline = Date.now() + 5000;
    while (s.sessions().length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assertEquals(s.sessions(), [], "close() ended every SSH session");
    await b.stat("p/0").then(
      () => assert(false, "a closed backend refuses work"),
      (e) => assert(/closed/.test(String(e)), String(e)),
    );
  },
);

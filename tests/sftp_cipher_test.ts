/**
 * @module
 * Every transport cipher against a real OpenSSH sshd: a connection that negotiates
 * chacha20-poly1305 or aes256-gcm encrypts and decrypts with libsodium (`sodium_transport.ts`),
 * the others keep ssh2's ciphers, and with each of them a file of several MiB written over SFTP reads
 * back byte for byte, whole and in ranges (many packets, split across socket reads), with the
 * READs pipelined as the backend does.
 */

import { deepStrictEqual as assertEquals, ok as assert, strictEqual } from "node:assert/strict";
import { buildAuth } from "../lib/backends/sftp/auth.ts";
import { sodiumSshSupport } from "../lib/backends/sftp/ssh_sodium.ts";
import { chooseAlgorithms } from "../lib/backends/sftp/ssh_algorithms.ts";
import { sftpCall, SshConnection } from "../lib/backends/sftp/ssh_connection.ts";
import { obscure } from "../lib/config/obscure.ts";
import { patternBytes } from "./helpers/xorshift_bytes.ts";
import type { SshdServer } from "./helpers/sshd.ts";
import { sftpTest } from "./sftp_fixtures.ts";

async function connect(s: SshdServer, cipher: string): Promise<SshConnection> {
  return await SshConnection.open({
    host: s.host,
    port: s.port,
    user: s.user,
    auth: await buildAuth({ pass: obscure(s.password) }, {}),
    algorithms: chooseAlgorithms({
      ciphers: cipher,
      keyExchange: "",
      macs: "",
      hostKeyAlgorithms: "",
      useInsecureCipher: false,
    }),
    connectTimeoutMs: 10_000,
    keepaliveMs: 0,
  });
}

const support = sodiumSshSupport();
const CASES: [string, boolean][] = [
  ["chacha20-poly1305@openssh.com", support.chacha],
  ["aes256-gcm@openssh.com", support.aes256gcm],
  ["aes128-gcm@openssh.com", false],
  ["aes128-ctr", false],
];

sftpTest(
  "sftp ciphers: each one moves a file intact; libsodium decrypts where it can",
  async (t) => {
    const s = await t.sshd();
    const root = await s.newRoot();
    const data = patternBytes(5 * 1024 * 1024 + 4321, 77);
    for (const [cipher, sodium] of CASES) {
      const conn = await connect(s, cipher);
      t.track(conn);
      assertEquals(conn.sodium, { cipher: sodium, decipher: sodium }, cipher);
      const path = `${root}/f-${cipher}`;
      const w = await sftpCall.open(conn.sftp, path, "w");
      const chunk = 200 * 1024;
      const writes: Promise<void>[] = [];
      for (let at = 0; at < data.length; at += chunk) {
        writes.push(sftpCall.write(conn.sftp, w, at, data.subarray(at, at + chunk)));
      }
      await Promise.all(writes);
      await sftpCall.close(conn.sftp, w);
      const r = await sftpCall.open(conn.sftp, path, "r");
      const reads: Promise<Uint8Array>[] = [];
      for (let at = 0; at < data.length; at += chunk) {
        reads.push(sftpCall.read(conn.sftp, r, at, Math.min(chunk, data.length - at)));
      }
      const got = new Uint8Array(data.length);
      let at = 0;
      for (const part of await Promise.all(reads)) {
        got.set(part, at);
        at += part.length;
      }
      strictEqual(at, data.length, cipher);
      assert(got.every((b, i) => b === data[i]), `${cipher}: bytes differ`);
      const mid = await sftpCall.read(conn.sftp, r, 1_000_003, 77_777);
      assertEquals(Uint8Array.from(mid), data.subarray(1_000_003, 1_000_003 + 77_777), cipher);
      await sftpCall.close(conn.sftp, r);
      await conn.close();
    }
  },
);

/**
 * @module
 * Every transport cipher against a real OpenSSH sshd: a connection that negotiates
 * chacha20-poly1305 or aes256-gcm encrypts and decrypts with libsodium (`sodium_transport.ts`), the
 * others keep ssh2's ciphers, and with each of them a file of several MiB written over SFTP reads
 * back byte for byte, whole and in ranges (many packets, split across socket reads), with the READs
 * pipelined as the backend does. A rekey in the middle of a session (traffic queued during it)
 * carries on with libsodium under the new keys.
 */

import { deepStrictEqual as assertEquals, ok as assert, strictEqual } from "node:assert/strict";
import { Buffer } from "node:buffer";
// @ts-types="@types/ssh2"
import { Client, type SFTPWrapper } from "ssh2";
import { installSodiumTransport, sodiumInUse } from "../lib/backends/sftp/sodium_transport.ts";
import { sodiumSshSupport } from "../lib/backends/sftp/ssh_sodium.ts";
import { sftpCall } from "../lib/backends/sftp/ssh_connection.ts";
import { patternBytes } from "./helpers/xorshift_bytes.ts";
import { bareConnection, sftpTest } from "./sftp_fixtures.ts";

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
      const conn = await bareConnection(s, cipher);
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

sftpTest(
  "sftp ciphers: a rekey mid-session moves to new libsodium keys in both directions",
  async (t) => {
    const support = sodiumSshSupport();
    if (!support.chacha) return;
    const s = await t.sshd();
    const root = await s.newRoot();
    for (const cipher of CASES.filter(([, sodium]) => sodium).map(([c]) => c)) {
      const client = new Client();
      t.track({
        close: () => {
          client.destroy();
          return Promise.resolve();
        },
      });
      const handshakes: string[] = [];
      client.on("handshake", (n) => handshakes.push(n.sc.cipher));
      await new Promise<void>((resolve, reject) => {
        client.once("ready", resolve).once("error", reject);
        client.connect({
          host: s.host,
          port: s.port,
          username: s.user,
          password: s.password,
          algorithms: { cipher: [cipher as never] },
        });
        assert(installSodiumTransport((client as unknown as { _protocol: unknown })._protocol));
      });
      const proto = (client as unknown as { _protocol: { rekey(): void } })._protocol;
      assertEquals(sodiumInUse(proto), { cipher: true, decipher: true }, cipher);
      const sftp = await new Promise<SFTPWrapper>((resolve, reject) =>
        client.sftp((err, w) => err ? reject(err) : resolve(w))
      );
      const data = patternBytes(3 * 1024 * 1024, 5);
      const roundTrip = async (name: string) => {
        const path = `${root}/${name}`;
        const w = await sftpCall.open(sftp, path, "w");
        await sftpCall.write(sftp, w, 0, data);
        await sftpCall.close(sftp, w);
        const r = await sftpCall.open(sftp, path, "r");
        const parts: Promise<Uint8Array>[] = [];
        for (let at = 0; at < data.length; at += 65536) {
          parts.push(sftpCall.read(sftp, r, at, 65536));
        }
        const got = Buffer.concat(await Promise.all(parts));
        await sftpCall.close(sftp, r);
        assert(got.equals(data), `${cipher} ${name}: bytes differ`);
      };
      await roundTrip("before");
      const rekeyed = new Promise<void>((resolve) => client.once("handshake", () => resolve()));
      proto.rekey();
      // Traffic during the key exchange is queued by ssh2 and sent with the new keys.
      await Promise.all([rekeyed, roundTrip("during")]);
      await roundTrip("after");
      assertEquals(handshakes, [cipher, cipher]);
      assertEquals(sodiumInUse(proto), { cipher: true, decipher: true }, cipher);
      client.end();
    }
  },
);

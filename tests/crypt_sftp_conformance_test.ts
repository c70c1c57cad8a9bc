/**
 * @module
 * The backend conformance suite against `crypt` wrapping a real SFTP remote, both defined in an
 * rclone.conf the way users write them (`[mysftp] type = sftp …`, `[mycrypt] remote =
 * mysftp:dir`) and built through `newBackend`, with a private OpenSSH sshd on 127.0.0.1. The
 * SFTP root is a path relative to the login's home directory, as in rclone's examples.
 *
 * The large-file test uses 16 MiB instead of 256 MiB. Every byte goes through crypt's pure-JS
 * XSalsa20-Poly1305 and then ssh2's cipher on the client while sshd encrypts on the other end,
 * all on the 2 CI cores (a few tens of MiB/s end to end), so 256 MiB would cost well over ten
 * seconds per direction for nothing new. 16 MiB is 256 crypt blocks of 64 KiB (65,552 bytes on
 * the wire) carried in 32 KiB SFTP requests whose boundaries never line up with the crypt
 * blocks, so block reassembly across SFTP chunks, pipelining and the ranged read in the middle
 * of the file (a block-unaligned offset) are all exercised.
 *
 * A last test checks the same remotes with Debian's real `rclone`: what denoclone wrote is
 * listed and decrypted by rclone over SFTP, and what rclone wrote is read by denoclone.
 */

import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { createHash } from "node:crypto";
import { readBytes, runBackendSuite, utf8, writeBytes } from "./backend_conformance.ts";
import { sharedSshd, SSHD_TEST_USER, type SshdServer } from "./helpers/sshd.ts";
import "../lib/backends/all.ts";
import { newBackend } from "../lib/backends/new_backend.ts";
import { obscure } from "../lib/config/obscure.ts";
import { RcloneConf } from "../lib/config/rclone_conf.ts";
import { rcloneWithConf } from "./helpers/rclone.ts";

const NO_ENV: Record<string, string | undefined> = {};
const BIG = 16 * 1024 * 1024;
/** The test user's home directory (its SFTP login directory), read from /etc/passwd. */
function home(): string {
  const line = Deno.readTextFileSync("/etc/passwd").split("\n").find((l) =>
    l.startsWith(`${SSHD_TEST_USER}:`)
  );
  const dir = line?.split(":")[5];
  if (!dir) throw new Error(`no home directory for ${SSHD_TEST_USER} in /etc/passwd`);
  return dir;
}

const shared = sharedSshd();
let seq = 0;

function sshd(): Promise<SshdServer> {
  return shared.get();
}

/** A fresh dir under the test user's home (owned by it) and an rclone.conf naming it. */
async function setup(s: SshdServer): Promise<{ dir: string; rel: string; conf: RcloneConf }> {
  const rel = `denoclone-crypt-sftp-${Deno.pid}-${++seq}`;
  const root = await s.newRoot();
  // newRoot() gives an owned dir; reach it from the home dir by a relative path.
  const st = await Deno.stat(root);
  await Deno.mkdir(`${home()}/${rel}`);
  await Deno.chown(`${home()}/${rel}`, st.uid, st.gid);
  await Deno.remove(root);
  const dir = await Deno.makeTempDir({ prefix: "denoclone-crypt-sftp-conf-" });
  const conf = await RcloneConf.load(`${dir}/rclone.conf`, { env: NO_ENV });
  conf.set("mysftp", "type", "sftp");
  conf.set("mysftp", "host", s.host);
  conf.set("mysftp", "port", String(s.port));
  conf.set("mysftp", "user", s.user);
  conf.set("mysftp", "pass", obscure(s.password));
  conf.set("mysftp", "known_hosts_file", s.knownHostsFile);
  conf.set("mycrypt", "type", "crypt");
  conf.set("mycrypt", "remote", `mysftp:${rel}`);
  conf.set("mycrypt", "password", obscure("crypt over sftp password"));
  conf.set("mycrypt", "password2", obscure("crypt over sftp salt"));
  await conf.save();
  return { dir, rel, conf };
}

runBackendSuite("crypt over sftp", async () => {
  const s = await sshd();
  const { dir, rel, conf } = await setup(s);
  const backend = await newBackend("mycrypt:", { conf, env: NO_ENV });
  return {
    backend,
    async cleanup() {
      await backend.close?.();
      await Deno.remove(`${home()}/${rel}`, { recursive: true }).catch(() => {});
      await Deno.remove(dir, { recursive: true });
    },
  };
}, { bigFileBytes: BIG });

function rclone(args: string[], conf: string): Promise<{ code: number; out: string }> {
  return rcloneWithConf(conf, args, { RCLONE_CONFIG_PASS: "" });
}

Deno.test({
  name: "crypt over sftp: rclone reads what denoclone wrote and the other way round",
  ignore: (() => {
    try {
      Deno.statSync("/usr/bin/rclone");
      return false;
    } catch {
      return true;
    }
  })(),
  async fn() {
    const s = await sshd();
    const { dir, rel, conf } = await setup(s);
    const backend = await newBackend("mycrypt:", { conf, env: NO_ENV });
    try {
      const big = new Uint8Array(200_000).map((_, i) => (i * 7) & 0xff);
      await writeBytes(backend, "sub dir/ünï file.txt", "hello from denoclone\n");
      await writeBytes(backend, "sub dir/big.bin", big);
      // On the server only ciphertext: no clear name anywhere, data larger by the crypt header.
      const onServer: string[] = [];
      for await (const e of Deno.readDir(`${home()}/${rel}`)) onServer.push(e.name);
      assertEquals(onServer.length, 1);
      assert(!onServer[0]!.includes("sub"), `clear name on the server: ${onServer[0]}`);

      const ls = await rclone(["lsf", "-R", "mycrypt:"], conf.path);
      assertEquals(ls.code, 0, ls.out);
      assertEquals(ls.out.split("\n").filter((l) => l).sort(), [
        "sub dir/",
        "sub dir/big.bin",
        "sub dir/ünï file.txt",
      ]);
      const cat = await rclone(["cat", "mycrypt:sub dir/ünï file.txt"], conf.path);
      assertEquals(cat, { code: 0, out: "hello from denoclone\n" });
      const md5 = await rclone(["md5sum", "--download", "mycrypt:sub dir/big.bin"], conf.path);
      assertEquals(
        md5.out.split(/\s+/)[0],
        createHash("md5").update(big).digest("hex"),
        md5.out,
      );

      const local = `${dir}/from-rclone.txt`;
      await Deno.writeTextFile(local, "written by rclone\n");
      const put = await rclone(["copyto", local, "mycrypt:by rclone/x.txt"], conf.path);
      assertEquals(put.code, 0, put.out);
      assertEquals(await readBytes(backend, "by rclone/x.txt"), utf8("written by rclone\n"));
    } finally {
      await backend.close?.();
      await Deno.remove(`${home()}/${rel}`, { recursive: true }).catch(() => {});
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("crypt over sftp: stop the test sshd", async () => {
  await shared.close();
});

/**
 * @module
 * The randomized VFS-vs-model test over a real SFTP remote (OpenSSH sshd on 127.0.0.1, see
 * `helpers/sshd.ts`), plus a sequential-read check over the wire.
 */

import { assertBytes, assertEquals } from "./vfs_assert.ts";
import { sharedSshd, type SshdServer } from "./helpers/sshd.ts";
import { SftpBackend } from "../lib/backends/sftp/sftp.ts";
import { SFTP_OPTIONS } from "../lib/backends/sftp/sftp_options.ts";
import { defaultsOf } from "../lib/config/option_schema.ts";
import { obscure } from "../lib/config/obscure.ts";
import { O, Vfs } from "../lib/vfs/vfs.ts";
import { CountingBackend, patternBytes, putFile } from "./vfs_helpers.ts";
import { modelTest } from "./vfs_model.ts";

const shared = sharedSshd();

function sshd(): Promise<SshdServer> {
  return shared.get();
}

async function sftpRemote() {
  const s = await sshd();
  const root = await s.newRoot();
  const options = {
    ...defaultsOf(SFTP_OPTIONS),
    host: s.host,
    port: s.port,
    user: s.user,
    known_hosts_file: s.knownHostsFile,
    pass: obscure(s.password),
  };
  const backend = await SftpBackend.create({ root, options, name: `:sftp:${root}` });
  return {
    backend,
    async cleanup() {
      await backend.close();
      await Deno.remove(root, { recursive: true });
    },
  };
}

Deno.test("Vfs over sftp: sequential reads of 8 MiB use one remote stream", async () => {
  const { backend, cleanup } = await sftpRemote();
  try {
    const b = new CountingBackend(backend);
    const data = patternBytes(8 * 1024 * 1024, 11);
    await putFile(b, "big.bin", data);
    const vfs = new Vfs(b, {});
    const h = await vfs.open("big.bin", O.RDONLY);
    b.counts.read = 0;
    for (let off = 0; off < data.byteLength; off += 128 * 1024) {
      assertBytes(await h.read(off, 128 * 1024), data.subarray(off, off + 128 * 1024));
    }
    await h.release();
    assertEquals(b.counts.read, 1);
    await vfs.shutdown();
  } finally {
    await cleanup();
  }
});

// In minimal/writes modes uploads run in the background: the sftp backend must hide its
// in-flight `.<name>.<rand>.partial` upload files from listings (this test found that).
modelTest("sftp", sftpRemote, 1, ["off", "minimal", "writes"]);

Deno.test("Vfs over sftp: stop the test sshd", async () => {
  await shared.close();
});

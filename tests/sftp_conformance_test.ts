/**
 * @module
 * The shared backend conformance suite against a real OpenSSH sshd on 127.0.0.1, once with
 * password authentication and once with an ed25519 key file (hash commands disabled), both
 * checking the host key against a known_hosts file. (Encrypted keys are tested once in
 * `sftp_connect_test.ts`: their bcrypt KDF costs about half a second per backend.) The large-file test uses 32 MiB instead of 256 MiB: on the 2-core
 * CI machine ssh2 under Deno moves roughly 60–90 MiB/s each way (client and server share the
 * cores), so 256 MiB would take about 8 s per suite for no extra coverage; the chunking,
 * pipelining and reassembly paths are all exercised by 32 MiB (1024 chunks of 32 KiB).
 */

import { runBackendSuite } from "./backend_conformance.ts";
import { sharedSshd, type SshdServer } from "./helpers/sshd.ts";
import { SftpBackend } from "../lib/backends/sftp/sftp.ts";
import { SFTP_OPTIONS } from "../lib/backends/sftp/sftp_options.ts";
import { defaultsOf, type OptionValue } from "../lib/config/option_schema.ts";
import { obscure } from "../lib/config/obscure.ts";

const shared = sharedSshd();

function sshd(): Promise<SshdServer> {
  return shared.get();
}

function fixture(auth: (s: SshdServer) => Record<string, OptionValue>) {
  return async () => {
    const s = await sshd();
    const root = await s.newRoot();
    const options = {
      ...defaultsOf(SFTP_OPTIONS),
      host: s.host,
      port: s.port,
      user: s.user,
      known_hosts_file: s.knownHostsFile,
      ...auth(s),
    };
    const backend = await SftpBackend.create({ root, options, name: `:sftp:${root}` });
    return {
      backend,
      async cleanup() {
        await backend.close();
        await Deno.remove(root, { recursive: true });
      },
    };
  };
}

const BIG = 32 * 1024 * 1024;

runBackendSuite("sftp password", fixture((s) => ({ pass: obscure(s.password) })), {
  bigFileBytes: BIG,
});

runBackendSuite(
  "sftp key",
  fixture((s) => ({
    key_file: s.keyFile,
    disable_hashcheck: true,
  })),
  { bigFileBytes: BIG },
);

Deno.test("sftp conformance: stop the test sshd", async () => {
  await shared.close();
});

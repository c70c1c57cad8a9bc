/**
 * @module
 * Shared scaffolding of the sftp integration tests: {@link sftpTest} registers a `Deno.test`
 * with a time limit whose context starts private sshd servers and sftp backends and always
 * closes them (backends first, then servers, by PID), even when the test times out.
 */

import { buildAuth } from "../lib/backends/sftp/auth.ts";
import { SftpBackend, type SftpCreateOptions } from "../lib/backends/sftp/sftp.ts";
import { chooseAlgorithms } from "../lib/backends/sftp/ssh_algorithms.ts";
import { SshConnection } from "../lib/backends/sftp/ssh_connection.ts";
import { SFTP_OPTIONS } from "../lib/backends/sftp/sftp_options.ts";
import { defaultsOf, type OptionValue } from "../lib/config/option_schema.ts";
import { obscure } from "../lib/config/obscure.ts";
import { type SshdServer, startSshd } from "./helpers/sshd.ts";

/** What a test body gets. */
export interface SftpTestContext {
  /** Starts a private sshd that is closed after the test. */
  sshd(): Promise<SshdServer>;
  /** Creates a backend on a fresh root of `s` (password login, known_hosts checked). */
  backend(
    s: SshdServer,
    extra?: Record<string, OptionValue>,
    tuning?: Omit<SftpCreateOptions, "root" | "options" | "name">,
  ): Promise<{ backend: SftpBackend; root: string }>;
  /** Registers a backend created by the test itself so it is closed afterwards. */
  track(b: { close?(): Promise<void> }): void;
}

/** Default options for server `s`: password login, known_hosts checked, no hash commands. */
export function sftpOptions(
  s: SshdServer,
  extra: Record<string, OptionValue> = {},
): Record<string, OptionValue> {
  return {
    ...defaultsOf(SFTP_OPTIONS),
    host: s.host,
    port: s.port,
    user: s.user,
    pass: obscure(s.password),
    known_hosts_file: s.knownHostsFile,
    disable_hashcheck: true,
    ...extra,
  };
}

/** Registers a bounded sftp integration test (default limit 120 s). */
export function sftpTest(
  name: string,
  fn: (t: SftpTestContext) => Promise<void>,
  timeoutMs = 120_000,
): void {
  Deno.test(name, async () => {
    const servers: SshdServer[] = [];
    const closers: { close?(): Promise<void> }[] = [];
    const ctx: SftpTestContext = {
      async sshd() {
        const s = await startSshd();
        servers.push(s);
        return s;
      },
      async backend(s, extra = {}, tuning = {}) {
        const root = await s.newRoot();
        const backend = await SftpBackend.create({
          root,
          options: sftpOptions(s, extra),
          name: `:sftp:${root}`,
          ...tuning,
        });
        closers.push(backend);
        return { backend, root };
      },
      track(b) {
        closers.push(b);
      },
    };
    let timer: number | undefined;
    try {
      await Promise.race([
        fn(ctx),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`${name}: timed out after ${timeoutMs} ms`)),
            timeoutMs,
          ) as unknown as number;
        }),
      ]);
    } finally {
      clearTimeout(timer);
      for (const c of closers) await c.close?.().catch(() => {});
      for (const s of servers) await s.close();
    }
  });
}

/**
 * Opens a bare connection to `s` with password login, offering `ciphers` (rclone's
 * comma-separated `ciphers` option; empty: the default list).
 */
export async function bareConnection(s: SshdServer, ciphers = ""): Promise<SshConnection> {
  return await SshConnection.open({
    host: s.host,
    port: s.port,
    user: s.user,
    auth: await buildAuth({ pass: obscure(s.password) }, {}),
    algorithms: chooseAlgorithms({
      ciphers,
      keyExchange: "",
      macs: "",
      hostKeyAlgorithms: "",
      useInsecureCipher: false,
    }),
    connectTimeoutMs: 10_000,
    keepaliveMs: 0,
  });
}

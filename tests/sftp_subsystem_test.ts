/**
 * @module
 * rclone's `subsystem` and `server_command` options against a real sshd: another subsystem name
 * and an SFTP server started as a command both serve files, `set_env` reaches the command, and
 * an unknown subsystem, a missing command or a command that never answers SFTP is a clear,
 * bounded error naming the option and its value.
 */

import { deepStrictEqual as assertEquals, ok as assert, rejects } from "node:assert/strict";
import { buildAuth } from "../lib/backends/sftp/auth.ts";
import { SftpBackend } from "../lib/backends/sftp/sftp.ts";
import { chooseAlgorithms } from "../lib/backends/sftp/ssh_algorithms.ts";
import { SshConnectError, SshConnection } from "../lib/backends/sftp/ssh_connection.ts";
import type { OptionValue } from "../lib/config/option_schema.ts";
import { obscure } from "../lib/config/obscure.ts";
import { type SshdServer, startSshd } from "./helpers/sshd.ts";
import { sftpOptions, sftpTest } from "./sftp_fixtures.ts";

const SFTP_SERVER = "/usr/lib/openssh/sftp-server";

type Open = (extra: Record<string, OptionValue>) => Promise<SftpBackend>;

/**
 * A bounded test on its own sshd with `extraConfig` lines; backends made by `open` are closed
 * before the server.
 */
function withSshd(
  name: string,
  extraConfig: string[],
  fn: (s: SshdServer, open: Open) => Promise<void>,
): void {
  sftpTest(name, async () => {
    const s = await startSshd({ extraConfig });
    const backends: SftpBackend[] = [];
    try {
      await fn(s, async (extra) => {
        const root = await s.newRoot();
        const b = await SftpBackend.create({
          root,
          options: sftpOptions(s, extra),
          name: `:sftp:${root}`,
        });
        backends.push(b);
        return b;
      });
    } finally {
      for (const b of backends) await b.close().catch(() => {});
      await s.close();
    }
  });
}

const enc = new TextEncoder();

/** Writes a file, reads it back, lists the root: the session really serves files. */
async function roundTrip(b: SftpBackend, name: string, text: string): Promise<void> {
  await b.write(name, ReadableStream.from([enc.encode(text)]));
  const got = await new Response(await b.read(name)).text();
  assertEquals(got, text);
  const names = (await b.list("")).map((e) => `${e.path}:${e.size}`);
  assertEquals(names, [`${name}:${enc.encode(text).byteLength}`]);
}

async function sshdLog(s: SshdServer): Promise<string> {
  return await Deno.readTextFile(`${s.dir}/sshd.log`);
}

/** An SshConnectError whose message matches every pattern. */
function connectError(...patterns: RegExp[]): (err: unknown) => boolean {
  return (err: unknown) => {
    assert(err instanceof SshConnectError, String(err));
    for (const p of patterns) assert(p.test(err.message), `${p} not in: ${err.message}`);
    return true;
  };
}

withSshd(
  "sftp subsystem: another subsystem serves files; an unknown one is refused by name",
  [`Subsystem sftp-alt ${SFTP_SERVER}`],
  async (s, open) => {
    const b = await open({ subsystem: "sftp-alt" });
    await roundTrip(b, "alt.txt", "through sftp-alt");
    const log = await sshdLog(s);
    assert(/Starting session: subsystem 'sftp-alt'/.test(log), log);

    await rejects(
      open({ subsystem: "nope" }),
      connectError(/refused subsystem "nope" \(option "subsystem"\)/, /127\.0\.0\.1:/),
    );
    const err = await open({ subsystem: "nope" }).catch((e) => e);
    assertEquals((err as SshConnectError).kind, "config");
  },
);

withSshd(
  "sftp server_command: a command serves files and wins over subsystem; a missing one fails",
  [],
  async (s, open) => {
    // rclone ignores subsystem when server_command is set.
    const b = await open({ server_command: SFTP_SERVER, subsystem: "nope" });
    await roundTrip(b, "cmd.txt", "through an exec'd sftp-server");
    const log = await sshdLog(s);
    assert(/Starting session: command for/.test(log), log);
    assert(!/subsystem/.test(log), log);

    await rejects(
      open({ server_command: "/nonexistent/sftp-server" }),
      connectError(
        /command "\/nonexistent\/sftp-server" \(option "server_command"\)/,
        /exited with code 127 \(command not found\)/,
      ),
    );
  },
);

withSshd(
  "sftp server_command: set_env reaches the command, as in rclone",
  ["AcceptEnv DENOCLONE_*"],
  async (_s, open) => {
    const command =
      `test "$DENOCLONE_MARK" = yes && test "$DENOCLONE_MORE" = 2 && exec ${SFTP_SERVER}`;
    const setEnv = "DENOCLONE_MARK=yes DENOCLONE_MORE=2";
    const b = await open({ server_command: command, set_env: setEnv });
    await roundTrip(b, "env.txt", "env set");
    // Without the variables the command exits with 1 before speaking SFTP.
    await rejects(open({ server_command: command }), connectError(/exited with code 1 /));
    await rejects(
      open({ server_command: command, set_env: "DENOCLONE_MARK=yes" }),
      connectError(/exited with code 1 /),
    );
  },
);

withSshd(
  "sftp server_command: a command that never answers SFTP is a bounded error",
  [],
  async (s) => {
    const settings = {
      host: s.host,
      port: s.port,
      user: s.user,
      auth: await buildAuth({ pass: obscure(s.password) }, {}),
      algorithms: chooseAlgorithms({
        ciphers: "",
        keyExchange: "",
        macs: "",
        hostKeyAlgorithms: "",
        useInsecureCipher: false,
      }),
      connectTimeoutMs: 5_000,
      keepaliveMs: 0,
    };
    // cat swallows the SFTP INIT and never answers; it exits when the channel closes.
    const err = await SshConnection.open({ ...settings, serverCommand: "cat > /dev/null" })
      .catch((e) => e);
    connectError(/no SFTP answer .*"cat > \/dev\/null" \(option "server_command"\)/)(err);
    assertEquals((err as SshConnectError).kind, "timeout");
    // The same settings with the default subsystem connect (the server itself is fine).
    const conn = await SshConnection.open(settings);
    await conn.close();
  },
);

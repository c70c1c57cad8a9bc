import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import { parseSetEnv, validateSftpOptions } from "./sftp.ts";
import { SFTP_OPTIONS } from "./sftp_options.ts";
import { defaultsOf } from "../../config/option_schema.ts";

const base = { ...defaultsOf(SFTP_OPTIONS), host: "example.com" };

Deno.test("validateSftpOptions() names the missing or bad option", () => {
  validateSftpOptions(base);
  throws(() => validateSftpOptions({ ...base, host: "" }), /option "host" is required/);
  throws(() => validateSftpOptions({ ...base, port: 70000 }), /option "port"/);
  throws(() => validateSftpOptions({ ...base, shell_type: "fish" }), /option "shell_type"/);
  throws(() => validateSftpOptions({ ...base, chunk_size: 0 }), /option "chunk_size"/);
  throws(() => validateSftpOptions({ ...base, subsystem: "" }), /option "subsystem" is empty/);
  // rclone's subsystem and server_command are accepted (a server_command makes subsystem moot).
  validateSftpOptions({ ...base, subsystem: "other" });
  validateSftpOptions({ ...base, server_command: "sudo /usr/lib/openssh/sftp-server" });
  validateSftpOptions({ ...base, subsystem: "", server_command: "/x" });
});

Deno.test("parseSetEnv() reads rclone's space-separated VAR=value list", () => {
  assertEquals(parseSetEnv(""), {});
  assertEquals(parseSetEnv("LANG=C  TZ=UTC=x junk"), { LANG: "C", TZ: "UTC=x" });
});

/**
 * @module
 * The sftp backend's options with rclone's names and defaults (`--sftp-host`,
 * `RCLONE_SFTP_KEY_FILE`, `key_file_pass` obscured…). The algorithm lists (`ciphers`,
 * `key_exchange`, `macs`, `host_key_algorithms`) are space-separated as in rclone; empty means
 * denoclone's order tuned for Deno (see `ssh_algorithms.ts`).
 */

import type { OptionGroup } from "../../config/option_schema.ts";

function currentUser(): string {
  try {
    return Deno.env.get("USER") || Deno.env.get("LOGNAME") || "root";
  } catch {
    return "root";
  }
}

/** Every option of the sftp backend, declared once. */
export const SFTP_OPTIONS: OptionGroup = {
  id: "sftp",
  prefix: "sftp",
  options: [
    {
      name: "host",
      type: "string",
      default: "",
      help: "SSH host to connect to, e.g. example.com.",
    },
    {
      name: "user",
      type: "string",
      default: currentUser(),
      defaultText: "$USER",
      help: "SSH username.",
    },
    { name: "port", type: "int", default: 22, help: "SSH port number." },
    {
      name: "pass",
      type: "string",
      default: "",
      obscured: true,
      help: "SSH password, leave blank to use ssh-agent.",
    },
    {
      name: "key_pem",
      type: "string",
      default: "",
      sensitive: true,
      help: "Raw PEM-encoded private key on one line with \\n for line ends; overrides key_file.",
    },
    {
      name: "key_file",
      type: "string",
      default: "",
      help: "Path to PEM-encoded private key file (~ and env vars are expanded).",
    },
    {
      name: "key_file_pass",
      type: "string",
      default: "",
      obscured: true,
      help: "The passphrase to decrypt the PEM-encoded private key file.",
    },
    {
      name: "pubkey_file",
      type: "string",
      default: "",
      help: "Optional path to public key file (certificates are not supported).",
    },
    {
      name: "known_hosts_file",
      type: "string",
      default: "",
      advanced: true,
      help: "Optional path to known_hosts file; when set the server's host key must be in it.",
    },
    {
      name: "key_use_agent",
      type: "bool",
      default: false,
      help: "When set forces the usage of the ssh-agent.",
    },
    {
      name: "use_insecure_cipher",
      type: "bool",
      default: false,
      help: "Enable the use of insecure ciphers and key exchange methods.",
    },
    {
      name: "disable_hashcheck",
      type: "bool",
      default: false,
      help:
        "Disable the execution of SSH commands to determine if remote file hashing is available.",
    },
    {
      name: "ask_password",
      type: "bool",
      default: false,
      advanced: true,
      help:
        "Allow asking for SFTP password when needed (refused: denoclone runs non-interactively).",
    },
    {
      name: "path_override",
      type: "string",
      default: "",
      advanced: true,
      help: "Override path used by SSH shell commands.",
    },
    {
      name: "set_modtime",
      type: "bool",
      default: true,
      advanced: true,
      help: "Set the modified time on the remote if set.",
    },
    {
      name: "shell_type",
      type: "string",
      default: "",
      advanced: true,
      help: "The type of SSH shell on remote server, if any (none, unix, powershell, cmd).",
    },
    {
      name: "md5sum_command",
      type: "string",
      default: "",
      advanced: true,
      help: "The command used to read md5 hashes (empty = autodetect).",
    },
    {
      name: "sha1sum_command",
      type: "string",
      default: "",
      advanced: true,
      help: "The command used to read sha1 hashes (empty = autodetect).",
    },
    {
      name: "skip_links",
      type: "bool",
      default: false,
      advanced: true,
      help: "Set to skip any symlinks and any other non regular files.",
    },
    {
      name: "subsystem",
      type: "string",
      default: "sftp",
      advanced: true,
      help: "Specifies the SSH2 subsystem on the remote host.",
    },
    {
      name: "server_command",
      type: "string",
      default: "",
      advanced: true,
      help: "Specifies the path or command to run a sftp server on the remote host.",
    },
    {
      name: "use_fstat",
      type: "bool",
      default: false,
      advanced: true,
      help: "If set use fstat instead of stat.",
    },
    {
      name: "disable_concurrent_reads",
      type: "bool",
      default: false,
      advanced: true,
      help: "If set don't use concurrent reads.",
    },
    {
      name: "disable_concurrent_writes",
      type: "bool",
      default: false,
      advanced: true,
      help: "If set don't use concurrent writes.",
    },
    {
      name: "idle_timeout",
      type: "duration",
      default: 60_000,
      advanced: true,
      help: "Max time before closing idle connections (0 = never).",
    },
    {
      name: "chunk_size",
      type: "size",
      default: 32 * 1024,
      advanced: true,
      help: "Upload and download chunk size.",
    },
    {
      name: "concurrency",
      type: "int",
      default: 64,
      advanced: true,
      help: "The maximum number of outstanding requests for one file.",
    },
    {
      name: "set_env",
      type: "string",
      default: "",
      advanced: true,
      help: "Environment variables to pass to sftp and commands (space-separated VAR=value).",
    },
    {
      name: "ciphers",
      type: "string",
      default: "",
      advanced: true,
      help:
        "Space separated list of ciphers to be used for session encryption, ordered by preference.",
    },
    {
      name: "key_exchange",
      type: "string",
      default: "",
      advanced: true,
      help: "Space separated list of key exchange algorithms, ordered by preference.",
    },
    {
      name: "macs",
      type: "string",
      default: "",
      advanced: true,
      help:
        "Space separated list of MACs (message authentication code) algorithms, ordered by preference.",
    },
    {
      name: "host_key_algorithms",
      type: "string",
      default: "",
      advanced: true,
      help: "Space separated list of host key algorithms, ordered by preference.",
    },
  ],
};

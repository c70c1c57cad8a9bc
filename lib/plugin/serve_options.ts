/**
 * @module
 * The options of `serve docker` (spec §5.1), declared once: flags `--base-dir`,
 * `--socket-addr`, `--socket-gid`, `--forget-state`, `--no-spec`, env `RCLONE_BASE_DIR` etc.
 * `--spec-dir`, `--idle-grace` and `--unmount-deadline` are denoclone additions (advanced).
 */
import type { OptionGroup } from "../config/option_schema.ts";
import { DEFAULT_BASE_DIR, DEFAULT_SPEC_DIR } from "./api.ts";

/** The `serve docker` option group. */
export const SERVE_DOCKER_OPTIONS: OptionGroup = {
  id: "serve_docker",
  prefix: "",
  options: [
    {
      name: "base_dir",
      type: "string",
      default: DEFAULT_BASE_DIR,
      help: "Base directory for volumes",
    },
    {
      name: "socket_addr",
      type: "string",
      default: "",
      help:
        "Address <host:port> or absolute path of the unix socket (default /run/docker/plugins/rclone.sock)",
    },
    {
      name: "socket_gid",
      type: "int",
      default: -1,
      help: "GID for the unix socket",
      defaultText: "current process GID",
    },
    {
      name: "forget_state",
      type: "bool",
      default: false,
      help: "Skip restoring previous state",
    },
    {
      name: "no_spec",
      type: "bool",
      default: false,
      help: "Do not write spec file",
    },
    {
      name: "spec_dir",
      type: "string",
      default: DEFAULT_SPEC_DIR,
      help: "Directory of the spec file written for a TCP socket",
      advanced: true,
    },
    {
      name: "idle_grace",
      type: "duration",
      default: 15_000,
      help: "Keep a volume's VFS warm this long after its last unmount",
      advanced: true,
    },
    {
      name: "unmount_deadline",
      type: "duration",
      default: 10_000,
      help: "Wait this long for a busy mount to unmount before detaching it lazily",
      advanced: true,
    },
  ],
};

/**
 * @module
 * The mount option group (`MOUNT_OPTIONS`): rclone's `mount` options with their names and
 * defaults (`cmd/mountlib/mount.go`), usable as `denoclone mount` flags, `RCLONE_*` env vars and
 * Docker volume options. macOS/Windows-only options are accepted and ignored, as rclone does on
 * Linux.
 */

import type { OptionGroup } from "../config/option_schema.ts";

/** rclone's mount options (flag form `--attr-timeout`, env `RCLONE_ATTR_TIMEOUT`). */
export const MOUNT_OPTIONS: OptionGroup = {
  id: "mount",
  prefix: "",
  options: [
    {
      name: "debug_fuse",
      type: "bool",
      default: false,
      help: "Debug the FUSE internals - needs -v",
    },
    {
      name: "attr_timeout",
      type: "duration",
      default: 1000,
      help: "Time for which file/directory attributes are cached",
    },
    {
      name: "option",
      type: "list",
      default: [],
      short: "o",
      help: "Option for libfuse/WinFsp (repeat if required)",
      advanced: true,
    },
    {
      name: "fuse_flag",
      type: "list",
      default: [],
      help: "Flags or arguments to be passed direct to libfuse/WinFsp (repeat if required)",
      advanced: true,
    },
    {
      name: "daemon",
      type: "bool",
      default: false,
      help:
        "Run mount in background and exit parent process (as background output is suppressed, use --log-file with --log-format=pid,... to monitor)",
    },
    {
      name: "daemon_timeout",
      type: "duration",
      default: 0,
      help: "Time limit for rclone to respond to kernel (not supported on Linux)",
      advanced: true,
    },
    {
      name: "daemon_wait",
      type: "duration",
      default: 60_000,
      help: "Time to wait for ready mount from daemon (maximum time on Linux)",
    },
    {
      name: "default_permissions",
      type: "bool",
      default: false,
      help: "Makes kernel enforce access control based on the file mode",
    },
    {
      name: "allow_non_empty",
      type: "bool",
      default: false,
      help: "Allow mounting over a non-empty directory",
    },
    {
      name: "allow_root",
      type: "bool",
      default: false,
      help: "Allow access to root user (not supported on Linux, use --allow-other)",
      advanced: true,
    },
    {
      name: "allow_other",
      type: "bool",
      default: false,
      help: "Allow access to other users",
    },
    {
      name: "async_read",
      type: "bool",
      default: true,
      help: "Use asynchronous reads",
    },
    {
      name: "max_read_ahead",
      type: "size",
      default: 128 * 1024,
      help: "The number of bytes that can be prefetched for sequential reads",
    },
    {
      name: "write_back_cache",
      type: "bool",
      default: false,
      help: "Makes kernel buffer writes before sending them to rclone",
    },
    {
      name: "devname",
      type: "string",
      default: "",
      help: "Set the device name - default is remote:path",
    },
    {
      name: "mount_case_insensitive",
      type: "tristate",
      default: null,
      help: "Tell the OS the mount is case insensitive (true) or sensitive (false)",
      advanced: true,
    },
    {
      name: "direct_io",
      type: "bool",
      default: false,
      help: "Use Direct IO, disables caching of data",
    },
    {
      name: "volname",
      type: "string",
      default: "",
      help: "Set the volume name (supported on Windows and OSX only)",
      advanced: true,
    },
    {
      name: "noappledouble",
      type: "bool",
      default: true,
      help: "Ignore Apple Double (._) and .DS_Store files (supported on OSX only)",
      advanced: true,
    },
    {
      name: "noapplexattr",
      type: "bool",
      default: false,
      help: 'Ignore all "com.apple.*" extended attributes (supported on OSX only)',
      advanced: true,
    },
    {
      name: "network_mode",
      type: "bool",
      default: false,
      help:
        "Mount as remote network drive, instead of fixed disk drive (supported on Windows only)",
      advanced: true,
    },
  ],
};

/**
 * @module
 * The options of the `local` backend, with rclone's names, defaults and help. All are
 * accepted; the ones that matter on Linux are honoured (`copy_links`, `links`, `skip_links`,
 * `one_file_system`, `case_sensitive`, `case_insensitive`, `no_set_modtime`,
 * `unicode_normalization`). The rest (`nounc`, `no_preallocate`, `no_sparse`,
 * `no_check_updated`, `zero_size_links`, `encoding`) have no effect here.
 */

import type { OptionGroup } from "../../config/option_schema.ts";

/** Option group of the `local` backend (flags `--local-*`, env `RCLONE_LOCAL_*`). */
export const LOCAL_OPTIONS: OptionGroup = {
  id: "local",
  prefix: "local",
  options: [
    {
      name: "nounc",
      type: "bool",
      default: false,
      help: "Disable UNC (long path names) conversion on Windows.",
      advanced: true,
    },
    {
      name: "copy_links",
      type: "bool",
      default: false,
      short: "L",
      help: "Follow symlinks and copy the pointed to item.",
      advanced: true,
    },
    {
      name: "links",
      type: "bool",
      default: false,
      short: "l",
      help: "Translate symlinks to/from regular files with a '.rclonelink' extension.",
      advanced: true,
    },
    {
      name: "skip_links",
      type: "bool",
      default: false,
      help: "Don't warn about skipped symlinks.",
      advanced: true,
    },
    {
      name: "zero_size_links",
      type: "bool",
      default: false,
      help: "Assume the Stat size of links is zero (and read them instead) (deprecated).",
      advanced: true,
    },
    {
      name: "unicode_normalization",
      type: "bool",
      default: false,
      help: "Apply unicode NFC normalization to paths and filenames.",
      advanced: true,
    },
    {
      name: "no_check_updated",
      type: "bool",
      default: false,
      help: "Don't check to see if the files change during upload.",
      advanced: true,
    },
    {
      name: "one_file_system",
      type: "bool",
      default: false,
      short: "x",
      help: "Don't cross filesystem boundaries (unix/macOS only).",
      advanced: true,
    },
    {
      name: "case_sensitive",
      type: "bool",
      default: false,
      help: "Force the filesystem to report itself as case sensitive.",
      advanced: true,
    },
    {
      name: "case_insensitive",
      type: "bool",
      default: false,
      help: "Force the filesystem to report itself as case insensitive.",
      advanced: true,
    },
    {
      name: "no_preallocate",
      type: "bool",
      default: false,
      help: "Disable preallocation of disk space for transferred files.",
      advanced: true,
    },
    {
      name: "no_sparse",
      type: "bool",
      default: false,
      help: "Disable sparse files for multi-thread downloads.",
      advanced: true,
    },
    {
      name: "no_set_modtime",
      type: "bool",
      default: false,
      help: "Disable setting modtime.",
      advanced: true,
    },
    {
      name: "encoding",
      type: "string",
      default: "Slash,Dot",
      help: "The encoding for the backend.",
      advanced: true,
    },
  ],
};

/**
 * @module
 * The options of the `crypt` backend, with rclone's names, defaults and help
 * (`backend/crypt/crypt.go`). `password` and `password2` are stored obscured.
 */

import type { OptionGroup } from "../../config/option_schema.ts";

/** Option group of the `crypt` backend (flags `--crypt-*`, env `RCLONE_CRYPT_*`). */
export const CRYPT_OPTIONS: OptionGroup = {
  id: "crypt",
  prefix: "crypt",
  options: [
    {
      name: "remote",
      type: "string",
      default: "",
      help: 'Remote to encrypt/decrypt, e.g. "myremote:path/to/dir" (required).',
    },
    {
      name: "filename_encryption",
      type: "enum",
      default: "standard",
      choices: ["standard", "obfuscate", "off"],
      help: 'How to encrypt the filenames: standard, obfuscate or off (adds ".bin" only).',
    },
    {
      name: "directory_name_encryption",
      type: "bool",
      default: true,
      help: "Option to either encrypt directory names or leave them intact.",
    },
    {
      name: "password",
      type: "string",
      default: "",
      obscured: true,
      help: "Password or pass phrase for encryption (required, obscured).",
    },
    {
      name: "password2",
      type: "string",
      default: "",
      obscured: true,
      help: "Password or pass phrase for salt (obscured). Optional but recommended.",
    },
    {
      name: "server_side_across_configs",
      type: "bool",
      default: false,
      advanced: true,
      help: "Allow server-side operations to work across different crypt configs.",
    },
    {
      name: "show_mapping",
      type: "bool",
      default: false,
      advanced: true,
      help: "For all files listed show how the names encrypt.",
    },
    {
      name: "no_data_encryption",
      type: "bool",
      default: false,
      advanced: true,
      help: "Option to either encrypt file data or leave it unencrypted.",
    },
    {
      name: "pass_bad_blocks",
      type: "bool",
      default: false,
      advanced: true,
      help: "If set this will pass bad blocks through as all 0.",
    },
    {
      name: "strict_names",
      type: "bool",
      default: false,
      advanced: true,
      help: "Raise an error when crypt comes across a filename that can't be decrypted.",
    },
    {
      name: "filename_encoding",
      type: "enum",
      default: "base32",
      choices: ["base32", "base64", "base32768"],
      advanced: true,
      help: "How to encode the encrypted filename to text string: base32, base64 or base32768.",
    },
    {
      name: "suffix",
      type: "string",
      default: ".bin",
      advanced: true,
      help: 'Suffix of files when filename_encryption is off ("none" for no suffix).',
    },
  ],
};

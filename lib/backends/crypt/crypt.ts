/**
 * @module
 * Registers the `crypt` backend: reads its options, reveals the obscured passwords, derives
 * the keys and wraps the backend named by `remote` (any remote, e.g. `mysftp:secret`),
 * rooted at the encrypted form of this remote's root.
 */

import { reveal } from "../../config/obscure.ts";
import type { OptionValue } from "../../config/option_schema.ts";
import { addSecret } from "../../util/log.ts";
import { BackendConfigError, type BackendCreateContext, registerBackend } from "../registry.ts";
import { cleanPath } from "../_path.ts";
import { joinRemotePath } from "../_join_remote_path.ts";
import { CryptBackend } from "./crypt_backend.ts";
import { newCryptCipher } from "./crypt_cipher.ts";
import { CRYPT_OPTIONS } from "./crypt_options.ts";

/** Checks the options a crypt remote cannot work without; throws naming the option. */
export function validateCryptOptions(options: Record<string, OptionValue>): void {
  if (typeof options.remote !== "string" || options.remote === "") {
    throw new BackendConfigError(`crypt: option "remote" is required`);
  }
  if (typeof options.password !== "string" || options.password === "") {
    throw new BackendConfigError("password not set in config file");
  }
}

/** Reveals an obscured option; the error names the option, never the value. */
function revealOption(options: Record<string, OptionValue>, key: string): string {
  const v = options[key];
  if (typeof v !== "string" || v === "") return "";
  try {
    const clear = reveal(v);
    addSecret(clear);
    return clear;
  } catch (err) {
    throw new BackendConfigError(`failed to decrypt ${key}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** Builds a crypt backend from a registry context. */
export async function createCryptBackend(ctx: BackendCreateContext): Promise<CryptBackend> {
  const o = ctx.options;
  validateCryptOptions(o);
  const remote = o.remote as string;
  const selfName = ctx.name.slice(0, ctx.name.indexOf(":") + 1);
  if (selfName !== "" && selfName !== ":" && remote.startsWith(selfName)) {
    throw new BackendConfigError(
      "can't point crypt remote at itself - check the value of the remote setting",
    );
  }
  const cipher = await newCryptCipher({
    password: revealOption(o, "password"),
    password2: revealOption(o, "password2"),
    filenameEncryption: String(o.filename_encryption ?? "standard"),
    directoryNameEncryption: o.directory_name_encryption !== false,
    filenameEncoding: String(o.filename_encoding ?? "base32"),
    suffix: String(o.suffix ?? ".bin"),
  });
  const root = cleanPath(ctx.root);
  const wrapped = await ctx.newBackend(
    joinRemotePath(remote, cipher.names.encryptDirName(root)),
  );
  return new CryptBackend({
    wrapped,
    cipher,
    name: ctx.name,
    root: ctx.root,
    noDataEncryption: o.no_data_encryption === true,
    strictNames: o.strict_names === true,
    showMapping: o.show_mapping === true,
    passBadBlocks: o.pass_bad_blocks === true,
  });
}

registerBackend({
  type: "crypt",
  description: "Encrypt/Decrypt a remote",
  options: CRYPT_OPTIONS,
  validate: validateCryptOptions,
  create: createCryptBackend,
});

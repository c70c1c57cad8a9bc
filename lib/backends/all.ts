/**
 * @module
 * Makes the backend registry complete. Import this once (the CLI and `new_backend.ts` do)
 * before looking up backend types. The light backends (memory, alias) register at import;
 * local (libc FFI and its io_uring listing), SFTP (ssh2) and crypt (ciphers)
 * register lazily: their options are known now, their modules load the first time a remote of
 * that type is resolved, so the plugin daemon doesn't hold them while it has no volume of theirs.
 */

import "./memory.ts";
import "./alias.ts";
import { registerLazyBackend } from "./registry.ts";
import { LOCAL_OPTIONS } from "./local/local_options.ts";
import { SFTP_OPTIONS } from "./sftp/sftp_options.ts";
import { CRYPT_OPTIONS } from "./crypt/crypt_options.ts";

registerLazyBackend({
  type: "local",
  description: "Local Disk",
  options: LOCAL_OPTIONS,
  load: () => import("./local.ts"),
});
registerLazyBackend({
  type: "sftp",
  description: "SSH/SFTP",
  options: SFTP_OPTIONS,
  load: () => import("./sftp/sftp_register.ts"),
});
registerLazyBackend({
  type: "crypt",
  description: "Encrypt/Decrypt a remote",
  options: CRYPT_OPTIONS,
  load: () => import("./crypt/crypt.ts"),
});

/**
 * @module
 * Imports every backend module so each registers itself. Import this once (the CLI and
 * `new_backend.ts` do) before looking up backend types.
 */

import "./local.ts";
import "./memory.ts";
import "./alias.ts";
import "./sftp/sftp_register.ts";
import "./crypt/crypt.ts";

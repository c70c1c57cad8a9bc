/**
 * @module
 * Registers the sftp backend type with the backend registry (imported by
 * `lib/backends/all.ts`).
 */

import { BackendConfigError, registerBackend } from "../registry.ts";
import { SFTP_OPTIONS } from "./sftp_options.ts";
import { SftpBackend, validateSftpOptions } from "./sftp.ts";

registerBackend({
  type: "sftp",
  description: "SSH/SFTP",
  options: SFTP_OPTIONS,
  validate(options) {
    try {
      validateSftpOptions(options);
    } catch (err) {
      throw new BackendConfigError((err as Error).message, { cause: err });
    }
  },
  create: (ctx) => SftpBackend.create({ root: ctx.root, options: ctx.options, name: ctx.name }),
});

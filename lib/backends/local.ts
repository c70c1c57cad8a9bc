/**
 * @module
 * Registers the `local` backend (a directory on this machine) and re-exports its class and
 * option group.
 */

import { BackendConfigError, registerBackend } from "./registry.ts";
import { LOCAL_OPTIONS } from "./local/local_options.ts";
import { LocalBackend } from "./local/local_backend.ts";
import { checkEncoding } from "./_encoding.ts";

export { LOCAL_OPTIONS } from "./local/local_options.ts";
export { LINK_SUFFIX, LocalBackend, type LocalBackendOptions } from "./local/local_backend.ts";

registerBackend({
  type: "local",
  description: "Local Disk",
  options: LOCAL_OPTIONS,
  validate(options) {
    if (options.copy_links === true && options.links === true) {
      throw new BackendConfigError(`local: can't use "copy_links" and "links" together`);
    }
    checkEncoding(String(options.encoding ?? ""), "local");
  },
  create(ctx) {
    return Promise.resolve(
      new LocalBackend({ root: ctx.root, name: ctx.name, options: ctx.options }),
    );
  },
});

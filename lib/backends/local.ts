/**
 * @module
 * Registers the `local` backend (a directory on this machine) and re-exports its class and
 * option group.
 */

import { BackendConfigError, registerBackend } from "./registry.ts";
import { LOCAL_OPTIONS } from "./local/local_options.ts";
import { LocalBackend } from "./local/local_backend.ts";

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
  },
  create(ctx) {
    return Promise.resolve(
      new LocalBackend({ root: ctx.root, name: ctx.name, options: ctx.options }),
    );
  },
});

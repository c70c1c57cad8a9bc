/**
 * @module
 * denoclone's version, reported by `denoclone version` and sent as the SSH client ident.
 */

/** The version of this build (semver, without a leading `v`). */
export const VERSION = "0.1.0";

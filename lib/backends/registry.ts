/**
 * @module
 * The registry of backend types. Each backend module declares its options once as an
 * `OptionGroup` (prefix = type) and registers a {@link BackendInfo} at import time;
 * `lib/backends/all.ts` imports every backend module so the registry is complete.
 */

import type { Backend } from "./backend.ts";
import type { OptionGroup, OptionValue } from "../config/option_schema.ts";
import { UsageError } from "../errors.ts";

/** What a backend's factory receives. */
export interface BackendCreateContext {
  /** The path inside the remote (as parsed from `remote:path`; a local path for `local`). */
  root: string;
  /** Resolved option values, defaults filled; obscured options still obscured. */
  options: Record<string, OptionValue>;
  /** Display name of the remote, e.g. `mysftp:dir` or `:local:/data`; never holds secrets. */
  name: string;
  /** Creates another backend from a remote string (for wrapping backends: crypt, alias). */
  newBackend(remote: string): Promise<Backend>;
}

/** One registered backend type. */
export interface BackendInfo {
  /** The type name, as in `type = sftp` or `:sftp:`. */
  type: string;
  /** One-line description for listings. */
  description: string;
  /** The backend's options, declared once; `prefix` equals `type`. */
  options: OptionGroup;
  /**
   * Checks resolved option values without connecting (required options, conflicts); throws
   * an error naming the option. Called by `resolveRemote` and before `create`.
   */
  validate?(options: Record<string, OptionValue>): void;
  /** Creates a backend from resolved options. */
  create(ctx: BackendCreateContext): Promise<Backend>;
}

/** A second registration of the same type, or an info whose option prefix is not its type. */
export class RegistryError extends Error {
  /** Creates a registry error. */
  constructor(message: string) {
    super(message);
    this.name = "RegistryError";
  }
}

/**
 * A remote that cannot be built from its configuration: unknown remote or type, unknown or
 * invalid option, missing required option. The message names the remote or option (never a
 * secret value).
 */
export class BackendConfigError extends UsageError {
  /** Creates a configuration error (exit code 2 on the CLI). */
  constructor(message: string, options?: ErrorOptions) {
    super(message, 2, options);
    this.name = "BackendConfigError";
  }
}

const registry = new Map<string, BackendInfo>();

/** Registers a backend type; throws RegistryError on a duplicate type or a wrong prefix. */
export function registerBackend(info: BackendInfo): void {
  if (registry.has(info.type)) {
    throw new RegistryError(`backend type ${JSON.stringify(info.type)} is already registered`);
  }
  if (info.options.prefix !== info.type) {
    throw new RegistryError(
      `backend ${JSON.stringify(info.type)}: option prefix ${
        JSON.stringify(info.options.prefix)
      } must equal the type`,
    );
  }
  registry.set(info.type, info);
}

/** The registered backend of a type, or undefined. */
export function getBackendInfo(type: string): BackendInfo | undefined {
  return registry.get(type);
}

/** All registered backends, sorted by type. */
export function listBackends(): BackendInfo[] {
  return [...registry.values()].sort((a, b) => a.type < b.type ? -1 : a.type > b.type ? 1 : 0);
}

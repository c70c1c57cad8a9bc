/**
 * @module
 * The registry of backend types. Each backend module declares its options once as an
 * `OptionGroup` (prefix = type) and registers a {@link BackendInfo} at import time;
 * `lib/backends/all.ts` makes the registry complete. Heavy backends (SFTP pulls in ssh2, crypt
 * its ciphers, local Node's `fs` and `path`) register lazily there with {@link registerLazyBackend}: their type, description
 * and options are known at once (flags, `-o` keys, `config`), and their module is imported the
 * first time a remote of that type is resolved ({@link loadBackendInfo}), so start-up and idle
 * memory don't pay for backends nobody uses.
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

/**
 * A second registration of the same type, an info whose option prefix is not its type, or a
 * lazily registered backend whose module failed to load.
 */
export class RegistryError extends Error {
  /** Creates a registry error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
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

/** A backend type whose module is imported on first use; see {@link registerLazyBackend}. */
export interface LazyBackendInfo {
  /** The type name. */
  type: string;
  /** One-line description for listings. */
  description: string;
  /** The backend's options (the same constant its module registers). */
  options: OptionGroup;
  /** Imports the backend's module, which calls {@link registerBackend} for this type. */
  load(): Promise<unknown>;
}

const registry = new Map<string, BackendInfo>();
const lazy = new Map<string, { load(): Promise<unknown>; loading?: Promise<void> }>();

/**
 * Registers a backend type; throws RegistryError on a duplicate type or a wrong prefix. A
 * type registered with {@link registerLazyBackend} is replaced by its full registration.
 */
export function registerBackend(info: BackendInfo): void {
  if (registry.has(info.type) && !lazy.has(info.type)) {
    throw new RegistryError(`backend type ${JSON.stringify(info.type)} is already registered`);
  }
  lazy.delete(info.type);
  checkPrefix(info);
  registry.set(info.type, info);
}

/**
 * Registers a backend type whose module is imported the first time it is needed:
 * {@link loadBackendInfo} (used when a remote is resolved) or the placeholder's `create`.
 * Until then {@link getBackendInfo} answers with the type, description and options. A type
 * whose module was imported already (and registered itself) is left as it is.
 */
export function registerLazyBackend(info: LazyBackendInfo): void {
  if (lazy.has(info.type)) {
    throw new RegistryError(`backend type ${JSON.stringify(info.type)} is already registered`);
  }
  if (registry.has(info.type)) return;
  checkPrefix(info);
  lazy.set(info.type, { load: info.load });
  registry.set(info.type, {
    type: info.type,
    description: info.description,
    options: info.options,
    // loadBackendInfo rejects unless the module replaced this placeholder.
    create: async (ctx) => (await loadBackendInfo(info.type))!.create(ctx),
  });
}

/**
 * The full registration of a backend type, importing its module first if it was registered
 * lazily; undefined for an unknown type. Concurrent calls share one import.
 */
export async function loadBackendInfo(type: string): Promise<BackendInfo | undefined> {
  const l = lazy.get(type);
  if (l) {
    l.loading ??= l.load().then(() => {
      if (lazy.has(type)) {
        throw new RegistryError(`backend ${JSON.stringify(type)} did not register itself`);
      }
    }, (err) => {
      l.loading = undefined;
      throw new RegistryError(
        `cannot load backend ${JSON.stringify(type)}: ${(err as Error).message}`,
        { cause: err },
      );
    });
    await l.loading;
  }
  return registry.get(type);
}

function checkPrefix(info: { type: string; options: OptionGroup }): void {
  if (info.options.prefix !== info.type) {
    throw new RegistryError(
      `backend ${JSON.stringify(info.type)}: option prefix ${
        JSON.stringify(info.options.prefix)
      } must equal the type`,
    );
  }
}

/** The registered backend of a type, or undefined. */
export function getBackendInfo(type: string): BackendInfo | undefined {
  return registry.get(type);
}

/** All registered backends, sorted by type. */
export function listBackends(): BackendInfo[] {
  return [...registry.values()].sort((a, b) => a.type < b.type ? -1 : a.type > b.type ? 1 : 0);
}

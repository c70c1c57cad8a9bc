/**
 * @module
 * Registers the `alias` backend: a new name for a path on another remote. `alias:sub` with
 * `remote = other:dir` is `other:dir/sub`. The wrapper keeps its own type and name and passes
 * every call through to the backend it wraps.
 */

import type {
  Backend,
  Change,
  Entry,
  Features,
  HashType,
  ReadOptions,
  Usage,
  WriteOptions,
} from "./backend.ts";
import type { OptionGroup } from "../config/option_schema.ts";
import { BackendConfigError, registerBackend } from "./registry.ts";
import { joinRemotePath } from "./_join_remote_path.ts";

/** Option group of the `alias` backend. */
export const ALIAS_OPTIONS: OptionGroup = {
  id: "alias",
  prefix: "alias",
  options: [
    {
      name: "remote",
      type: "string",
      default: "",
      help: 'Remote or path to alias.\n\nCan be "myremote:path/to/dir", "myremote:bucket", ' +
        '"myremote:" or "/local/path".',
    },
  ],
};

/** A backend that forwards every call to another one under its own type and name. */
export class AliasBackend implements Backend {
  /** Always `alias`. */
  readonly type = "alias";
  /** Display name, e.g. `myalias:sub`. */
  readonly name: string;
  /** The root as given. */
  readonly root: string;
  /** The wrapped backend's features. */
  readonly features: Features;
  /** The wrapped backend. */
  readonly inner: Backend;
  /** Server-side move, when the wrapped backend has it. */
  readonly move?: (from: string, to: string) => Promise<Entry>;
  /** Server-side directory move, when the wrapped backend has it. */
  readonly moveDir?: (from: string, to: string) => Promise<void>;
  /** Sets a modification time, when the wrapped backend can. */
  readonly setModTime?: (path: string, mtimeMs: number) => Promise<void>;
  /** Usage, when the wrapped backend reports it. */
  readonly about?: () => Promise<Usage>;
  /** Change notification, when the wrapped backend has it. */
  readonly watch?: (onChange: (change: Change) => void, intervalMs: number) => () => void;
  /** Hashes, when the wrapped backend has them. */
  readonly hash?: (path: string, type: HashType) => Promise<string>;

  /** Wraps `inner` under the alias's name and root. */
  constructor(inner: Backend, name: string, root: string) {
    this.inner = inner;
    this.name = name;
    this.root = root;
    this.features = inner.features;
    if (inner.move) this.move = inner.move.bind(inner);
    if (inner.moveDir) this.moveDir = inner.moveDir.bind(inner);
    if (inner.setModTime) this.setModTime = inner.setModTime.bind(inner);
    if (inner.about) this.about = inner.about.bind(inner);
    if (inner.watch) this.watch = inner.watch.bind(inner);
    if (inner.hash) this.hash = inner.hash.bind(inner);
  }

  /** Lists through the wrapped backend. */
  list(dir: string): Promise<Entry[]> {
    return this.inner.list(dir);
  }

  /** Stats through the wrapped backend. */
  stat(path: string): Promise<Entry> {
    return this.inner.stat(path);
  }

  /** Reads through the wrapped backend. */
  read(path: string, options?: ReadOptions): Promise<ReadableStream<Uint8Array>> {
    return this.inner.read(path, options);
  }

  /** Writes through the wrapped backend. */
  write(path: string, data: ReadableStream<Uint8Array>, options?: WriteOptions): Promise<Entry> {
    return this.inner.write(path, data, options);
  }

  /** Creates a directory through the wrapped backend. */
  mkdir(path: string): Promise<void> {
    return this.inner.mkdir(path);
  }

  /** Removes a directory through the wrapped backend. */
  rmdir(path: string): Promise<void> {
    return this.inner.rmdir(path);
  }

  /** Removes a file through the wrapped backend. */
  remove(path: string): Promise<void> {
    return this.inner.remove(path);
  }

  /** Closes the wrapped backend. */
  async close(): Promise<void> {
    await this.inner.close?.();
  }
}

registerBackend({
  type: "alias",
  description: "Alias for an existing remote",
  options: ALIAS_OPTIONS,
  validate(options) {
    if (typeof options.remote !== "string" || options.remote === "") {
      throw new BackendConfigError(
        `alias: option "remote" is required (alias can't point to an empty remote)`,
      );
    }
  },
  async create(ctx) {
    const remote = ctx.options.remote;
    if (typeof remote !== "string" || remote === "") {
      throw new BackendConfigError(
        `alias ${ctx.name}: option "remote" is required (alias can't point to an empty remote)`,
      );
    }
    const inner = await ctx.newBackend(joinRemotePath(remote, ctx.root));
    return new AliasBackend(inner, ctx.name, ctx.root);
  },
});

/**
 * @module
 * The inode table of the FUSE adapter: node id ↔ VFS path, with the kernel's lookup counts.
 * A node lives while the kernel holds lookups of it (FORGET drops them); renames rewrite the
 * paths of a node and everything below it; an unlinked node is detached (its path no longer
 * resolves to it) but keeps its last attributes for open files.
 */

import { NotFoundError } from "../errors.ts";
import { ROOT_ID } from "./opcodes.ts";
import type { FuseAttr } from "./protocol.ts";

/** One known node. */
export interface InodeNode {
  /** Node id given to the kernel. */
  readonly ino: number;
  /** Current VFS path (`""` = root). */
  path: string;
  /** Lookups the kernel holds. */
  nlookup: number;
  /** True once unlinked/replaced: the path no longer names this node. */
  detached: boolean;
  /** The last attributes sent, for detached nodes that are still open. */
  lastAttr?: FuseAttr;
}

/** Maps node ids to paths and back. */
export class InodeTable {
  #byIno = new Map<number, InodeNode>();
  #byPath = new Map<string, InodeNode>();
  #next = ROOT_ID + 1;

  /** Creates a table holding only the root (`""`, node id 1, never forgotten). */
  constructor() {
    const root: InodeNode = { ino: ROOT_ID, path: "", nlookup: 1, detached: false };
    this.#byIno.set(ROOT_ID, root);
    this.#byPath.set("", root);
  }

  /** Number of nodes held (root included). */
  get size(): number {
    return this.#byIno.size;
  }

  /** The node of an id; throws NotFoundError (ENOENT) for an unknown id. */
  node(ino: number): InodeNode {
    const n = this.#byIno.get(ino);
    if (!n) throw new NotFoundError(`inode ${ino}`);
    return n;
  }

  /** The path of a node id; throws NotFoundError for unknown or detached nodes. */
  path(ino: number): string {
    const n = this.node(ino);
    if (n.detached) throw new NotFoundError(n.path);
    return n.path;
  }

  /** The node id of `path` without counting a lookup, if known. */
  peek(path: string): number | undefined {
    return this.#byPath.get(path)?.ino;
  }

  /** Counts one kernel lookup of `path`, creating its node if needed; returns the node id. */
  lookup(path: string): number {
    let n = this.#byPath.get(path);
    if (!n) {
      n = { ino: this.#next++, path, nlookup: 0, detached: false };
      this.#byIno.set(n.ino, n);
      this.#byPath.set(path, n);
    }
    n.nlookup++;
    return n.ino;
  }

  /** Drops `count` lookups of a node; it is removed when none remain (never the root). */
  forget(ino: number, count: number): void {
    const n = this.#byIno.get(ino);
    if (!n || ino === ROOT_ID) return;
    n.nlookup -= count;
    if (n.nlookup > 0) return;
    this.#byIno.delete(ino);
    if (this.#byPath.get(n.path) === n) this.#byPath.delete(n.path);
  }

  /** Detaches the node at `path` (after unlink/rmdir, or when a rename replaced it). */
  detach(path: string): void {
    const n = this.#byPath.get(path);
    if (!n || n.ino === ROOT_ID) return;
    n.detached = true;
    this.#byPath.delete(path);
  }

  /** Records a rename: the node at `from` and all nodes below it move under `to`. */
  rename(from: string, to: string): void {
    if (from === to) return;
    this.detach(to);
    const prefix = from + "/";
    const moved: InodeNode[] = [];
    for (const [p, n] of this.#byPath) {
      if (p === from || p.startsWith(prefix)) moved.push(n);
    }
    for (const n of moved) this.#byPath.delete(n.path);
    for (const n of moved) {
      const rest = n.path.slice(from.length);
      n.path = to + rest;
      const old = this.#byPath.get(n.path);
      if (old && old !== n) old.detached = true;
      this.#byPath.set(n.path, n);
    }
  }
}

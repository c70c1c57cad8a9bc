/**
 * @module
 * The tree the `memory` backend keeps its files in. As in rclone, every `memory` remote made
 * through the registry shares one process-wide store ({@link GLOBAL_MEMORY_STORE}), so two
 * volumes on `:memory:` see the same files; a backend built directly gets a fresh store.
 * File contents are kept as fixed-size blocks so a range read finds its block by division.
 */

import type { HashType } from "../backend.ts";

/** Size of the blocks file contents are stored in. */
export const MEMORY_BLOCK_BYTES = 1024 * 1024;

/** A stored file. Its blocks never change after creation (a write makes a new node). */
export interface MemFile {
  /** Node kind. */
  readonly kind: "file";
  /** Content: full blocks of {@link MEMORY_BLOCK_BYTES}, the last one possibly shorter. */
  readonly blocks: readonly Uint8Array[];
  /** Total size in bytes. */
  readonly size: number;
  /** Modification time, ms since the epoch. */
  mtimeMs: number;
  /** Hashes computed so far. */
  readonly hashes: Map<HashType, string>;
}

/** A stored directory. */
export interface MemDir {
  /** Node kind. */
  readonly kind: "dir";
  /** Modification time, ms since the epoch (updated when children change). */
  mtimeMs: number;
  /** Children by name. */
  readonly children: Map<string, MemNode>;
}

/** A node of the tree. */
export type MemNode = MemFile | MemDir;

/** Creates an empty directory node. */
export function newDir(mtimeMs = Date.now()): MemDir {
  return { kind: "dir", mtimeMs, children: new Map() };
}

/** An in-memory tree shared by the memory backends that use it. */
export class MemoryStore {
  /** The top directory; always exists. */
  readonly top: MemDir = newDir();
}

/** The store every registry-made `memory` remote of this process shares. */
export const GLOBAL_MEMORY_STORE: MemoryStore = new MemoryStore();

/** Collects a stream into blocks of {@link MEMORY_BLOCK_BYTES}, copying the bytes. */
export class BlockBuilder {
  #blocks: Uint8Array[] = [];
  #cur: Uint8Array | undefined;
  #used = 0;
  #size = 0;

  /** Bytes added so far. */
  get size(): number {
    return this.#size;
  }

  /** Appends a chunk (copied, so the caller may reuse its buffer). */
  add(chunk: Uint8Array): void {
    let off = 0;
    while (off < chunk.length) {
      if (!this.#cur) {
        this.#cur = new Uint8Array(MEMORY_BLOCK_BYTES);
        this.#used = 0;
      }
      const n = Math.min(chunk.length - off, MEMORY_BLOCK_BYTES - this.#used);
      this.#cur.set(chunk.subarray(off, off + n), this.#used);
      this.#used += n;
      off += n;
      if (this.#used === MEMORY_BLOCK_BYTES) {
        this.#blocks.push(this.#cur);
        this.#cur = undefined;
      }
    }
    this.#size += chunk.length;
  }

  /** Finishes and returns the blocks (the last one trimmed to its length). */
  finish(): Uint8Array[] {
    if (this.#cur) {
      this.#blocks.push(this.#cur.slice(0, this.#used));
      this.#cur = undefined;
    }
    return this.#blocks;
  }
}

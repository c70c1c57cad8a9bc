/**
 * @module
 * The VFS's registry of open file handles, and the "overlay" that makes open and not yet
 * uploaded files visible: a file being written shows its growing size, a new file shows up
 * before any data reaches the remote, and files the VFS cache holds show the cached size.
 * Handles whose name was unlinked (or replaced by a rename) leave the namespace but stay
 * tracked until released.
 */

import type { Entry } from "../backends/backend.ts";
import type { OpenHandle } from "./handle.ts";
import { isWithin, parentOf, rebase } from "./path_util.ts";

/** The cache's view of files not yet uploaded (satisfied by `VfsCache`). */
export interface PendingFiles {
  /** The entry of a file with changes not uploaded yet. */
  pendingEntry(path: string): Entry | undefined;
  /** The size of a file the cache has open or dirty. */
  cachedSize(path: string): number | undefined;
}

/** Open handles by path. */
export class OpenFiles {
  readonly #named = new Set<OpenHandle>();
  readonly #orphans = new Set<OpenHandle>();

  /** Starts tracking a handle under its current path. */
  add(h: OpenHandle): void {
    this.#named.add(h);
  }

  /** Stops tracking a released handle. */
  forget(h: OpenHandle): void {
    this.#named.delete(h);
    this.#orphans.delete(h);
  }

  /** Handles open on exactly `path`. */
  at(path: string): OpenHandle[] {
    return [...this.#named].filter((h) => h.path === path);
  }

  /** Handles open directly inside directory `dir`. */
  inDir(dir: string): OpenHandle[] {
    return [...this.#named].filter((h) => h.path !== "" && parentOf(h.path) === dir);
  }

  /** True if a handle is open anywhere below directory `dir`. */
  anyBelow(dir: string): boolean {
    return [...this.#named].some((h) => h.path !== dir && isWithin(h.path, dir));
  }

  /** Every tracked handle, named or orphaned. */
  all(): OpenHandle[] {
    return [...this.#named, ...this.#orphans];
  }

  /** Number of tracked handles. */
  get count(): number {
    return this.#named.size + this.#orphans.size;
  }

  /** The name `path` was unlinked or replaced: its handles leave the namespace. */
  detach(path: string): void {
    for (const h of this.at(path)) {
      h.unlinked?.();
      this.#named.delete(h);
      this.#orphans.add(h);
    }
  }

  /** Follows a rename of a file, or of a directory and everything below it. */
  retarget(from: string, to: string, isDir: boolean): void {
    for (const h of [...this.#named]) {
      if (isDir ? isWithin(h.path, from) : h.path === from) h.retarget?.(rebase(h.path, from, to));
    }
  }

  /**
   * The entry of `path` as the VFS shows it: the remote entry, replaced by the cache's pending
   * entry, with the size of open handles; a file that exists only as an open handle or in the
   * cache gets a synthetic entry (mtime `nowMs`).
   */
  overlay(
    path: string,
    remote: Entry | undefined,
    pending: PendingFiles | undefined,
    nowMs: number,
  ): Entry | undefined {
    if (remote?.isDir) return remote;
    let e = remote;
    if (pending) {
      const p = pending.pendingEntry(path);
      if (p) e = { ...p, path };
      const cached = pending.cachedSize(path);
      if (cached !== undefined) {
        e = e ? { ...e, size: cached } : { path, isDir: false, size: cached, mtimeMs: nowMs };
      }
    }
    let size: number | undefined;
    let open = false;
    for (const h of this.#named) {
      if (h.path !== path) continue;
      const s = h.currentSize?.();
      if (s !== undefined) {
        size = Math.max(size ?? 0, s);
        open = true;
      } else if (h.kind !== "read") {
        open = true;
      }
    }
    if (!open) return e;
    if (!e) return { path, isDir: false, size: size ?? 0, mtimeMs: nowMs };
    return size === undefined ? e : { ...e, size };
  }
}

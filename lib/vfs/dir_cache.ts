/**
 * @module
 * The directory listing cache: one listing per directory, kept for `dir_cache_time`, updated in
 * place by the VFS's own mutations and dropped on change notifications or `forgetDirCache()`.
 * Concurrent lookups of one directory share a single `backend.list` call; a listing that was
 * in flight while the directory changed is not stored (and is fetched again).
 */

import type { Backend, Entry } from "../backends/backend.ts";
import { baseName, isWithin, joinPath, parentOf } from "./path_util.ts";

/** One cached listing; every entry's `path` is the directory joined with its name (its key). */
interface CachedDir {
  entries: Map<string, Entry>;
  fetchedAt: number;
}

/** A directory listing cache over one backend. */
export class DirCache {
  readonly #backend: Backend;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #dirs = new Map<string, CachedDir>();
  readonly #inflight = new Map<string, Promise<Map<string, Entry>>>();
  readonly #epoch = new Map<string, number>();
  #listCalls = 0;

  /** Creates a cache that keeps listings for `ttlMs` (0 = always list again). */
  constructor(backend: Backend, ttlMs: number, now: () => number = Date.now) {
    this.#backend = backend;
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  /** How many `backend.list` calls this cache made (for status and tests). */
  get listCalls(): number {
    return this.#listCalls;
  }

  /** The children of `dir` by name, from the cache while fresh, else from the backend. */
  list(dir: string): Promise<Map<string, Entry>> {
    const hit = this.#dirs.get(dir);
    if (hit && this.#fresh(hit)) return Promise.resolve(hit.entries);
    const running = this.#inflight.get(dir);
    if (running) return running;
    const p = this.#fetch(dir).finally(() => this.#inflight.delete(dir));
    this.#inflight.set(dir, p);
    return p;
  }

  /** The cached children of `dir` if a fresh listing is held, without any backend call. */
  peek(dir: string): Map<string, Entry> | undefined {
    const hit = this.#dirs.get(dir);
    return hit && this.#fresh(hit) ? hit.entries : undefined;
  }

  /** Looks one path up through its parent's listing; undefined if absent. */
  async lookup(path: string): Promise<Entry | undefined> {
    const entries = await this.list(parentOf(path));
    return entries.get(baseName(path));
  }

  /** Records a new or changed entry in its parent's listing (if that listing is cached). */
  put(path: string, entry: Entry): void {
    const dir = parentOf(path);
    this.#bump(dir);
    const hit = this.#dirs.get(dir);
    if (hit) hit.entries.set(baseName(path), { ...entry, path });
  }

  /** Marks a freshly made directory as known-empty, saving one listing. */
  putEmptyDir(path: string): void {
    this.#bump(path);
    this.#dirs.set(path, { entries: new Map(), fetchedAt: this.#now() });
  }

  /** Removes a path from its parent's cached listing (and drops its own listings if a dir). */
  remove(path: string): void {
    const dir = parentOf(path);
    this.#bump(dir);
    this.#dirs.get(dir)?.entries.delete(baseName(path));
    this.invalidateTree(path);
  }

  /** Drops the cached listing of one directory. */
  invalidate(dir: string): void {
    this.#bump(dir);
    this.#dirs.delete(dir);
  }

  /** Drops the cached listings of a directory and everything below it. */
  invalidateTree(dir: string): void {
    for (const d of [...this.#dirs.keys(), ...this.#inflight.keys()]) {
      if (isWithin(d, dir)) this.invalidate(d);
    }
  }

  /** Drops every cached listing. */
  clear(): void {
    this.invalidateTree("");
  }

  #fresh(d: CachedDir): boolean {
    return this.#now() - d.fetchedAt < this.#ttlMs;
  }

  #bump(dir: string): void {
    this.#epoch.set(dir, (this.#epoch.get(dir) ?? 0) + 1);
  }

  async #fetch(dir: string): Promise<Map<string, Entry>> {
    for (let attempt = 0;; attempt++) {
      const before = this.#epoch.get(dir) ?? 0;
      const fetchedAt = this.#now();
      this.#listCalls++;
      const list = await this.#backend.list(dir);
      const entries = new Map<string, Entry>();
      for (const e of list) {
        const p = e.path;
        const slash = p.lastIndexOf("/");
        const name = slash < 0 ? p : p.slice(slash + 1);
        if (name === "") continue;
        // The backend's entry is kept as it is when its path already is `dir/name` (the usual
        // case): no new path string per entry, which listings of 10,000 files notice.
        const same = dir === "" ? slash < 0 : slash === dir.length && p.startsWith(dir);
        entries.set(name, same ? e : { ...e, path: joinPath(dir, name) });
      }
      if ((this.#epoch.get(dir) ?? 0) === before) {
        this.#dirs.set(dir, { entries, fetchedAt });
        return entries;
      }
      if (attempt >= 2) return entries;
    }
  }
}

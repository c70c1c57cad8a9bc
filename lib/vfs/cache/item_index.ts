/**
 * @module
 * The cache's items by remote path, with a count of items below every directory so that the
 * questions asked on each open ("is a cached file where a parent directory of this path must
 * be?", "are cached files below this path?") cost a few map lookups instead of a scan of
 * every item, and the items of each directory, so that a listing or rmdir looks only at the
 * directory's own items. It also remembers every directory that ever held items (or was found
 * in the cache trees): only there can a stale directory of the cache tree sit at a new file's
 * path.
 */

function parentOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

/** A path → value map that also counts the entries below each directory. */
export class ItemIndex<V> {
  #byPath = new Map<string, V>();
  #below = new Map<string, number>();
  #children = new Map<string, Map<string, V>>();
  #dirsUsed = new Set<string>();

  /** Number of entries. */
  get size(): number {
    return this.#byPath.size;
  }

  /** The value at `path`. */
  get(path: string): V | undefined {
    return this.#byPath.get(path);
  }

  /** Whether an entry exists at `path`. */
  has(path: string): boolean {
    return this.#byPath.has(path);
  }

  /** Every value (a live iterator; copy it before changing the index). */
  values(): IterableIterator<V> {
    return this.#byPath.values();
  }

  #count(path: string, delta: number): void {
    for (let dir = parentOf(path); dir !== ""; dir = parentOf(dir)) {
      if (delta > 0) this.#dirsUsed.add(dir);
      const n = (this.#below.get(dir) ?? 0) + delta;
      if (n > 0) this.#below.set(dir, n);
      else this.#below.delete(dir);
    }
  }

  /** Sets the value at `path`. */
  set(path: string, value: V): void {
    if (!this.#byPath.has(path)) this.#count(path, 1);
    this.#byPath.set(path, value);
    const dir = parentOf(path);
    let kids = this.#children.get(dir);
    if (!kids) this.#children.set(dir, kids = new Map());
    kids.set(path, value);
  }

  /** Removes the entry at `path`; true if there was one. */
  delete(path: string): boolean {
    if (!this.#byPath.delete(path)) return false;
    this.#count(path, -1);
    const dir = parentOf(path);
    const kids = this.#children.get(dir);
    if (kids?.delete(path) && kids.size === 0) this.#children.delete(dir);
    return true;
  }

  /** Removes everything. */
  clear(): void {
    this.#byPath.clear();
    this.#below.clear();
    this.#children.clear();
    this.#dirsUsed.clear();
  }

  /** Records that `dir` exists as a directory in the cache trees (e.g. found at start-up). */
  noteDir(dir: string): void {
    this.#dirsUsed.add(dir);
  }

  /**
   * Whether `path` ever held entries below it since this index was created or cleared, or was
   * noted with {@link noteDir}: only then may a directory have been left at `path`.
   */
  wasDir(path: string): boolean {
    return this.#dirsUsed.has(path);
  }

  /**
   * Values directly inside the directory `dir` (`""` = the root): a live iterator, so copy it
   * before changing the index.
   */
  children(dir: string): IterableIterator<V> {
    return (this.#children.get(dir) ?? new Map<string, V>()).values();
  }

  /** Whether any entry lies below the directory `path` (`""` = the root). */
  hasBelow(path: string): boolean {
    return path === "" ? this.#byPath.size > 0 : this.#below.has(path);
  }

  /** Values at or below `path`. */
  within(path: string): V[] {
    const out: V[] = [];
    const v = this.#byPath.get(path);
    if (v !== undefined) out.push(v);
    if (this.hasBelow(path)) {
      const prefix = path === "" ? "" : `${path}/`;
      for (const [p, x] of this.#byPath) if (p.startsWith(prefix)) out.push(x);
    }
    return out;
  }

  /** Values at the parent directories of `path` (files where a directory must be). */
  above(path: string): V[] {
    const out: V[] = [];
    for (let dir = parentOf(path); dir !== ""; dir = parentOf(dir)) {
      const v = this.#byPath.get(dir);
      if (v !== undefined) out.push(v);
    }
    return out;
  }
}

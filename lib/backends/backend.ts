/**
 * @module
 * The one interface every remote implements. Paths are relative to the backend's root, use
 * `/` as separator, have no leading or trailing slash, and `""` is the root itself. Backends
 * know nothing of the VFS or FUSE; they throw the typed errors of `lib/errors.ts`
 * (`NotFoundError`, `NotEmptyError`, `IsDirectoryError`, `NotDirectoryError`, `ExistsError`).
 */

/** One file or directory as a backend reports it. */
export interface Entry {
  /** Path relative to the backend root (`""` for the root). */
  path: string;
  /** True for a directory. */
  isDir: boolean;
  /** Size in bytes (0 for directories, or when unknown: see `sizeUnknown`). */
  size: number;
  /** Modification time in milliseconds since the epoch. */
  mtimeMs: number;
  /** Set when the size is not known until the object is read (e.g. some crypt/web objects). */
  sizeUnknown?: boolean;
  /** Hashes the backend already knows, keyed by hash type (lower-case hex). */
  hashes?: Partial<Record<HashType, string>>;
}

/** Hash types a backend may support, with rclone's names. */
export type HashType = "md5" | "sha1" | "sha256" | "crc32";

/** Options of a ranged read. */
export interface ReadOptions {
  /** First byte to return (default 0). */
  offset?: number;
  /** Number of bytes to return at most (default: to the end). */
  length?: number;
  /** Aborts the read; the stream errors and the remote request is cancelled. */
  signal?: AbortSignal;
}

/** Options of a streaming write. */
export interface WriteOptions {
  /** Modification time to set on the new object (ms since the epoch); default now. */
  mtimeMs?: number;
  /** Size in bytes when known in advance (lets some backends choose an upload method). */
  size?: number;
  /** Aborts the upload; the partial object must not become visible. */
  signal?: AbortSignal;
}

/** Space figures of a remote, in bytes; a missing field is unknown. */
export interface Usage {
  /** Total size. */
  total?: number;
  /** Bytes in use. */
  used?: number;
  /** Bytes free. */
  free?: number;
}

/** A change reported by a backend with change notification. */
export interface Change {
  /** Path that changed. */
  path: string;
  /** Whether the path is a directory (or unknown). */
  kind: "file" | "dir" | "unknown";
}

/** Which optional parts a backend has, and its fixed traits. */
export interface Features {
  /** Server-side rename of a file (`move`). */
  move: boolean;
  /** Server-side rename of a whole directory (`moveDir`). */
  moveDir: boolean;
  /** Changing a file's modification time without re-uploading (`setModTime`). */
  setModTime: boolean;
  /** Quota and usage (`about`). */
  about: boolean;
  /** Change notification (`watch`). */
  changeNotify: boolean;
  /** Hash types `hash` can compute. */
  hashes: HashType[];
  /** Modification time precision in milliseconds (0 = exact to the ns, Infinity = none kept). */
  precisionMs: number;
  /** Whether empty directories exist on their own (false for bucket stores). */
  canHaveEmptyDirs: boolean;
  /** Whether names differing only in case are the same object. */
  caseInsensitive: boolean;
}

/** A remote: a place files live in, behind one uniform interface. */
export interface Backend {
  /** The backend type name (`local`, `memory`, `sftp`, `crypt`…). */
  readonly type: string;
  /** The rclone-style name of this remote, e.g. `:local:/data` or `mysftp:dir` (no secrets). */
  readonly name: string;
  /** The root this backend was created on, as given (for messages). */
  readonly root: string;
  /** Optional capabilities and traits. */
  readonly features: Features;

  /** Lists a directory's direct children. Throws NotFoundError / NotDirectoryError. */
  list(dir: string): Promise<Entry[]>;
  /** Stats one path. Throws NotFoundError. */
  stat(path: string): Promise<Entry>;
  /** Reads a byte range of a file as a stream. Throws NotFoundError / IsDirectoryError. */
  read(path: string, options?: ReadOptions): Promise<ReadableStream<Uint8Array>>;
  /**
   * Writes a whole file from a stream, replacing any existing file atomically where the backend
   * can; parent directories are created as needed. Returns the new entry.
   */
  write(
    path: string,
    data: ReadableStream<Uint8Array>,
    options?: WriteOptions,
  ): Promise<Entry>;
  /** Creates a directory and any missing parents; succeeds if it exists already. */
  mkdir(path: string): Promise<void>;
  /** Removes an empty directory. Throws NotEmptyError / NotFoundError. */
  rmdir(path: string): Promise<void>;
  /** Removes a file. Throws NotFoundError / IsDirectoryError. */
  remove(path: string): Promise<void>;

  /** Server-side move of a file, replacing the destination (present if `features.move`). */
  move?(from: string, to: string): Promise<Entry>;
  /** Server-side move of a directory; the destination must not exist (if `features.moveDir`). */
  moveDir?(from: string, to: string): Promise<void>;
  /** Sets a file's modification time (present if `features.setModTime`). */
  setModTime?(path: string, mtimeMs: number): Promise<void>;
  /** Quota and usage (present if `features.about`). */
  about?(): Promise<Usage>;
  /**
   * Watches for changes made outside this process (present if `features.changeNotify`); calls
   * `onChange` for each, polling every `intervalMs`. Returns a function that stops watching.
   */
  watch?(onChange: (change: Change) => void, intervalMs: number): () => void;
  /** Computes or fetches a hash of a file, lower-case hex (types in `features.hashes`). */
  hash?(path: string, type: HashType): Promise<string>;
  /** Releases connections and timers. The backend is unusable afterwards. */
  close?(): Promise<void>;
}

/** Features of a backend that has none of the optional parts; spread and override. */
export const NO_FEATURES: Features = {
  move: false,
  moveDir: false,
  setModTime: false,
  about: false,
  changeNotify: false,
  hashes: [],
  precisionMs: 1,
  canHaveEmptyDirs: true,
  caseInsensitive: false,
};

/**
 * @module
 * The sftp backend: files on an SSH server through ssh2, with rclone's options. Operations
 * share a pool of connections and survive server restarts and network drops (transport
 * failures are retried on a fresh connection). Uploads go to a temp name and are renamed over
 * the target with `posix-rename@openssh.com`; reads and writes keep many chunk requests in
 * flight (as large as the server declares with `limits@openssh.com`, up to 256 KiB, for the
 * same bytes in flight as `concurrency` × `chunk_size`); modification times are set with SETSTAT (1 s precision, SFTP v3), usage comes from
 * `statvfs@openssh.com`, and hashes from `md5sum`/`sha1sum` over exec when the server has a
 * shell. SFTP status codes become the typed errors of `lib/errors.ts`.
 */

import type { Buffer } from "node:buffer";
// @ts-types="@types/ssh2"
import type { Stats } from "ssh2";
import type {
  Backend,
  Entry,
  Features,
  HashType,
  ReadOptions,
  Usage,
  WriteOptions,
} from "../backend.ts";
import { baseName, cleanPath, joinPath, parentOf } from "../_path.ts";
import {
  ExistsError,
  FsError,
  IsDirectoryError,
  NotDirectoryError,
  NotEmptyError,
  NotFoundError,
  NotSupportedError,
  PermissionError,
} from "../../errors.ts";
import type { OptionValue } from "../../config/option_schema.ts";
import { log } from "../../util/log.ts";
import { buildAuth, expandPath } from "./auth.ts";
import { knownKeyTypes, parseKnownHosts } from "./known_hosts.ts";
import { chooseAlgorithms } from "./ssh_algorithms.ts";
import {
  declaredLimits,
  hasExtension,
  sftpCall,
  SftpStatus,
  sftpStatusOf,
  SshConnection,
  type SshSettings,
  type TransferLimits,
} from "./ssh_connection.ts";
import { SshPool } from "./ssh_pool.ts";
import { openReadStream } from "./sftp_reader.ts";
import { uploadToTemp } from "./sftp_writer.ts";
import { type HashSetup, hashSetup, parseHashOutput, shellQuote } from "./sftp_hash.ts";

/** Names of upload temp files: `.<name>.<8 hex>.partial`, hidden from listings. */
const PARTIAL_RE = /^\..+\.[0-9a-f]{8}\.partial$/s;

/** The temp name an upload of `name` writes to before its atomic rename. */
function partialName(name: string, rand: string): string {
  return `.${name.slice(0, 200)}.${rand}.partial`;
}

/** What {@link SftpBackend.create} needs (a subset of the registry's create context). */
export interface SftpCreateOptions {
  /** The path on the server: relative to the login directory, or absolute. */
  root: string;
  /** Resolved sftp options (obscured values still obscured). */
  options: Record<string, OptionValue>;
  /** Display name without secrets, e.g. `mysftp:dir`. */
  name: string;
  /** Environment for `~`/`$VAR` expansion and `SSH_AUTH_SOCK` (default: the process's). */
  env?: Record<string, string | undefined>;
  /** Retries after a transport failure, like rclone's `--low-level-retries` (default 10). */
  lowLevelRetries?: number;
  /**
   * SSH keepalive interval in ms (default 10 s); a connection that misses three in a row is
   * dead, which is how a silently dropped network is noticed.
   */
  keepaliveMs?: number;
}

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

function isDirMode(mode: number): boolean {
  return (mode & S_IFMT) === S_IFDIR;
}

function q(path: string): string {
  return JSON.stringify(path);
}

/** Parses rclone's `set_env` (space-separated `VAR=value`). */
export function parseSetEnv(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of value.split(/\s+/)) {
    if (item === "") continue;
    const i = item.indexOf("=");
    if (i > 0) out[item.slice(0, i)] = item.slice(i + 1);
  }
  return out;
}

/** The sftp backend. Create it with {@link SftpBackend.create}. */
export class SftpBackend implements Backend {
  /** Always `sftp`. */
  readonly type = "sftp";
  /** The remote's display name. */
  readonly name: string;
  /** The root as given. */
  readonly root: string;
  /** Capabilities, partly detected from the server. */
  readonly features: Features;
  /** Sets a file's modification time (absent when `set_modtime = false`). */
  readonly setModTime?: (path: string, mtimeMs: number) => Promise<void>;
  /** Disk usage from `statvfs@openssh.com` (absent when the server lacks it). */
  readonly about?: () => Promise<Usage>;
  /** md5/sha1 computed on the server (absent when no hash command works). */
  readonly hash?: (path: string, type: HashType) => Promise<string>;

  #pool: SshPool;
  #rootPath: string;
  #label: string;
  #opts: Record<string, OptionValue>;
  #hashes: HashSetup;
  #posixRename: boolean;
  #readChunk: number;
  #readConcurrency: number;
  #writeChunk: number;
  #writeConcurrency: number;
  #setModtime: boolean;
  #closed = false;

  private constructor(
    init: {
      name: string;
      root: string;
      pool: SshPool;
      label: string;
      options: Record<string, OptionValue>;
      hashes: HashSetup;
      posixRename: boolean;
      statvfs: boolean;
      limits?: TransferLimits;
    },
  ) {
    this.name = init.name;
    this.root = init.root;
    this.#pool = init.pool;
    this.#label = init.label;
    this.#opts = init.options;
    this.#hashes = init.hashes;
    this.#posixRename = init.posixRename;
    const r = init.root.replace(/\/+$/, "");
    this.#rootPath = r === "" && init.root.startsWith("/") ? "/" : r;
    const concurrency = Math.max(1, Number(init.options.concurrency ?? 64));
    const chunk = Math.max(1024, Number(init.options.chunk_size ?? 32768));
    // READs and WRITEs as large as the server declares it serves (limits@openssh.com, at most
    // 256 KiB), never smaller than chunk_size: each request and its reply cost CPU here and in
    // the server. The bytes in flight stay concurrency × chunk_size, as with chunk_size requests.
    const inFlight = (size: number) => Math.max(2, Math.ceil((concurrency * chunk) / size));
    this.#readChunk = Math.max(chunk, init.limits?.read ?? 0);
    this.#readConcurrency = init.options.disable_concurrent_reads === true
      ? 1
      : inFlight(this.#readChunk);
    this.#writeChunk = Math.max(chunk, init.limits?.write ?? 0);
    this.#writeConcurrency = init.options.disable_concurrent_writes === true
      ? 1
      : inFlight(this.#writeChunk);
    this.#setModtime = init.options.set_modtime !== false;
    const hashTypes = (Object.keys(init.hashes.commands) as HashType[]).sort();
    this.features = {
      move: true,
      moveDir: true,
      setModTime: this.#setModtime,
      about: init.statvfs,
      changeNotify: false,
      hashes: hashTypes,
      precisionMs: this.#setModtime ? 1000 : Infinity,
      canHaveEmptyDirs: true,
      caseInsensitive: false,
    };
    if (this.#setModtime) this.setModTime = (p, ms) => this.#setModTimeImpl(p, ms);
    if (init.statvfs) this.about = () => this.#aboutImpl();
    if (hashTypes.length > 0) this.hash = (p, t) => this.#hashImpl(p, t);
  }

  /**
   * Connects (once, without retries, so a wrong password, a host key mismatch or an
   * unreachable host fail at once with a clear error), detects server features and returns
   * the backend. Later transport failures are retried.
   */
  static async create(c: SftpCreateOptions): Promise<SftpBackend> {
    const o = c.options;
    const env = c.env ?? Deno.env.toObject();
    const str = (k: string) => String(o[k] ?? "");
    validateSftpOptions(o);
    const host = str("host");
    const port = Number(o.port ?? 22);
    const user = str("user") || "root";
    const label = `${user}@${host}:${port}`;
    const auth = await buildAuth(o, env);
    let knownHosts: SshSettings["knownHosts"];
    if (str("known_hosts_file") !== "") {
      const file = expandPath(str("known_hosts_file"), env);
      let text: string;
      try {
        text = await Deno.readTextFile(file);
      } catch (err) {
        throw new FsError(
          `sftp: couldn't read known_hosts_file ${q(file)}: ${(err as Error).message}`,
        );
      }
      knownHosts = { file, entries: parseKnownHosts(text) };
    }
    const settings: SshSettings = {
      host,
      port,
      user,
      auth,
      knownHosts,
      algorithms: chooseAlgorithms({
        ciphers: str("ciphers"),
        keyExchange: str("key_exchange"),
        macs: str("macs"),
        hostKeyAlgorithms: str("host_key_algorithms"),
        useInsecureCipher: o.use_insecure_cipher === true,
        knownKeyTypes: knownHosts ? knownKeyTypes(knownHosts.entries, host, port) : undefined,
      }),
      env: parseSetEnv(str("set_env")),
      subsystem: String(o.subsystem ?? "sftp"),
      serverCommand: str("server_command"),
      connectTimeoutMs: 30_000,
      keepaliveMs: c.keepaliveMs ?? 10_000,
    };
    const first = await SshConnection.open(settings);
    const pool = new SshPool(() => SshConnection.open(settings), {
      idleTimeoutMs: Number(o.idle_timeout ?? 60_000),
      retries: c.lowLevelRetries ?? 10,
      label,
    });
    try {
      const hashes = await hashSetup(first, {
        disableHashcheck: o.disable_hashcheck === true,
        shellType: str("shell_type"),
        md5sumCommand: str("md5sum_command"),
        sha1sumCommand: str("sha1sum_command"),
      });
      log.debug(
        `sftp: ${label}: shell ${hashes.shellType}, hashes ${
          Object.keys(hashes.commands).join(",") || "none"
        }, server limits ${JSON.stringify(declaredLimits(first.sftp) ?? "not declared")}`,
      );
      const backend = new SftpBackend({
        name: c.name,
        root: c.root,
        pool,
        label,
        options: o,
        hashes,
        posixRename: hasExtension(first.sftp, "posix-rename@openssh.com"),
        statvfs: hasExtension(first.sftp, "statvfs@openssh.com"),
        limits: declaredLimits(first.sftp),
      });
      pool.adopt(first);
      return backend;
    } catch (err) {
      await first.close();
      await pool.close();
      throw err;
    }
  }

  /** Request sizes and requests in flight of reads and uploads (for tests and status). */
  get transfer(): {
    readChunk: number;
    readConcurrency: number;
    writeChunk: number;
    writeConcurrency: number;
  } {
    return {
      readChunk: this.#readChunk,
      readConcurrency: this.#readConcurrency,
      writeChunk: this.#writeChunk,
      writeConcurrency: this.#writeConcurrency,
    };
  }

  /** The server-side path of a clean relative path. */
  #abs(rel: string): string {
    const r = this.#rootPath;
    if (rel === "") return r === "" ? "." : r;
    if (r === "") return rel;
    return r === "/" ? `/${rel}` : `${r}/${rel}`;
  }

  #entry(rel: string, st: { mode: number; size: number; mtime: number }): Entry {
    const dir = isDirMode(st.mode);
    return { path: rel, isDir: dir, size: dir ? 0 : Number(st.size), mtimeMs: st.mtime * 1000 };
  }

  /** Maps an SFTP status error to a typed error; transport errors pass through unchanged. */
  #typed(err: unknown, rel: string, op: string): unknown {
    const st = sftpStatusOf(err);
    if (st === undefined || err instanceof FsError) return err;
    switch (st) {
      case SftpStatus.NO_SUCH_FILE:
        return new NotFoundError(rel, { cause: err });
      case SftpStatus.PERMISSION_DENIED:
        return new PermissionError(`sftp: ${op} ${q(rel)}: permission denied`, { cause: err });
      case SftpStatus.OP_UNSUPPORTED:
        return new NotSupportedError(`sftp: ${op} on ${this.#label}`, { cause: err });
      case SftpStatus.NO_CONNECTION:
      case SftpStatus.CONNECTION_LOST:
        return err;
      default:
        return new FsError(`sftp: ${op} ${q(rel)} failed: ${(err as Error).message}`, 5, {
          cause: err,
        });
    }
  }

  /** stat on a given connection; undefined when the path does not exist. */
  async #statOn(c: SshConnection, rel: string): Promise<Stats | undefined> {
    try {
      return await sftpCall.stat(c.sftp, this.#abs(rel));
    } catch (err) {
      if (sftpStatusOf(err) === SftpStatus.NO_SUCH_FILE) return undefined;
      throw this.#typed(err, rel, "stat");
    }
  }

  #run<T>(fn: (c: SshConnection, attempt: number) => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new FsError(`sftp: ${this.name} is closed`));
    return this.#pool.run(fn);
  }

  /** Lists a directory's children; symlinks are followed (or skipped with `skip_links`). */
  list(dir: string): Promise<Entry[]> {
    const rel = cleanPath(dir);
    return this.#run(async (c) => {
      let items: { filename: string; attrs: Stats }[];
      try {
        items = await sftpCall.readdir(c.sftp, this.#abs(rel));
      } catch (err) {
        const st = sftpStatusOf(err);
        if (st === SftpStatus.NO_SUCH_FILE || st === SftpStatus.FAILURE) {
          const s = await this.#statOn(c, rel);
          if (s && !isDirMode(s.mode)) throw new NotDirectoryError(rel, { cause: err });
          if (!s) throw new NotFoundError(rel, { cause: err });
        }
        throw this.#typed(err, rel, "list");
      }
      const out: Entry[] = [];
      const skipLinks = this.#opts.skip_links === true;
      for (const it of items) {
        if (it.filename === "." || it.filename === "..") continue;
        // Uploads in progress (ours or another denoclone's) are not files yet.
        if (PARTIAL_RE.test(it.filename)) continue;
        const p = joinPath(rel, it.filename);
        let attrs = it.attrs;
        if ((attrs.mode & S_IFMT) === S_IFLNK) {
          if (skipLinks) continue;
          const target = await this.#statOn(c, p);
          if (!target) {
            log.info(`sftp: ${this.name}: skipping dangling symlink ${q(p)}`);
            continue;
          }
          attrs = target;
        } else if (skipLinks && (attrs.mode & S_IFMT) !== S_IFDIR && !attrs.isFile()) {
          continue;
        }
        out.push(this.#entry(p, attrs));
      }
      return out;
    });
  }

  /** Stats one path (following symlinks). */
  stat(path: string): Promise<Entry> {
    const rel = cleanPath(path);
    return this.#run(async (c) => {
      const s = await this.#statOn(c, rel);
      if (!s) throw new NotFoundError(rel);
      return this.#entry(rel, s);
    });
  }

  /** Reads a byte range with many READ requests in flight. */
  read(path: string, options: ReadOptions = {}): Promise<ReadableStream<Uint8Array>> {
    const rel = cleanPath(path);
    if (this.#closed) return Promise.reject(new FsError(`sftp: ${this.name} is closed`));
    return openReadStream({
      pool: this.#pool,
      remotePath: this.#abs(rel),
      offset: Math.max(0, options.offset ?? 0),
      length: options.length,
      chunkSize: this.#readChunk,
      concurrency: this.#readConcurrency,
      signal: options.signal,
      label: this.#label,
      open: async (c) => {
        let handle: Buffer;
        try {
          handle = await sftpCall.open(c.sftp, this.#abs(rel), "r");
        } catch (err) {
          if (sftpStatusOf(err) === SftpStatus.FAILURE) {
            const s = await this.#statOn(c, rel);
            if (s && isDirMode(s.mode)) throw new IsDirectoryError(rel, { cause: err });
          }
          throw this.#typed(err, rel, "open");
        }
        let st: Stats;
        try {
          st = await sftpCall.fstat(c.sftp, handle);
        } catch (err) {
          await sftpCall.close(c.sftp, handle).catch(() => {});
          throw this.#typed(err, rel, "fstat");
        }
        if (isDirMode(st.mode)) {
          await sftpCall.close(c.sftp, handle).catch(() => {});
          throw new IsDirectoryError(rel);
        }
        return { handle, size: Number(st.size) };
      },
    });
  }

  /**
   * Creates directory `rel` and its missing parents on connection `c`. An existing file at
   * `rel` is ExistsError when `rel` is the target, NotDirectoryError when it is a parent.
   */
  async #mkdirp(c: SshConnection, rel: string, isTarget: boolean): Promise<void> {
    const abs = this.#abs(rel);
    const tryMkdir = async (): Promise<"ok" | "missing-parent"> => {
      try {
        await sftpCall.mkdir(c.sftp, abs);
        return "ok";
      } catch (err) {
        if (sftpStatusOf(err) === undefined) throw err;
        const s = await this.#statOn(c, rel);
        if (s) {
          if (isDirMode(s.mode)) return "ok";
          throw isTarget ? new ExistsError(rel) : new NotDirectoryError(rel);
        }
        if (sftpStatusOf(err) === SftpStatus.NO_SUCH_FILE) return "missing-parent";
        throw this.#typed(err, rel, "mkdir");
      }
    };
    if ((await tryMkdir()) === "ok") return;
    if (rel === "") {
      await this.#mkdirAbs(c, parentAbs(abs));
    } else {
      await this.#mkdirp(c, parentOf(rel), false);
    }
    if ((await tryMkdir()) !== "ok") throw new NotFoundError(rel);
  }

  /** mkdir -p for a server path above the root (used when the root itself is missing). */
  async #mkdirAbs(c: SshConnection, abs: string): Promise<void> {
    if (abs === "" || abs === "/" || abs === ".") return;
    try {
      await sftpCall.mkdir(c.sftp, abs);
      return;
    } catch (err) {
      if (sftpStatusOf(err) === undefined) throw err;
      try {
        const s = await sftpCall.stat(c.sftp, abs);
        if (isDirMode(s.mode)) return;
        throw new NotDirectoryError(abs);
      } catch (e) {
        if (sftpStatusOf(e) !== SftpStatus.NO_SUCH_FILE) throw this.#typed(e, abs, "mkdir");
      }
    }
    await this.#mkdirAbs(c, parentAbs(abs));
    try {
      await sftpCall.mkdir(c.sftp, abs);
    } catch (err) {
      throw this.#typed(err, abs, "mkdir");
    }
  }

  /** Creates a directory and its parents; fine if it exists. */
  mkdir(path: string): Promise<void> {
    const rel = cleanPath(path);
    return this.#run((c) => this.#mkdirp(c, rel, true));
  }

  /** Removes an empty directory. */
  rmdir(path: string): Promise<void> {
    const rel = cleanPath(path);
    return this.#run(async (c, attempt) => {
      try {
        await sftpCall.rmdir(c.sftp, this.#abs(rel));
      } catch (err) {
        if (sftpStatusOf(err) === undefined) throw err;
        const s = await this.#statOn(c, rel);
        if (!s) {
          if (attempt > 0) return; // removed by the attempt that lost its connection
          throw new NotFoundError(rel, { cause: err });
        }
        if (!isDirMode(s.mode)) throw new NotDirectoryError(rel, { cause: err });
        const items = await sftpCall.readdir(c.sftp, this.#abs(rel)).catch(() => []);
        if (items.some((i) => i.filename !== "." && i.filename !== "..")) {
          throw new NotEmptyError(rel, { cause: err });
        }
        throw this.#typed(err, rel, "rmdir");
      }
    });
  }

  /** Removes a file. */
  remove(path: string): Promise<void> {
    const rel = cleanPath(path);
    return this.#run(async (c, attempt) => {
      try {
        await sftpCall.unlink(c.sftp, this.#abs(rel));
      } catch (err) {
        if (sftpStatusOf(err) === undefined) throw err;
        const s = await this.#statOn(c, rel);
        if (!s) {
          if (attempt > 0) return;
          throw new NotFoundError(rel, { cause: err });
        }
        if (isDirMode(s.mode)) throw new IsDirectoryError(rel, { cause: err });
        throw this.#typed(err, rel, "remove");
      }
    });
  }

  /** Renames `fromAbs` over `to` (replacing a file), creating `to`'s parents when missing. */
  async #renameOver(c: SshConnection, fromAbs: string, fromRel: string, to: string) {
    const toAbs = this.#abs(to);
    const attempt = async () => {
      if (this.#posixRename) {
        await sftpCall.posixRename(c.sftp, fromAbs, toAbs);
        return;
      }
      try {
        await sftpCall.rename(c.sftp, fromAbs, toAbs);
      } catch (err) {
        if (sftpStatusOf(err) !== SftpStatus.FAILURE) throw err;
        const s = await this.#statOn(c, to);
        if (!s || isDirMode(s.mode)) throw err;
        await sftpCall.unlink(c.sftp, toAbs);
        await sftpCall.rename(c.sftp, fromAbs, toAbs);
      }
    };
    const explain = async (err: unknown): Promise<unknown> => {
      if (sftpStatusOf(err) === undefined) return err;
      const s = await this.#statOn(c, to);
      if (s && isDirMode(s.mode)) return new IsDirectoryError(to, { cause: err });
      return this.#typed(err, fromRel, "rename");
    };
    try {
      await attempt();
    } catch (err) {
      if (sftpStatusOf(err) !== SftpStatus.NO_SUCH_FILE) throw await explain(err);
      // The source is gone, or the target's parent is missing.
      try {
        await sftpCall.lstat(c.sftp, fromAbs);
      } catch (e) {
        if (sftpStatusOf(e) === SftpStatus.NO_SUCH_FILE) throw new NotFoundError(fromRel);
        throw this.#typed(e, fromRel, "stat");
      }
      await this.#mkdirp(c, parentOf(to), false);
      try {
        await attempt();
      } catch (e) {
        throw await explain(e);
      }
    }
  }

  /** Uploads to a temp name, sets the mtime and renames it over the target. */
  async write(
    path: string,
    data: ReadableStream<Uint8Array>,
    options: WriteOptions = {},
  ): Promise<Entry> {
    const rel = cleanPath(path);
    if (rel === "") {
      await data.cancel().catch(() => {});
      throw new IsDirectoryError(rel);
    }
    if (this.#closed) throw new FsError(`sftp: ${this.name} is closed`);
    const rand = crypto.getRandomValues(new Uint32Array(1))[0]!.toString(16).padStart(8, "0");
    const tempRel = joinPath(parentOf(rel), partialName(baseName(rel), rand));
    const tempAbs = this.#abs(tempRel);
    let created = false;
    try {
      await uploadToTemp({
        pool: this.#pool,
        tempPath: tempAbs,
        data,
        chunkSize: this.#writeChunk,
        concurrency: this.#writeConcurrency,
        size: options.size,
        signal: options.signal,
        label: this.#label,
        path: rel,
        open: async (c, first) => {
          if (!first) return await sftpCall.open(c.sftp, tempAbs, "r+");
          try {
            const h = await sftpCall.open(c.sftp, tempAbs, "w");
            created = true;
            return h;
          } catch (err) {
            if (sftpStatusOf(err) !== SftpStatus.NO_SUCH_FILE) throw this.#typed(err, rel, "open");
          }
          await this.#mkdirp(c, parentOf(rel), false);
          try {
            const h = await sftpCall.open(c.sftp, tempAbs, "w");
            created = true;
            return h;
          } catch (err) {
            throw this.#typed(err, rel, "open");
          }
        },
      });
      if (this.#setModtime && options.mtimeMs !== undefined) {
        const secs = Math.floor(options.mtimeMs / 1000);
        await this.#run((c) => sftpCall.utimes(c.sftp, tempAbs, secs, secs)).catch((err) => {
          throw this.#typed(err, rel, "set modification time of");
        });
      }
      await this.#run((c) => this.#renameOver(c, tempAbs, tempRel, rel));
    } catch (err) {
      if (created) await this.#removeQuietly(tempAbs);
      throw err;
    }
    return await this.stat(rel);
  }

  /** Removes a temp file with one attempt (no retries): the upload's error matters more. */
  async #removeQuietly(abs: string): Promise<void> {
    let c: SshConnection;
    try {
      c = await this.#pool.acquire();
    } catch {
      return;
    }
    try {
      await sftpCall.unlink(c.sftp, abs);
      this.#pool.release(c);
    } catch (err) {
      this.#pool.release(c, sftpStatusOf(err) === undefined);
      log.debug(`sftp: ${this.name}: couldn't remove temp file ${q(abs)}`);
    }
  }

  /** Moves a file, replacing the destination file atomically. */
  async move(from: string, to: string): Promise<Entry> {
    const f = cleanPath(from);
    const t = cleanPath(to);
    await this.#run(async (c, attempt) => {
      try {
        await this.#renameOver(c, this.#abs(f), f, t);
      } catch (err) {
        // A retried rename whose first attempt went through: the source is gone, the target is there.
        if (attempt > 0 && err instanceof NotFoundError && await this.#statOn(c, t)) return;
        throw err;
      }
    });
    return await this.stat(t);
  }

  /** Moves a directory; the destination must not exist. */
  moveDir(from: string, to: string): Promise<void> {
    const f = cleanPath(from);
    const t = cleanPath(to);
    return this.#run(async (c) => {
      const src = await this.#statOn(c, f);
      if (!src) throw new NotFoundError(f);
      if (!isDirMode(src.mode)) throw new NotDirectoryError(f);
      if (await this.#statOn(c, t)) throw new ExistsError(t);
      await this.#mkdirp(c, parentOf(t), false);
      try {
        await sftpCall.rename(c.sftp, this.#abs(f), this.#abs(t));
      } catch (err) {
        if (sftpStatusOf(err) !== undefined && await this.#statOn(c, t)) {
          throw new ExistsError(t, { cause: err });
        }
        throw this.#typed(err, f, "move");
      }
    });
  }

  #setModTimeImpl(path: string, mtimeMs: number): Promise<void> {
    const rel = cleanPath(path);
    const secs = Math.floor(mtimeMs / 1000);
    return this.#run(async (c) => {
      try {
        await sftpCall.utimes(c.sftp, this.#abs(rel), secs, secs);
      } catch (err) {
        throw this.#typed(err, rel, "set modification time of");
      }
    });
  }

  #aboutImpl(): Promise<Usage> {
    return this.#run(async (c) => {
      let v: Record<string, number | bigint>;
      try {
        v = await sftpCall.statvfs(c.sftp, this.#abs(""));
      } catch (err) {
        throw this.#typed(err, "", "statvfs");
      }
      const n = (k: string) => Number(v[k] ?? 0);
      const frsize = n("f_frsize") || n("f_bsize");
      return {
        total: n("f_blocks") * frsize,
        free: n("f_bavail") * frsize,
        used: (n("f_blocks") - n("f_bfree")) * frsize,
      };
    });
  }

  async #hashImpl(path: string, type: HashType): Promise<string> {
    const rel = cleanPath(path);
    const cmd = this.#hashes.commands[type];
    if (!cmd) throw new NotSupportedError(`sftp: ${type} hashes on ${this.#label}`);
    const e = await this.stat(rel);
    if (e.isDir) throw new IsDirectoryError(rel);
    const override = String(this.#opts.path_override ?? "");
    const target = override ? joinPath(override.replace(/\/+$/, ""), rel) : this.#abs(rel);
    const line = `${cmd} ${shellQuote(target, this.#hashes.shellType)}`;
    const r = await this.#run((c) => c.exec(line));
    const h = parseHashOutput(r.stdout);
    if (r.code !== 0 || h === undefined) {
      throw new FsError(
        `sftp: ${type} hash of ${q(rel)} failed: ${cmd} exited ${r.code}: ${
          r.stderr.trim().slice(0, 200)
        }`,
      );
    }
    return h;
  }

  /** Ends every connection; the backend is unusable afterwards. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#pool.close();
  }
}

function parentAbs(abs: string): string {
  const i = abs.lastIndexOf("/");
  if (i < 0) return "";
  if (i === 0) return "/";
  return abs.slice(0, i);
}

/** Checks sftp options without connecting; throws an error naming the option. */
export function validateSftpOptions(o: Record<string, OptionValue>): void {
  if (String(o.host ?? "") === "") {
    throw new FsError(`sftp: option "host" is required`, 22);
  }
  const port = Number(o.port ?? 22);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new FsError(`sftp: option "port": ${port} is not a TCP port`, 22);
  }
  if (String(o.server_command ?? "") === "" && String(o.subsystem ?? "sftp") === "") {
    throw new FsError(`sftp: option "subsystem" is empty and "server_command" is not set`, 22);
  }
  const shell = String(o.shell_type ?? "");
  if (!["", "none", "unix", "powershell", "cmd"].includes(shell)) {
    throw new FsError(
      `sftp: option "shell_type": ${q(shell)} is not one of none, unix, powershell, cmd`,
      22,
    );
  }
  const chunk = Number(o.chunk_size ?? 32768);
  if (!(chunk > 0)) throw new FsError(`sftp: option "chunk_size" must be positive`, 22);
}

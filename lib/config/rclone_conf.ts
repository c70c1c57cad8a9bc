/**
 * @module
 * rclone.conf: load (plain or encrypted), query, edit and save. Lookups follow rclone (a key
 * missing in section `a.b` falls back to section `a`, `%(name)s` is substituted); rewriting keeps
 * section and key order, comments and unknown keys (see {@link IniDocument}).
 *
 * {@link RcloneConf.save} replaces the file atomically: a temp file in the same directory is
 * written and fsynced, given the old file's mode (else 0600) and group, and renamed over the
 * file (a symlinked config replaces the link's target). When the rename fails because the
 * config is a bind-mounted single file (EBUSY or EXDEV, e.g. `-v ./rclone.conf:/config/rclone.conf`
 * in Docker), the file is rewritten in place instead (truncate, write, fsync). An encrypted config
 * is saved encrypted with the same password.
 */

import { Errno, errnoOf } from "../errors.ts";
import { syncDir, writeSynced } from "../util/durable_write.ts";
import { isEncryptedConfig } from "./config_marker.ts";
import { ConfigError } from "./config_error.ts";
import { passwordCommand, runPasswordCommand } from "./password_command.ts";
import { DEFAULT_SECTION, IniDocument, IniParseError, IniValueError } from "./ini.ts";

/** The config cipher module, once an encrypted config was met (see {@link configCipher}). */
let cipher: typeof import("./config_encryption.ts") | undefined;

/**
 * Loads the config cipher on first use: plain configs never load it (its npm modules start
 * Deno's npm and Node layers, ~2.3 MiB resident in an idle plugin daemon).
 */
async function configCipher(): Promise<typeof import("./config_encryption.ts")> {
  return cipher ??= await import("./config_encryption.ts");
}

/** Options of {@link RcloneConf.load}. */
export interface RcloneConfLoadOptions {
  /** Password of an encrypted config; defaults to `RCLONE_CONFIG_PASS` from `env`. */
  password?: string;
  /** Environment to read `RCLONE_CONFIG_PASS` from; defaults to the process environment. */
  env?: Record<string, string | undefined>;
  /**
   * Command printing the password of an encrypted file, run when neither `password` nor
   * `RCLONE_CONFIG_PASS` gives one; defaults to `--password-command` (see
   * `password_command.ts`).
   */
  passwordCommand?: string[];
}

function dirname(path: string): string {
  const i = path.lastIndexOf("/");
  if (i < 0) return ".";
  return i === 0 ? "/" : path.slice(0, i);
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** A loaded rclone.conf. */
export class RcloneConf {
  /** The path the config was loaded from and is saved to. */
  readonly path: string;
  #doc: IniDocument;
  #password: string | undefined;
  #encrypted: boolean;
  #existed: boolean;
  #saving: Promise<void> = Promise.resolve();

  private constructor(
    path: string,
    doc: IniDocument,
    state: { password: string | undefined; encrypted: boolean; existed: boolean },
  ) {
    this.path = path;
    this.#doc = doc;
    this.#password = state.password;
    this.#encrypted = state.encrypted;
    this.#existed = state.existed;
  }

  /**
   * Loads a config file; a missing file gives an empty config (saved on first {@link save}).
   * An encrypted file is decrypted with `opts.password`, else `RCLONE_CONFIG_PASS`, else the
   * output of the password command. Errors are {@link ConfigError}s naming the file.
   */
  static async load(path: string, opts: RcloneConfLoadOptions = {}): Promise<RcloneConf> {
    let text: string;
    let existed = true;
    try {
      text = await Deno.readTextFile(path);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) {
        throw new ConfigError(
          `failed to load config file ${JSON.stringify(path)}: ${(err as Error).message}`,
          { cause: err },
        );
      }
      text = "";
      existed = false;
    }
    let encrypted = false;
    try {
      encrypted = isEncryptedConfig(text);
    } catch (err) {
      // An unknown encryption version: thrown as is without a password, else fromText says so.
      if (opts.password === undefined) throw err;
    }
    if (encrypted) await configCipher();
    if (opts.password === undefined && encrypted) {
      const env = opts.env ?? Deno.env.toObject();
      const command = opts.passwordCommand ?? passwordCommand();
      if (!env["RCLONE_CONFIG_PASS"] && command) {
        opts = { ...opts, password: await runPasswordCommand(command) };
      }
    }
    return RcloneConf.fromText(text, path, opts, existed);
  }

  /**
   * Builds a config from file text as {@link load} does (for text read elsewhere). Encrypted text
   * needs the cipher, which {@link load} brings: read encrypted files with {@link load}.
   */
  static fromText(
    text: string,
    path: string,
    opts: RcloneConfLoadOptions = {},
    existed = true,
  ): RcloneConf {
    const env = opts.env ?? Deno.env.toObject();
    const password = opts.password ?? env["RCLONE_CONFIG_PASS"];
    const where = `config file ${JSON.stringify(path)}`;
    let encrypted: boolean;
    let plain: string;
    try {
      encrypted = isEncryptedConfig(text);
      if (encrypted && !cipher) throw new ConfigError("encrypted: read it with RcloneConf.load");
      plain = encrypted ? cipher!.decryptConfig(text, password) : text;
    } catch (err) {
      throw new ConfigError(`failed to load ${where}: ${(err as Error).message}`, { cause: err });
    }
    let doc: IniDocument;
    try {
      doc = IniDocument.parse(plain);
    } catch (err) {
      if (err instanceof IniParseError) {
        throw new ConfigError(`failed to load ${where}: ${err.message}`, { cause: err });
      }
      throw err;
    }
    return new RcloneConf(path, doc, {
      password: encrypted ? password : undefined,
      encrypted,
      existed,
    });
  }

  /** Whether the file existed when loaded. */
  get existed(): boolean {
    return this.#existed;
  }

  /** Whether the file is (and will be saved) encrypted. */
  get encrypted(): boolean {
    return this.#encrypted;
  }

  /** All section names in file order, including `DEFAULT` if the file has one. */
  sectionNames(): string[] {
    return this.#doc.sectionNames();
  }

  /** The remote names: the section names without `DEFAULT`. */
  remoteNames(): string[] {
    return this.sectionNames().filter((s) => s !== DEFAULT_SECTION);
  }

  /** Whether a section exists. */
  hasSection(name: string): boolean {
    return this.#doc.hasSection(name);
  }

  /** The keys of a section in file order. */
  keys(section: string): string[] {
    return this.#doc.keys(section);
  }

  /**
   * A section's key/value pairs in file order, values looked up as {@link get} does; undefined
   * if the section is missing.
   */
  getSection(name: string): Record<string, string> | undefined {
    if (!this.#doc.hasSection(name)) return undefined;
    const out: Record<string, string> = {};
    for (const k of this.#doc.keys(name)) out[k] = this.#doc.lookup(name, k) ?? "";
    return out;
  }

  /**
   * A value as rclone looks it up (fallback from `a.b` to `a`, `%(name)s` substitution).
   * Empty values are returned as `""`; rclone treats them as unset.
   */
  get(section: string, key: string): string | undefined {
    return this.#doc.lookup(section, key);
  }

  /** Sets a value, creating the section or key at the end if needed. */
  set(section: string, key: string, value: string): void {
    try {
      this.#doc.set(section, key, value);
    } catch (err) {
      if (err instanceof IniValueError) {
        throw new ConfigError(`cannot set ${key} in [${section}]: ${err.message}`, { cause: err });
      }
      throw err;
    }
  }

  /** Adds an empty section at the end unless it exists. */
  addSection(name: string): void {
    try {
      this.#doc.addSection(name);
    } catch (err) {
      if (err instanceof IniValueError) throw new ConfigError(err.message, { cause: err });
      throw err;
    }
  }

  /** Deletes a key; returns whether it existed. */
  deleteKey(section: string, key: string): boolean {
    return this.#doc.deleteKey(section, key);
  }

  /** Deletes a section; returns whether it existed. */
  deleteSection(name: string): boolean {
    return this.#doc.deleteSection(name);
  }

  /** The plain INI text as it would be saved (before encryption). */
  toString(): string {
    return this.#doc.toString();
  }

  /**
   * Writes the config atomically (see the module documentation). Concurrent calls are
   * serialised. Errors are {@link ConfigError}s naming the file.
   */
  save(): Promise<void> {
    const run = this.#saving.then(() => this.#saveNow());
    this.#saving = run.catch(() => {});
    return run;
  }

  async #saveNow(): Promise<void> {
    const plain = this.#doc.toString();
    const data = new TextEncoder().encode(
      this.#encrypted && this.#password !== undefined
        ? (await configCipher()).encryptConfig(plain, this.#password)
        : plain,
    );
    const target = await resolveTarget(this.path);
    const fail = (what: string, err: unknown): never => {
      throw new ConfigError(
        `failed to save config file ${JSON.stringify(this.path)}: ${what}: ${
          (err as Error).message
        }`,
        { cause: err },
      );
    };
    const dir = dirname(target);
    await Deno.mkdir(dir, { recursive: true }).catch((err) =>
      fail("cannot create config directory", err)
    );
    let mode = 0o600;
    let gid: number | null = null;
    try {
      const st = await Deno.stat(target);
      if (st.mode !== null) mode = st.mode & 0o7777;
      gid = st.gid;
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) fail("cannot stat config file", err);
    }
    const tmp = `${dir}/.${basename(target)}.${crypto.randomUUID().slice(0, 8)}.tmp`;
    try {
      await writeSynced(tmp, data, { create: true, createNew: true, mode: 0o600 });
      await Deno.chmod(tmp, mode);
      if (gid !== null) await Deno.chown(tmp, null, gid).catch(() => {});
      try {
        await Deno.rename(tmp, target);
      } catch (err) {
        const errno = errnoOf(err);
        if (errno !== Errno.EBUSY && errno !== Errno.EXDEV) throw err;
        // A bind-mounted single file cannot be replaced: rewrite it in place.
        await writeSynced(target, data, { create: false, truncate: true });
      }
      await syncDir(dir);
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      fail("cannot write config file", err);
    } finally {
      await Deno.remove(tmp).catch(() => {});
    }
    this.#existed = true;
  }
}

/** Follows one level of symlink like rclone, so a symlinked config replaces the link target. */
async function resolveTarget(path: string): Promise<string> {
  try {
    const st = await Deno.lstat(path);
    if (!st.isSymlink) return path;
    const link = await Deno.readLink(path);
    return link.startsWith("/") ? link : `${dirname(path)}/${link}`;
  } catch {
    return path;
  }
}

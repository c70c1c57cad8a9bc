/**
 * @module
 * Atomic replacement of a small file (the plugin state) that leaves releasing the old copy
 * to the background. A rename(2) over the old file frees the old inode inside the call (its
 * blocks and orphan-list update, ~0.15 ms for a 40 KB state on ext4), on the caller's path.
 * Here the new bytes go to a fresh temp file, their write-back is started
 * (`sync_file_range(SYNC_FILE_RANGE_WRITE)`), and `renameat2(RENAME_EXCHANGE)` swaps the two
 * names in one step: the path holds the new file, the temp name the old one, which is unlinked
 * on Deno's blocking pool once the current request has been answered (`afterReply`: waking a
 * pool thread before would cost the answer) ({@link FileReplacer.settled} waits for that).
 *
 * Crash behaviour is the one a rename over the file gives on ext4: the swap is atomic (the
 * path names the old or the new complete inode, never a partial one) and, as ext4 does itself
 * for a rename over an existing file (`auto_da_alloc`, which skips exchanges) and btrfs for a
 * replacing rename, the new data's write-back is started before the swap, so in ext4's default
 * `data=ordered` mode the journal commits the swap only after that data. Durability (fsync) is
 * the caller's business. A crash between the swap and the unlink leaves the old copy under its
 * temp name (`<path>.tmp-<pid>-<n>`), as a crash between writing and renaming always could;
 * {@link FileReplacer.removeLeftovers} clears those at the next start.
 *
 * Creating the temp file is then the slowest step left on the caller's path (a new inode,
 * ~0.2 ms on this ext4), so after each replacement, once the request is answered, the next
 * one's temp file is created and opened on a pool thread (a nonblocking FFI `open`, `O_EXCL`):
 * the next replacement writes into that spare, and one that finds none ready creates its own. A spare that
 * went bad (its name removed under us) is dropped and the replacement retried with a fresh
 * file. An unused spare is an empty `<path>.tmp-<pid>-<n>`: {@link FileReplacer.settled}
 * removes it, and after a crash {@link FileReplacer.removeLeftovers} does, as for any temp copy.
 *
 * The first replacement of a process renames (it doesn't know what the path holds, and an
 * exchange would swap a directory in), as does every one when libc, `sync_file_range` or
 * `RENAME_EXCHANGE` is unavailable (another libc, no FFI permission, a file system without
 * exchange): then it is write, rename over, done.
 */
import { afterReply, runAfterReply } from "../util/after_reply.ts";
import { cstr } from "../util/c_string.ts";
import { lazyLibc } from "../util/lazy_libc.ts";
import { lastErrno } from "../util/libc_errno.ts";
import { dirName } from "../util/os_path.ts";

const libc = lazyLibc({
  open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
  /** `open` on a pool thread: the spare temp file, made ahead of the next replacement. */
  open_ahead: {
    name: "open",
    parameters: ["buffer", "i32", "u32"],
    result: "i32",
    nonblocking: true,
  },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  close: { parameters: ["i32"], result: "i32" },
  sync_file_range: { parameters: ["i32", "i64", "i64", "u32"], result: "i32" },
  renameat2: { parameters: ["i32", "buffer", "i32", "buffer", "u32"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
  strerror: { parameters: ["i32"], result: "pointer" },
});

const O_WRONLY = 1;
const O_CREAT = 0o100;
const O_EXCL = 0o200;
const O_TRUNC = 0o1000;
const O_CLOEXEC = 0o2000000;
const AT_FDCWD = -100;
const RENAME_EXCHANGE = 2;
const SYNC_FILE_RANGE_WRITE = 2;
const EINTR = 4;
const EINVAL = 22;

type Libc = NonNullable<ReturnType<typeof libc>>;

/** A failed libc call of a replacement, with the errno's text (as Deno's own errors have). */
function failure(c: Libc, call: string, path: string, e: number): Error {
  const text = c.strerror(e);
  return new Error(
    `${call} '${path}': ${text ? Deno.UnsafePointerView.getCString(text) : `errno ${e}`}`,
  );
}

/** Replaces one file's content atomically, the old copy released in the background. */
export class FileReplacer {
  /** The file replaced. */
  readonly path: string;
  #seq = 0;
  #exchange = true;
  #ours = false;
  #releasing = new Set<Promise<void>>();
  #libc: boolean;
  /** An empty temp file opened ahead of the next replacement (see the module doc). */
  #spare?: { fd: number; name: string };
  /** The spare waiting for the current reply, then being created on a pool thread. */
  #making?: Promise<void>;

  /** A fresh temp file name beside the file: `<path>.tmp-<pid>-<n>`. */
  #tempName(): string {
    return `${this.path}.tmp-${Deno.pid}-${this.#seq++}`;
  }

  /**
   * A replacer of `path` (nothing is touched yet). `opts.libc: false` takes the path without
   * libc (write and rename with Deno's API), as a process without FFI does.
   */
  constructor(path: string, opts: { libc?: boolean } = {}) {
    this.path = path;
    this.#libc = opts.libc ?? true;
  }

  /**
   * Makes `path` hold exactly `data` (mode 0600 when created), atomically: see the module doc.
   * Throws if the file could not be replaced; `path` is then unchanged and no temp file is left.
   */
  replace(data: Uint8Array): void {
    const c = this.#libc ? libc() : null;
    if (!c) {
      this.#writeAndRename(this.#tempName(), data);
      return;
    }
    const spare = this.#spare;
    this.#spare = undefined;
    if (spare) {
      try {
        this.#replaceVia(c, spare, data);
      } catch {
        // The spare went bad (removed under us, its directory replaced, …): a fresh temp file
        // says what is really wrong, if anything.
        this.#replaceVia(c, undefined, data);
      }
    } else this.#replaceVia(c, undefined, data);
    this.#makeSpare(c);
  }

  /** One replacement through `spare` or a temp file created now. */
  #replaceVia(c: Libc, spare: { fd: number; name: string } | undefined, data: Uint8Array): void {
    const tmp = spare?.name ?? this.#tempName();
    const ctmp = cstr(tmp);
    try {
      const fd = spare?.fd ?? c.open(ctmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600);
      if (fd < 0) throw failure(c, "open", tmp, lastErrno(c));
      const flushed = this.#write(c, fd, tmp, data);
      const cpath = cstr(this.path);
      if (this.#ours && this.#exchange && flushed) {
        if (c.renameat2(AT_FDCWD, ctmp, AT_FDCWD, cpath, RENAME_EXCHANGE) === 0) {
          this.#release(tmp);
          return;
        }
        // A file system without exchange says EINVAL: rename from now on. Any other failure
        // (the file removed under us, …) is the rename's to report.
        if (lastErrno(c) === EINVAL) this.#exchange = false;
      }
      // Not known to be our file yet, or no exchange: a rename over the path, which frees the
      // old copy (if any) itself.
      Deno.renameSync(tmp, this.path);
      this.#ours = true;
    } catch (err) {
      this.#ours = false;
      try {
        Deno.removeSync(tmp);
      } catch {
        // Not created.
      }
      throw err;
    }
  }

  /**
   * Once the current request is answered, starts creating the next replacement's temp file on a
   * pool thread (see the module doc); nothing if a spare is ready or on its way.
   */
  #makeSpare(c: Libc): void {
    if (this.#spare || this.#making) return;
    const making: Promise<void> = replied()
      .then(() => {
        const name = this.#tempName();
        const cname = cstr(name);
        return c.open_ahead(cname, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600).then((fd) => {
          void cname; // The path buffer must live until the call is over.
          // Failed (no space, …): the next replacement creates its own temp file and reports it.
          if (fd >= 0) this.#spare = { fd, name };
        });
      })
      .catch(() => {})
      .finally(() => {
        if (this.#making === making) this.#making = undefined;
      });
    this.#making = making;
  }

  /**
   * Removes temp copies a crashed process left beside the file (`<path>.tmp-*`, see the module
   * doc); call it before the first {@link replace}. Returns how many were removed.
   */
  async removeLeftovers(): Promise<number> {
    const dir = dirName(this.path);
    const prefix = `${this.path.slice(this.path.lastIndexOf("/") + 1)}.tmp-`;
    let removed = 0;
    try {
      for await (const e of Deno.readDir(dir)) {
        if (!e.isFile || !e.name.startsWith(prefix)) continue;
        try {
          await Deno.remove(`${dir}/${e.name}`);
          removed++;
        } catch {
          // Gone already, or not ours to remove: the next start tries again.
        }
      }
    } catch {
      // No directory yet: nothing left over.
    }
    return removed;
  }

  /**
   * Resolves once every old copy replaced so far has been unlinked and no spare temp file is
   * left (a later replacement makes one again).
   */
  async settled(): Promise<void> {
    for (;;) {
      // Queued chores start now rather than on their timer.
      runAfterReply();
      if (!this.#making && !this.#spare && !this.#releasing.size) return;
      await this.#making;
      const spare = this.#spare;
      this.#spare = undefined;
      if (spare) {
        libc()?.close(spare.fd);
        await Deno.remove(spare.name).catch(() => {
          // Gone already.
        });
      }
      await Promise.all(this.#releasing);
    }
  }

  /** The name of the spare temp file once it is ready, if one is being made (for tests). */
  async spareReady(): Promise<string | undefined> {
    runAfterReply();
    await this.#making;
    return this.#spare?.name;
  }

  /** The old copies not unlinked yet: waiting for the reply or being unlinked (for tests). */
  get releasing(): number {
    return this.#releasing.size;
  }

  /**
   * Writes `data` through `fd` (the new, empty `tmp`; closed here) and starts its write-back;
   * returns whether that started (false: the caller must let a rename order the data, as ext4
   * does for a rename over a file).
   */
  #write(c: Libc, fd: number, tmp: string, data: Uint8Array): boolean {
    try {
      let off = 0;
      while (off < data.length) {
        const n = Number(c.write(fd, data.subarray(off), BigInt(data.length - off)));
        if (n < 0) {
          const e = lastErrno(c);
          if (e === EINTR) continue;
          throw failure(c, "write", tmp, e);
        }
        off += n;
      }
      return c.sync_file_range(fd, 0n, 0n, SYNC_FILE_RANGE_WRITE) === 0;
    } finally {
      c.close(fd);
    }
  }

  /** The path without libc: Deno's write and rename (ext4 starts the write-back itself). */
  #writeAndRename(tmp: string, data: Uint8Array): void {
    try {
      Deno.writeFileSync(tmp, data, { mode: 0o600 });
      Deno.renameSync(tmp, this.path);
    } catch (err) {
      try {
        Deno.removeSync(tmp);
      } catch {
        // Not created.
      }
      throw err;
    }
  }

  /** Unlinks the old copy `old` once the current request is answered. */
  #release(old: string): void {
    const p: Promise<void> = replied()
      .then(() => Deno.remove(old))
      .catch(() => {
        // Gone already; a leftover is harmless (see the module doc).
      })
      .finally(() => this.#releasing.delete(p));
    this.#releasing.add(p);
  }
}

/** Resolves once the current request's reply has been written ({@link afterReply}). */
function replied(): Promise<void> {
  return new Promise((resolve) => afterReply(resolve));
}

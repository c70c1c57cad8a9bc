import { deepStrictEqual as assertEquals, ok as assert, rejects, throws } from "node:assert/strict";
import { statfs } from "node:fs/promises";
import { LocalBackend, TEMP_NAME_RE } from "./local_backend.ts";
import type { Entry } from "../backend.ts";
import { InvalidError, NotFoundError } from "../../errors.ts";
import { withTempDir } from "../../../tests/helpers/temp_dir.ts";
import { runBackendSuite } from "../../../tests/backend_conformance.ts";
import { IS_ROOT, isolatedFlags, startCliMount, testDirs } from "../../../tests/helpers/mount.ts";

function stream(s: string): ReadableStream<Uint8Array> {
  return new Blob([s]).stream();
}

async function text(b: LocalBackend, path: string, offset?: number, length?: number) {
  return await new Response(await b.read(path, { offset, length })).text();
}

function names(entries: { path: string }[]): string[] {
  return entries.map((e) => e.path).sort();
}

Deno.test("LocalBackend skips symlinks by default", async () => {
  await withTempDir("denoclone-localtest-", async (dir) => {
    await Deno.writeTextFile(`${dir}/target.txt`, "target");
    await Deno.symlink("target.txt", `${dir}/link`);
    await Deno.symlink("nowhere", `${dir}/dangling`);
    const b = new LocalBackend({ root: dir, options: { skip_links: true } });
    assertEquals(names(await b.list("")), ["target.txt"]);
    await rejects(b.stat("link"), NotFoundError);
    await rejects(b.read("link"), NotFoundError);
  });
});

Deno.test("LocalBackend follows symlinks with copy_links", async () => {
  await withTempDir("denoclone-localtest-", async (dir) => {
    await Deno.writeTextFile(`${dir}/target.txt`, "target");
    await Deno.mkdir(`${dir}/realdir`);
    await Deno.writeTextFile(`${dir}/realdir/in.txt`, "in");
    await Deno.symlink("target.txt", `${dir}/link`);
    await Deno.symlink("realdir", `${dir}/dirlink`);
    await Deno.symlink("nowhere", `${dir}/dangling`);
    const b = new LocalBackend({ root: dir, options: { copy_links: true } });
    const list = await b.list("");
    assertEquals(names(list), ["dirlink", "link", "realdir", "target.txt"]);
    assertEquals(list.find((e) => e.path === "link")?.size, 6);
    assert(list.find((e) => e.path === "dirlink")?.isDir);
    assertEquals(await text(b, "link"), "target");
    assertEquals(names(await b.list("dirlink")), ["dirlink/in.txt"]);
  });
});

Deno.test("LocalBackend translates symlinks to .rclonelink files with links", async () => {
  await withTempDir("denoclone-localtest-", async (dir) => {
    await Deno.writeTextFile(`${dir}/target.txt`, "target");
    await Deno.symlink("target.txt", `${dir}/link`);
    const b = new LocalBackend({ root: dir, options: { links: true } });
    const list = await b.list("");
    assertEquals(names(list), ["link.rclonelink", "target.txt"]);
    assertEquals(list.find((e) => e.path === "link.rclonelink")?.size, "target.txt".length);
    assertEquals(await text(b, "link.rclonelink"), "target.txt");
    assertEquals(await text(b, "link.rclonelink", 3, 4), "get.");
    await rejects(b.stat("link"), NotFoundError);
    await b.write("sub/new.rclonelink", stream("../target.txt"));
    assertEquals(await Deno.readLink(`${dir}/sub/new`), "../target.txt");
    assertEquals(await Deno.readTextFile(`${dir}/sub/new`), "target");
    await b.move("sub/new.rclonelink", "moved.rclonelink");
    assertEquals(await Deno.readLink(`${dir}/moved`), "../target.txt");
    await b.remove("link.rclonelink");
    await rejects(Deno.lstat(`${dir}/link`), Deno.errors.NotFound);
    assertEquals(await Deno.readTextFile(`${dir}/target.txt`), "target");
  });
});

Deno.test("LocalBackend leaves out sockets and FIFOs like rclone", async () => {
  await withTempDir("denoclone-localtest-", async (dir) => {
    const listener = Deno.listen({ transport: "unix", path: `${dir}/sock` });
    listener.close();
    const mk = await new Deno.Command("mkfifo", { args: [`${dir}/fifo`] }).output();
    assertEquals(mk.code, 0, "mkfifo works");
    await Deno.writeTextFile(`${dir}/plain`, "p");
    const b = new LocalBackend({ root: dir });
    assertEquals(names(await b.list("")), ["plain"]);
    await rejects(b.stat("sock"), NotFoundError);
    await rejects(b.read("fifo"), NotFoundError);
  });
});

Deno.test("LocalBackend rejects copy_links together with links", () => {
  throws(
    () => new LocalBackend({ root: "/tmp", options: { copy_links: true, links: true } }),
    InvalidError,
  );
});

Deno.test("LocalBackend write keeps the old file's mode and hides its temporary file", async () => {
  await withTempDir("denoclone-localtest-", async (dir) => {
    const b = new LocalBackend({ root: dir });
    await Deno.writeTextFile(`${dir}/f`, "old");
    await Deno.chmod(`${dir}/f`, 0o640);
    let release!: () => void;
    const gate = new Promise<void>((r) => release = r);
    let sent = false;
    const slow = new ReadableStream<Uint8Array>({
      async pull(c) {
        if (sent) {
          await gate;
          c.close();
          return;
        }
        sent = true;
        c.enqueue(new TextEncoder().encode("new content"));
      },
    });
    const writing = b.write("f", slow);
    // While the write is in flight: the temp file exists on disk but not in listings,
    // and the old content is still what readers get.
    let temp: string[] = [];
    for (let i = 0; i < 100 && temp.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 5));
      temp = [];
      for await (const d of Deno.readDir(dir)) if (TEMP_NAME_RE.test(d.name)) temp.push(d.name);
    }
    assertEquals(temp.length, 1, "one temporary file while writing");
    assertEquals(names(await b.list("")), ["f"]);
    assertEquals(await text(b, "f"), "old");
    release();
    await writing;
    assertEquals(await text(b, "f"), "new content");
    assertEquals((await Deno.stat(`${dir}/f`)).mode! & 0o777, 0o640);
    const left: string[] = [];
    for await (const d of Deno.readDir(dir)) left.push(d.name);
    assertEquals(left, ["f"]);
  });
});

Deno.test("LocalBackend readers of a replaced file keep reading the old content", async () => {
  await withTempDir("denoclone-localtest-", async (dir) => {
    const b = new LocalBackend({ root: dir });
    const old = "o".repeat(3 * 1024 * 1024);
    await Deno.writeTextFile(`${dir}/f`, old);
    const reader = (await b.read("f")).getReader();
    let got = (await reader.read()).value!.length;
    await b.write("f", stream("new"));
    for (;;) {
      const r = await reader.read();
      if (r.done) break;
      got += r.value.length;
      assert(r.value.every((x) => x === 0x6f), "old bytes only");
    }
    assertEquals(got, old.length);
    assertEquals(await text(b, "f"), "new");
  });
});

Deno.test("LocalBackend resolves a relative root against the working directory", async () => {
  await withTempDir("denoclone-localtest-", async (dir) => {
    await Deno.mkdir(`${dir}/rel/inner`, { recursive: true });
    const cwd = Deno.cwd();
    Deno.chdir(dir);
    try {
      const b = new LocalBackend({ root: "rel" });
      assertEquals(b.rootPath, `${await Deno.realPath(dir)}/rel`.replace(/^\/private/, ""));
      assertEquals(b.name, ":local:rel");
      assertEquals(names(await b.list("")), ["inner"]);
    } finally {
      Deno.chdir(cwd);
    }
  });
});

Deno.test("LocalBackend with no_set_modtime leaves modification times alone", async () => {
  await withTempDir("denoclone-localtest-", async (dir) => {
    const b = new LocalBackend({ root: dir, options: { no_set_modtime: true } });
    assertEquals([b.features.setModTime, b.features.precisionMs], [false, Infinity]);
    const before = Date.now() - 5000;
    const e = await b.write("f", stream("x"), { mtimeMs: Date.UTC(2001, 1, 1) });
    assert(e.mtimeMs >= before, `mtime not set: ${new Date(e.mtimeMs).toISOString()}`);
  });
});

Deno.test("LocalBackend reports case sensitivity as configured", () => {
  assertEquals(new LocalBackend({ root: "/" }).features.caseInsensitive, false);
  const ci = new LocalBackend({ root: "/", options: { case_insensitive: true } });
  assertEquals(ci.features.caseInsensitive, true);
});

Deno.test("LocalBackend with one_file_system leaves out other file systems", async () => {
  const rootDev = (await Deno.stat("/")).dev;
  const other: string[] = [];
  for await (const d of Deno.readDir("/")) {
    if (!d.isDirectory) continue;
    const st = await Deno.stat(`/${d.name}`).catch(() => undefined);
    if (st && st.dev !== rootDev) other.push(d.name);
  }
  assert(other.includes("proc"), `/proc is a separate file system (found ${other})`);
  const all = names(await new LocalBackend({ root: "/", options: { skip_links: true } }).list(""));
  const one = names(
    await new LocalBackend({ root: "/", options: { one_file_system: true, skip_links: true } })
      .list(""),
  );
  for (const n of other) {
    assert(all.includes(n), `${n} listed normally`);
    assert(!one.includes(n), `${n} left out with one_file_system`);
  }
  assertEquals(one.length, all.length - other.length);
});

Deno.test("LocalBackend about() matches statfs of the root", async () => {
  await withTempDir("denoclone-localtest-", async (dir) => {
    const u = await new LocalBackend({ root: dir }).about();
    const s = await statfs(dir);
    assertEquals(u.total, s.bsize * s.blocks);
    assert(u.free! > 0 && u.free! <= u.total!, JSON.stringify(u));
    assert(u.used! >= 0 && u.used! <= u.total!, JSON.stringify(u));
  });
});

Deno.test("LocalBackend rejects paths escaping the root", async () => {
  await withTempDir("denoclone-localtest-", async (dir) => {
    const b = new LocalBackend({ root: `${dir}/inner` });
    await Deno.writeTextFile(`${dir}/secret`, "s");
    await rejects(b.read("../secret"), InvalidError);
    await rejects(b.stat("a/../../secret"), InvalidError);
  });
});

// The suite above (tests/backends_conformance_test.ts) runs on a local disk, where files get
// synchronous metadata calls; this run covers the asynchronous path used on other file systems.
runBackendSuite("local, asynchronous metadata calls", async () => {
  const dir = await Deno.makeTempDir({ prefix: "denoclone-localasync-" });
  const backend = new LocalBackend({ root: `${dir}/root`, asyncMetadata: true });
  await backend.mkdir("");
  return {
    backend,
    async cleanup() {
      await backend.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}, { bigFileBytes: 8 * 1024 * 1024 });

Deno.test("LocalBackend writes into a directory removed since the gate saw it", async () => {
  await withTempDir("denoclone-localtest-", async (dir) => {
    const b = new LocalBackend({ root: dir });
    await b.write("sub/a.txt", stream("a"));
    assertEquals(names(await b.list("sub")), ["sub/a.txt"]); // the gate now knows "sub"
    await Deno.remove(`${dir}/sub`, { recursive: true });
    const e = await b.write("sub/b.txt", stream("bb"));
    assertEquals([e.path, e.size], ["sub/b.txt", 2]);
    assertEquals(await text(b, "sub/b.txt"), "bb");
    assertEquals(names(await b.list("sub")), ["sub/b.txt"]);
    await b.remove("sub/b.txt");
    assertEquals(await b.list("sub"), []);
  });
});

Deno.test({
  name: "LocalBackend lists and writes around and inside a FUSE mountpoint under its root",
  ignore: !IS_ROOT,
  async fn() {
    // The mount is served by a child process: a test must never touch a mount of its own.
    const d = await testDirs("localfuse");
    const m = await startCliMount(":memory:localfuse", d.mnt, isolatedFlags(d.base));
    try {
      await Deno.writeTextFile(`${d.base}/plain.txt`, "plain");
      const b = new LocalBackend({ root: d.base });
      const top = await b.list("");
      assert(top.find((e) => e.path === "mnt")?.isDir, "the mountpoint lists as a directory");
      assertEquals(top.find((e) => e.path === "plain.txt")?.size, 5);
      // inside the mount the gate answers with asynchronous calls (FUSE is not a local disk)
      const e = await b.write("mnt/in.txt", stream("inside"));
      assertEquals([e.path, e.size], ["mnt/in.txt", 6]);
      assertEquals(names(await b.list("mnt")), ["mnt/in.txt"]);
      assertEquals(await text(b, "mnt/in.txt"), "inside");
      await b.remove("mnt/in.txt");
      assertEquals(await b.list("mnt"), []);
    } finally {
      await m.stop();
      await Deno.remove(d.base, { recursive: true });
    }
  },
});

Deno.test("LocalBackend lists files the same with synchronous (statx) and asynchronous calls", async () => {
  await withTempDir("denoclone-localtest-", async (dir) => {
    for (let i = 0; i < 50; i++) await Deno.writeTextFile(`${dir}/f${i}`, "x".repeat(i));
    const f = await Deno.open(`${dir}/huge`, { write: true, create: true });
    await f.truncate(5 * 2 ** 32 + 1);
    f.close();
    await Deno.writeTextFile(`${dir}/old`, "x");
    await Deno.utime(`${dir}/old`, -86_400, -86_400);
    await Deno.writeTextFile(`${dir}/ms`, "x");
    await Deno.utime(`${dir}/ms`, 1_700_000_000.5, 1_700_000_000.123456);
    await Deno.mkdir(`${dir}/sub`);
    await Deno.symlink("f1", `${dir}/link`);
    const byPath = (es: Entry[]) => [...es].sort((a, b) => a.path < b.path ? -1 : 1);
    const sync = byPath(
      await new LocalBackend({ root: dir, options: { skip_links: true } }).list(""),
    );
    const slow = byPath(
      await new LocalBackend({ root: dir, asyncMetadata: true, options: { skip_links: true } })
        .list(""),
    );
    assertEquals(sync, slow);
    assertEquals(sync.length, 54, "50 files, huge, old, ms, sub; the link skipped");
    assertEquals(sync.find((e) => e.path === "huge")?.size, 5 * 2 ** 32 + 1);
    assertEquals(sync.find((e) => e.path === "ms")?.mtimeMs, 1_700_000_000_123);
    const sub = await new LocalBackend({ root: dir, options: { links: true } }).list("");
    assertEquals(sub.find((e) => e.path === "link.rclonelink")?.size, 2, "links still shown");
  });
});

Deno.test({
  name: "LocalBackend write of small chunks into a full tmpfs fails with ENOSPC and leaves nothing",
  ignore: !IS_ROOT,
  async fn() {
    await withTempDir("denoclone-localfull-", async (dir) => {
      const mount = (args: string[]) =>
        new Deno.Command(args[0]!, { args: args.slice(1) }).output();
      const m = await mount(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir]);
      assert(m.success, "tmpfs mounted");
      try {
        const b = new LocalBackend({ root: dir });
        // 16 KiB chunks: small enough for the synchronous write path on a local-disk fs
        const chunk = new Uint8Array(16 * 1024).fill(7);
        let n = 0;
        const data = new ReadableStream<Uint8Array>({
          pull(c) {
            if (n++ < 16) c.enqueue(chunk);
            else c.close();
          },
        });
        await rejects(
          b.write("big.bin", data),
          (err: Error & { errno?: number }) => err.errno === 28 && /big\.bin/.test(err.message),
        );
        const left = [];
        for await (const e of Deno.readDir(dir)) left.push(e.name);
        assertEquals(left, []);
        // the file system still takes a file that fits
        assertEquals((await b.write("small.txt", stream("fits"))).size, 4);
      } finally {
        await mount(["umount", dir]);
      }
    });
  },
});

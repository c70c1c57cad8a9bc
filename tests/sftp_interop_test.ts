/**
 * @module
 * The sftp backend next to rclone (the reference implementation) and the real sshd: the same
 * option names, defaults and password flags as `rclone config providers`; files written by one
 * are read by the other with the same sizes, modification times and md5 hashes; remotes built
 * through `newBackend` from a config section or a connection string; symlinks, `skip_links`,
 * `set_modtime = false` and hostile file names in hash commands.
 */

import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import "../lib/backends/all.ts";
import { newBackend } from "../lib/backends/new_backend.ts";
import { SftpBackend } from "../lib/backends/sftp/sftp.ts";
import { SFTP_OPTIONS } from "../lib/backends/sftp/sftp_options.ts";
import type { OptionValue } from "../lib/config/option_schema.ts";
import { obscure } from "../lib/config/obscure.ts";
import { RcloneConf } from "../lib/config/rclone_conf.ts";
import type { SshdServer } from "./helpers/sshd.ts";
import { sftpOptions, sftpTest } from "./sftp_fixtures.ts";

async function rclone(args: string[], stdin?: Uint8Array): Promise<string> {
  const p = new Deno.Command("rclone", {
    args: ["--config", "/dev/null", ...args],
    stdin: stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin) {
    const w = p.stdin.getWriter();
    await w.write(stdin);
    await w.close();
  }
  const out = await p.output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(`rclone ${args[0]} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return text;
}

function rcloneFlags(s: SshdServer): string[] {
  return [
    "--sftp-host",
    s.host,
    "--sftp-port",
    String(s.port),
    "--sftp-user",
    s.user,
    "--sftp-pass",
    obscure(s.password),
    "--sftp-known-hosts-file",
    s.knownHostsFile,
  ];
}

/** {@link sftpOptions} with the hash check on, as rclone has it by default. */
function opts(s: SshdServer, extra: Record<string, OptionValue> = {}): Record<string, OptionValue> {
  return sftpOptions(s, { disable_hashcheck: false, ...extra });
}

sftpTest("sftp options: names, defaults and password flags match rclone's", async () => {
  const providers = JSON.parse(await rclone(["config", "providers"])) as {
    Name: string;
    Options: { Name: string; Default: unknown; IsPassword: boolean; Advanced: boolean }[];
  }[];
  const sftp = providers.find((p) => p.Name === "sftp")!;
  assert(sftp, "rclone has an sftp backend");
  for (const ro of sftp.Options) {
    const ours = SFTP_OPTIONS.options.find((o) => o.name === ro.Name);
    assert(ours, `option ${ro.Name} exists`);
    assertEquals(!!ours.obscured, ro.IsPassword, `${ro.Name} obscured`);
    assertEquals(!!ours.advanced, ro.Advanced, `${ro.Name} advanced`);
    if (ro.Name === "user") continue; // the current user on both sides
    let want = ro.Default;
    if (ro.Name === "idle_timeout") want = (want as number) / 1e6; // ns → ms
    if (Array.isArray(want)) want = want.join(" ");
    assertEquals(ours.default, want, `${ro.Name} default`);
  }
});

sftpTest(
  "sftp interop: rclone sees our files, we read rclone's, same sizes, times and md5",
  async (t) => {
    const s = await t.sshd();
    const root = await s.newRoot();
    const b = await SftpBackend.create({ root, options: opts(s), name: "interop" });
    try {
      const mtime = Date.UTC(2023, 4, 6, 7, 8, 9);
      const body = new TextEncoder().encode("written by denoclone\n".repeat(5000));
      await b.write("ours/a file.txt", ReadableStream.from([body]), { mtimeMs: mtime });
      const listed = JSON.parse(
        await rclone(["lsjson", "-R", "--hash", ...rcloneFlags(s), `:sftp:${root}`]),
      ) as {
        Path: string;
        Size: number;
        ModTime: string;
        IsDir: boolean;
        Hashes?: { md5: string };
      }[];
      const a = listed.find((e) => e.Path === "ours/a file.txt")!;
      assertEquals([a.Size, Date.parse(a.ModTime)], [body.length, mtime]);
      assertEquals(a.Hashes?.md5, await b.hash!("ours/a file.txt", "md5"));

      const theirs = new TextEncoder().encode("written by rclone\n".repeat(3000));
      await rclone(["rcat", ...rcloneFlags(s), `:sftp:${root}/theirs/b.txt`], theirs);
      const e = await b.stat("theirs/b.txt");
      assertEquals(e.size, theirs.length);
      let got = new Uint8Array(0);
      for await (const c of await b.read("theirs/b.txt")) {
        const n = new Uint8Array(got.length + c.length);
        n.set(got);
        n.set(c, got.length);
        got = n;
      }
      assertEquals(got, theirs);
      const md5 = (await rclone(["md5sum", ...rcloneFlags(s), `:sftp:${root}/theirs`])).split(
        /\s+/,
      )[0];
      assertEquals(await b.hash!("theirs/b.txt", "md5"), md5);
    } finally {
      await b.close();
    }
  },
);

sftpTest("sftp via newBackend: a config section and a connection string both work", async (t) => {
  const s = await t.sshd();
  const root = await s.newRoot();
  const dir = await Deno.makeTempDir();
  try {
    const confPath = `${dir}/rclone.conf`;
    await Deno.writeTextFile(
      confPath,
      [
        "[mysftp]",
        "type = sftp",
        `host = ${s.host}`,
        `port = ${s.port}`,
        `user = ${s.user}`,
        `pass = ${obscure(s.password)}`,
        `known_hosts_file = ${s.knownHostsFile}`,
        "",
      ].join("\n"),
    );
    const conf = await RcloneConf.load(confPath);
    const named = await newBackend(`mysftp:${root}`, { conf, env: {} });
    try {
      assertEquals(named.type, "sftp");
      await named.write("n.txt", ReadableStream.from([new Uint8Array([1, 2, 3])]));
    } finally {
      await named.close?.();
    }
    const cs = `:sftp,host=${s.host},port=${s.port},user=${s.user},pass=${
      obscure(s.password)
    },known_hosts_file='${s.knownHostsFile}':${root}`;
    const onTheFly = await newBackend(cs, { conf, env: {} });
    try {
      assertEquals((await onTheFly.stat("n.txt")).size, 3);
      assert(!onTheFly.name.includes(s.password), "the name holds no secret");
    } finally {
      await onTheFly.close?.();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

sftpTest("sftp features: symlinks are followed, dangling ones and skip_links skip", async (t) => {
  const s = await t.sshd();
  const root = await s.newRoot();
  await Deno.writeTextFile(`${root}/target.txt`, "target");
  await Deno.mkdir(`${root}/tdir`);
  await Deno.symlink("target.txt", `${root}/link.txt`);
  await Deno.symlink("tdir", `${root}/linkdir`);
  await Deno.symlink("missing", `${root}/dangling`);
  const b = await SftpBackend.create({ root, options: opts(s), name: "t" });
  try {
    const list = await b.list("");
    const byName = Object.fromEntries(list.map((e) => [e.path, [e.isDir, e.size]]));
    assertEquals(byName, {
      "target.txt": [false, 6],
      "tdir": [true, 0],
      "link.txt": [false, 6],
      "linkdir": [true, 0],
    });
  } finally {
    await b.close();
  }
  const skip = await SftpBackend.create({
    root,
    options: opts(s, { skip_links: true }),
    name: "t",
  });
  try {
    assertEquals((await skip.list("")).map((e) => e.path).sort(), ["target.txt", "tdir"]);
  } finally {
    await skip.close();
  }
});

sftpTest(
  "sftp features: set_modtime = false drops setModTime, hashes quote hostile names",
  async (t) => {
    const s = await t.sshd();
    const root = await s.newRoot();
    const b = await SftpBackend.create({
      root,
      options: opts(s, { set_modtime: false }),
      name: "t",
    });
    try {
      assertEquals(b.features.setModTime, false);
      assertEquals(b.setModTime, undefined);
      const canary = `${root}/pwned`;
      const hostile = `$(touch ${canary}) 'q' \`touch ${canary}\`;x`;
      const data = new TextEncoder().encode("abc");
      await b.write(hostile, ReadableStream.from([data]), { mtimeMs: Date.UTC(2001, 0, 1) });
      const e = await b.stat(hostile);
      assert(e.mtimeMs > Date.UTC(2020, 0, 1), "mtime was not set");
      assertEquals(await b.hash!(hostile, "md5"), "900150983cd24fb0d6963f7d28e17f72");
      assertEquals(await b.hash!(hostile, "sha1"), "a9993e364706816aba3e25717850c26c9cd0d89d");
      await Deno.stat(canary).then(
        () => assert(false, "a file name ran a command on the server"),
        () => {},
      );
    } finally {
      await b.close();
    }
  },
);

sftpTest(
  "sftp features: a relative root lives in the login directory and is created",
  async (t) => {
    const s = await t.sshd();
    const out = await new Deno.Command("getent", { args: ["passwd", s.user] }).output();
    const home = new TextDecoder().decode(out.stdout).trim().split(":")[5]!;
    const rel = `rel-root-${crypto.randomUUID().slice(0, 8)}/sub`;
    const b = await SftpBackend.create({ root: rel, options: opts(s), name: "t" });
    t.track(b);
    try {
      await b.write("f.txt", ReadableStream.from([new TextEncoder().encode("in home")]));
      assertEquals(await Deno.readTextFile(`${home}/${rel}/f.txt`), "in home");
      assertEquals((await b.list("")).map((e) => e.path), ["f.txt"]);
      const home0 = await SftpBackend.create({ root: "", options: opts(s), name: "t" });
      t.track(home0);
      assert((await home0.stat(rel)).isDir, "the login directory is the empty root");
    } finally {
      await Deno.remove(`${home}/${rel.split("/")[0]}`, { recursive: true }).catch(() => {});
    }
  },
);

/**
 * @module
 * Directory listings of the sftp backend against a real OpenSSH sshd, which answers READDIR in
 * batches of about 100 names while the backend keeps several READDIRs in flight: every name of a
 * big directory comes back exactly once, with its size, and empty or missing directories keep
 * their results.
 */

import { deepStrictEqual as assertEquals, rejects } from "node:assert/strict";
import { NotDirectoryError, NotFoundError } from "../lib/errors.ts";
import { sftpTest } from "./sftp_fixtures.ts";

sftpTest("sftp list: a directory of many batches lists every name once", async (t) => {
  const s = await t.sshd();
  const { backend: b, root } = await t.backend(s);
  await Deno.mkdir(`${root}/big`);
  const want: [string, number][] = [];
  for (let i = 0; i < 1234; i++) {
    const name = `n${i}-${"x".repeat(i % 50)}`;
    await Deno.writeFile(`${root}/big/${name}`, new Uint8Array(i % 7));
    want.push([`big/${name}`, i % 7]);
  }
  await Deno.mkdir(`${root}/big/sub`);
  want.push(["big/sub", 0]);
  // The sshd runs as another user: let it read what this process created.
  await new Deno.Command("chmod", { args: ["-R", "a+rX", root] }).output();
  const got = (await b.list("big")).map((e) => [e.path, e.size] as [string, number]);
  const byName = (a: [string, number], z: [string, number]) => a[0] < z[0] ? -1 : 1;
  assertEquals(got.sort(byName), want.sort(byName));
  // Several listings at once on the shared connections stay separate.
  const again = await Promise.all([b.list("big"), b.list("big"), b.list("")]);
  assertEquals(again[0].length, want.length);
  assertEquals(again[1].length, want.length);
  assertEquals(again[2].map((e) => e.path), ["big"]);
});

sftpTest("sftp list: empty, missing and non-directory paths", async (t) => {
  const s = await t.sshd();
  const { backend: b, root } = await t.backend(s);
  await b.mkdir("empty");
  assertEquals(await b.list("empty"), []);
  await rejects(b.list("missing"), NotFoundError);
  await Deno.writeTextFile(`${root}/file`, "x");
  await new Deno.Command("chmod", { args: ["a+r", `${root}/file`] }).output();
  await rejects(b.list("file"), NotDirectoryError);
});

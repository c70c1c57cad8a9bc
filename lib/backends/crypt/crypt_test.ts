import type { Backend } from "../backend.ts";
import { newBackend } from "../new_backend.ts";
import { BackendConfigError } from "../registry.ts";
import { obscure } from "../../config/obscure.ts";
import { RcloneConf } from "../../config/rclone_conf.ts";
import { redact } from "../../util/log.ts";
import { newCryptCipher } from "./crypt_cipher.ts";
import { assertEquals, assertRejects, streamOf } from "./_test_util.ts";
import { readAll } from "../../util/read_all.ts";
import "../all.ts";

const NO_ENV: Record<string, string | undefined> = {};

async function conf(dir: string, secret: Record<string, string>): Promise<RcloneConf> {
  const c = await RcloneConf.load(`${dir}/rclone.conf`, { env: NO_ENV });
  c.set("disk", "type", "local");
  c.set("secret", "type", "crypt");
  for (const [k, v] of Object.entries(secret)) c.set("secret", k, v);
  return c;
}

Deno.test("crypt remote wraps the remote named by 'remote', rooted at the encrypted root", async () => {
  const dir = await Deno.makeTempDir({ prefix: "denoclone-crypt-reg-" });
  let b: Backend | undefined;
  try {
    const c = await conf(dir, {
      remote: `disk:${dir}/enc`,
      password: obscure("registry pw"),
      password2: obscure("registry salt"),
    });
    b = await newBackend("secret:sub/dir", { conf: c, env: NO_ENV });
    assertEquals([b.type, b.name, b.root], ["crypt", "secret:sub/dir", "sub/dir"]);
    await b.write("f.txt", streamOf(new TextEncoder().encode("content")));
    const cipher = await newCryptCipher({ password: "registry pw", password2: "registry salt" });
    const enc = cipher.names.encryptFileName("sub/dir/f.txt");
    assertEquals((await Deno.stat(`${dir}/enc/${enc}`)).size, 32 + 16 + 7);
    const top = await newBackend("secret:", { conf: c, env: NO_ENV });
    assertEquals(
      new TextDecoder().decode(await readAll(await top.read("sub/dir/f.txt"))),
      "content",
    );
    await top.close?.();
  } finally {
    await b?.close?.();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("crypt remote works as an on-the-fly connection string", async () => {
  const dir = await Deno.makeTempDir({ prefix: "denoclone-crypt-otf-" });
  try {
    const c = await RcloneConf.load(`${dir}/rclone.conf`, { env: NO_ENV });
    const pw = obscure("on the fly");
    const b = await newBackend(`:crypt,remote='${dir}/enc',password='${pw}':`, {
      conf: c,
      env: NO_ENV,
    });
    await b.mkdir("made");
    assertEquals((await b.list("")).map((e) => e.path), ["made"]);
    const stored = [...Deno.readDirSync(`${dir}/enc`)].map((e) => e.name);
    assertEquals(stored.length, 1);
    assertEquals(stored[0] === "made", false, "the directory name is stored encrypted");
    await b.close?.();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("crypt remote reports missing and bad settings by option name", async () => {
  const dir = await Deno.makeTempDir({ prefix: "denoclone-crypt-bad-" });
  try {
    const ctx = async (s: Record<string, string>) => ({ conf: await conf(dir, s), env: NO_ENV });
    await assertRejects(
      async () => newBackend("secret:", await ctx({ remote: `disk:${dir}` })),
      BackendConfigError,
      "password not set in config file",
    );
    await assertRejects(
      async () => newBackend("secret:", await ctx({ password: obscure("x") })),
      BackendConfigError,
      '"remote"',
    );
    await assertRejects(
      async () => newBackend("secret:", await ctx({ remote: "secret:x", password: obscure("x") })),
      BackendConfigError,
      "can't point crypt remote at itself",
    );
    const err = await assertRejects(
      async () =>
        newBackend("secret:", await ctx({ remote: `disk:${dir}`, password: "not obscured!" })),
      BackendConfigError,
      "failed to decrypt password",
    );
    assertEquals(err.message.includes("not obscured!"), false, err.message);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("crypt remote registers the revealed password as a log secret", async () => {
  const dir = await Deno.makeTempDir({ prefix: "denoclone-crypt-secret-" });
  try {
    const c = await conf(dir, { remote: `disk:${dir}/enc`, password: obscure("hunter2-secret") });
    const b = await newBackend("secret:", { conf: c, env: NO_ENV });
    assertEquals(redact("the password is hunter2-secret"), "the password is ***");
    await b.close?.();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

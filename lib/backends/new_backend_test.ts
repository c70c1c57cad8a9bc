import { deepStrictEqual as assertEquals, ok as assert, rejects } from "node:assert/strict";
import { newBackend, remoteEnvName, resolveRemote } from "./new_backend.ts";
import { BackendConfigError, registerBackend } from "./registry.ts";
import { MemoryBackend } from "./memory.ts";
import { RcloneConf } from "../config/rclone_conf.ts";
import { RemotePathError } from "../config/remote_path.ts";

function conf(text = ""): RcloneConf {
  return RcloneConf.fromText(text, "/nonexistent/rclone.conf", { env: {} });
}

// A test-only backend type with secret options, to check that names never carry secrets.
registerBackend({
  type: "nbtestsecret",
  description: "test backend with secrets",
  options: {
    id: "nbtestsecret",
    prefix: "nbtestsecret",
    options: [
      { name: "host", type: "string", default: "", help: "Host." },
      { name: "pass", type: "string", default: "", help: "Password.", obscured: true },
      { name: "token", type: "string", default: "", help: "Token.", sensitive: true },
      { name: "port", type: "int", default: 22, help: "Port." },
    ],
  },
  create(ctx) {
    return Promise.resolve(new MemoryBackend({ root: ctx.root, name: ctx.name }));
  },
});

Deno.test("resolveRemote() treats a plain path as a local remote", async () => {
  const r = await resolveRemote("/tmp/some dir", { conf: conf(), env: {} });
  assertEquals([r.type, r.root, r.name], ["local", "/tmp/some dir", "/tmp/some dir"]);
  assertEquals(r.options.case_sensitive, false);
  assertEquals(r.options.encoding, "Slash,Dot");
  const rel = await resolveRemote("relative/dir", { conf: conf(), env: {} });
  assertEquals([rel.type, rel.root], ["local", "relative/dir"]);
});

Deno.test("resolveRemote() reads a named remote's type from rclone.conf or the environment", async () => {
  const c = conf("[disk]\ntype = local\n\n[ram]\ntype = memory\n");
  assertEquals((await resolveRemote("disk:/x", { conf: c, env: {} })).type, "local");
  const ram = await resolveRemote("ram:bucket/dir", { conf: c, env: {} });
  assertEquals([ram.type, ram.root, ram.name], ["memory", "bucket/dir", "ram:bucket/dir"]);
  const env = { RCLONE_CONFIG_ENVRAM_TYPE: "memory" };
  assertEquals((await resolveRemote("envram:", { conf: c, env })).type, "memory");
  assertEquals(remoteEnvName("my-remote", "key_file"), "RCLONE_CONFIG_MY-REMOTE_KEY_FILE");
});

Deno.test("resolveRemote() rejects a remote missing from the config, naming it", async () => {
  const err = await resolveRemote("nosuch:dir", { conf: conf("[other]\ntype = local\n"), env: {} })
    .then(() => undefined, (e) => e);
  assert(err instanceof BackendConfigError, String(err));
  assert(err.message.includes("didn't find section in config file"), err.message);
  assert(err.message.includes('"nosuch"'), err.message);
});

Deno.test("resolveRemote() rejects an unknown backend type, naming it", async () => {
  await rejects(
    resolveRemote(":potato:dir", { conf: conf(), env: {} }),
    (e: Error) =>
      e instanceof BackendConfigError && e.message.includes('unknown filesystem type "potato"'),
  );
  await rejects(
    resolveRemote("veg:", { conf: conf("[veg]\ntype = carrot\n"), env: {} }),
    /unknown filesystem type "carrot"/,
  );
});

Deno.test("resolveRemote() rejects unknown connection-string options, naming the key", async () => {
  await rejects(
    resolveRemote(":local,not_an_option=1:/tmp", { conf: conf(), env: {} }),
    (e: Error) => e instanceof BackendConfigError && e.message.includes('"not_an_option"'),
  );
});

Deno.test("resolveRemote() reports a bad value naming the option and where it came from", async () => {
  await rejects(
    resolveRemote(":local,case_sensitive=maybe:/tmp", { conf: conf(), env: {} }),
    (e: Error) => e instanceof BackendConfigError && e.message.includes('"case_sensitive"'),
  );
  await rejects(
    resolveRemote(":local,encoding=Slash,Bogus:/tmp", { conf: conf(), env: {} }),
    /unknown option "Bogus"/,
  );
  await rejects(
    resolveRemote(":local,encoding='Slash,Bogus':/tmp", { conf: conf(), env: {} }),
    /bad encoding "Bogus"/,
  );
  await rejects(
    resolveRemote(":nbtestsecret,port=abc:", { conf: conf(), env: {} }),
    /"port".*connection string/,
  );
});

Deno.test("resolveRemote() passes malformed remote strings' RemotePathError through", async () => {
  await rejects(resolveRemote("", { conf: conf(), env: {} }), RemotePathError);
  await rejects(resolveRemote(":", { conf: conf(), env: {} }), RemotePathError);
});

Deno.test("resolveRemote() applies rclone's option precedence", async () => {
  const c = conf("[r]\ntype = nbtestsecret\nhost = from-conf\nport =\n\n[l]\ntype = local\n");
  const full = {
    RCLONE_NBTESTSECRET_HOST: "from-type-env",
    RCLONE_CONFIG_R_HOST: "from-remote-env",
  };
  const flags = { nbtestsecret_host: "from-flag", local_no_sparse: "true" };
  const host = async (remote: string, env: Record<string, string>, f?: Record<string, string>) =>
    (await resolveRemote(remote, { conf: c, env, flags: f })).options.host;
  assertEquals(await host("r,host=from-conn:/d", full, flags), "from-conn");
  assertEquals(await host("r:/d", full, flags), "from-flag");
  assertEquals(await host("r:/d", full), "from-remote-env");
  assertEquals(await host("r:/d", { RCLONE_NBTESTSECRET_HOST: "from-type-env" }), "from-type-env");
  assertEquals(await host("r:/d", {}), "from-conf");
  assertEquals(await host(":nbtestsecret:/d", {}), "");
  assertEquals(await host(":nbtestsecret:/d", full), "from-type-env");
  // Empty config values are ignored; flags of other types are ignored; any spelling counts.
  assertEquals((await resolveRemote("r:/d", { conf: c, env: {} })).options.port, 22);
  const r = await resolveRemote("l:/d", { conf: c, env: {}, flags: { "--local-no-sparse": "1" } });
  assertEquals(r.options.no_sparse, true);
  assertEquals((await resolveRemote("l:/d", { conf: c, env: {}, flags })).options.no_sparse, true);
  assertEquals((await resolveRemote("l:/d", { conf: c, env: {} })).options.no_sparse, false);
});

Deno.test("resolveRemote() keeps secret option values out of the display name", async () => {
  const r = await resolveRemote(":nbtestsecret,host=h1,pass=T0pS3cret,token=tok123:dir", {
    conf: conf(),
    env: {},
  });
  assertEquals(r.name, ":nbtestsecret,host='h1':dir");
  assertEquals(r.options.pass, "T0pS3cret");
  assertEquals(r.options.token, "tok123");
  const c = conf("[sec]\ntype = nbtestsecret\npass = xyz\n");
  const named = await resolveRemote("sec,pass=abc,port=2222:d", { conf: c, env: {} });
  assertEquals(named.name, "sec,port='2222':d");
  assertEquals(named.options.port, 2222);
  assert(!named.name.includes("abc") && !named.name.includes("xyz"));
});

Deno.test("newBackend() builds local, memory and alias backends", async () => {
  const dir = await Deno.makeTempDir({ prefix: "denoclone-nb-" });
  try {
    const c = conf(
      `[disk]\ntype = local\n\n[a]\ntype = alias\nremote = disk:${dir}\n\n[loop]\ntype = alias\nremote = loop:x\n\n[empty]\ntype = alias\n`,
    );
    const local = await newBackend(`disk:${dir}`, { conf: c, env: {} });
    assertEquals([local.type, local.name], ["local", `disk:${dir}`]);
    await local.write("sub/f.txt", new Blob(["hello"]).stream());
    const alias = await newBackend("a:sub", { conf: c, env: {} });
    assertEquals([alias.type, alias.name, alias.root], ["alias", "a:sub", "sub"]);
    assertEquals((await alias.stat("f.txt")).size, 5);
    const ci = await newBackend(`:local,case_insensitive:${dir}`, { conf: c, env: {} });
    assertEquals(ci.features.caseInsensitive, true);
    assertEquals(ci.name, `:local,case_insensitive='true':${dir}`);
    const mem = await newBackend(":memory:bucket", { conf: c, env: {} });
    assertEquals([mem.type, mem.name], ["memory", ":memory:bucket"]);
    await rejects(newBackend("loop:", { conf: c, env: {} }), /too many nested remotes/);
    await rejects(newBackend("empty:", { conf: c, env: {} }), /"remote" is required/);
    await rejects(
      newBackend(`:local,copy_links,links:${dir}`, { conf: c, env: {} }),
      /can't use "copy_links" and "links" together/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

import { deepStrictEqual as assertEquals, ok as assert, rejects, throws } from "node:assert/strict";
import "./all.ts";
import {
  getBackendInfo,
  listBackends,
  loadBackendInfo,
  registerBackend,
  registerLazyBackend,
  RegistryError,
} from "./registry.ts";
import { MemoryBackend } from "./memory.ts";

Deno.test("listBackends() returns local, memory and alias sorted by type", () => {
  const types = listBackends().map((b) => b.type);
  for (const t of ["alias", "local", "memory"]) assert(types.includes(t), `${t} registered`);
  assertEquals(types, [...types].sort());
});

Deno.test("getBackendInfo() finds registered types and not unknown ones", () => {
  assertEquals(getBackendInfo("local")?.options.prefix, "local");
  assertEquals(getBackendInfo("alias")?.options.options.map((o) => o.name), ["remote"]);
  assertEquals(getBackendInfo("no-such-type"), undefined);
});

Deno.test("registerBackend() rejects a duplicate type and a prefix that is not the type", () => {
  const create = () => Promise.resolve(new MemoryBackend());
  throws(
    () =>
      registerBackend({
        type: "memory",
        description: "again",
        options: { id: "memory", prefix: "memory", options: [] },
        create,
      }),
    RegistryError,
  );
  throws(
    () =>
      registerBackend({
        type: "registry-test-bad-prefix",
        description: "bad",
        options: { id: "x", prefix: "x", options: [] },
        create,
      }),
    /must equal the type/,
  );
  assertEquals(getBackendInfo("registry-test-bad-prefix"), undefined);
});

Deno.test("registerLazyBackend() answers with options at once and loads the module once", async () => {
  const options = { id: "lazy-a", prefix: "lazy-a", options: [] };
  let loads = 0;
  registerLazyBackend({
    type: "lazy-a",
    description: "lazy",
    options,
    load: async () => {
      loads++;
      await new Promise((r) => setTimeout(r, 5));
      registerBackend({
        type: "lazy-a",
        description: "lazy, loaded",
        options,
        validate: () => {},
        create: () => Promise.resolve(new MemoryBackend()),
      });
    },
  });
  const before = getBackendInfo("lazy-a")!;
  assertEquals([before.description, before.validate], ["lazy", undefined]);
  const [a, b] = await Promise.all([loadBackendInfo("lazy-a"), loadBackendInfo("lazy-a")]);
  assertEquals(loads, 1);
  assertEquals(a, b);
  assertEquals(a?.description, "lazy, loaded");
  assert(typeof a?.validate === "function");
  // The placeholder handed out before loading still creates through the loaded module.
  const backend = await before.create({
    root: "",
    options: {},
    name: ":lazy-a:",
    newBackend: () => Promise.reject(new Error("unused")),
  });
  assert(backend instanceof MemoryBackend);
  throws(
    () => registerBackend({ ...a!, description: "third" }),
    RegistryError,
  );
});

Deno.test("loadBackendInfo() names a backend whose module fails or does not register", async () => {
  const options = (id: string) => ({ id, prefix: id, options: [] });
  registerLazyBackend({
    type: "lazy-broken",
    description: "x",
    options: options("lazy-broken"),
    load: () => Promise.reject(new Error("module not found")),
  });
  registerLazyBackend({
    type: "lazy-silent",
    description: "x",
    options: options("lazy-silent"),
    load: () => Promise.resolve(),
  });
  await rejects(
    loadBackendInfo("lazy-broken"),
    /cannot load backend "lazy-broken": module not found/,
  );
  await rejects(loadBackendInfo("lazy-silent"), /backend "lazy-silent" did not register itself/);
  assertEquals(await loadBackendInfo("no-such-type"), undefined);
});

Deno.test("the local, sftp and crypt backends are registered lazily with their options", async () => {
  for (const type of ["local", "sftp", "crypt"]) {
    const info = getBackendInfo(type)!;
    assertEquals(info.options.prefix, type);
    const full = await loadBackendInfo(type);
    assertEquals(full?.options, info.options);
    assert(typeof full?.validate === "function", `${type} has its validate after loading`);
  }
});

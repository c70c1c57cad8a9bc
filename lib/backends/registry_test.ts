import { deepStrictEqual as assertEquals, ok as assert, throws } from "node:assert/strict";
import "./all.ts";
import { getBackendInfo, listBackends, registerBackend, RegistryError } from "./registry.ts";
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
        type: "local",
        description: "again",
        options: { id: "local", prefix: "local", options: [] },
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

import assert from "node:assert/strict";
import { syncDir, writeSynced } from "./durable_write.ts";

Deno.test("writeSynced() creates a file with the given mode and the whole content", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const data = new Uint8Array(300_000).map((_, i) => i % 251);
    await writeSynced(`${dir}/f`, data, { create: true, createNew: true, mode: 0o600 });
    assert.deepEqual(await Deno.readFile(`${dir}/f`), data);
    assert.equal((await Deno.stat(`${dir}/f`)).mode! & 0o777, 0o600);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeSynced() with createNew fails on an existing file and leaves it alone", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/f`, "old");
    await assert.rejects(
      writeSynced(`${dir}/f`, new TextEncoder().encode("new"), { create: true, createNew: true }),
      Deno.errors.AlreadyExists,
    );
    assert.equal(await Deno.readTextFile(`${dir}/f`), "old");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeSynced() with truncate and no create rewrites in place and never creates", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/f`, "a longer old text");
    const ino = (await Deno.stat(`${dir}/f`)).ino;
    await writeSynced(`${dir}/f`, new TextEncoder().encode("new"), {
      create: false,
      truncate: true,
    });
    assert.equal(await Deno.readTextFile(`${dir}/f`), "new");
    assert.equal((await Deno.stat(`${dir}/f`)).ino, ino);
    await assert.rejects(
      writeSynced(`${dir}/g`, new TextEncoder().encode("x"), { create: false, truncate: true }),
      Deno.errors.NotFound,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("syncDir() succeeds on a directory and ignores a missing one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await syncDir(dir);
    await syncDir(`${dir}/missing`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

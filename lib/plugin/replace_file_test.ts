import { deepStrictEqual as assertEquals, ok, throws } from "node:assert/strict";
import { withTempDir } from "../../tests/helpers/temp_dir.ts";
import { FileReplacer } from "./replace_file.ts";

const enc = new TextEncoder();

async function names(dir: string): Promise<string[]> {
  const out = [];
  for await (const e of Deno.readDir(dir)) out.push(e.name);
  return out.sort();
}

Deno.test("FileReplacer: the first replace renames, later ones swap and unlink the old copy", async () => {
  await withTempDir("denoclone-replace-", async (dir) => {
    const path = `${dir}/state`;
    const f = new FileReplacer(path);
    f.replace(enc.encode("one"));
    assertEquals(Deno.readTextFileSync(path), "one");
    assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
    assertEquals(f.releasing, 0);
    f.replace(enc.encode("two"));
    // Swapped, not renamed over: the old copy (under the temp name) is being unlinked.
    assertEquals(Deno.readTextFileSync(path), "two");
    assertEquals(f.releasing, 1);
    await f.settled();
    assertEquals(f.releasing, 0);
    assertEquals(await names(dir), ["state"]);
    f.replace(enc.encode("three, longer"));
    f.replace(enc.encode("4"));
    assertEquals(Deno.readTextFileSync(path), "4");
    await f.settled();
    assertEquals(await names(dir), ["state"]);
    assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
  });
});

Deno.test("FileReplacer: a file removed under it is written again (rename when the swap fails)", async () => {
  await withTempDir("denoclone-replace-", async (dir) => {
    const path = `${dir}/state`;
    const f = new FileReplacer(path);
    f.replace(enc.encode("one"));
    Deno.removeSync(path);
    f.replace(enc.encode("two"));
    assertEquals(Deno.readTextFileSync(path), "two");
    f.replace(enc.encode("three"));
    assertEquals(Deno.readTextFileSync(path), "three");
    await f.settled();
    assertEquals(await names(dir), ["state"]);
  });
});

Deno.test("FileReplacer: a path it can't replace throws, leaves no temp file and the path as it was", async () => {
  await withTempDir("denoclone-replace-", async (dir) => {
    const path = `${dir}/state`;
    Deno.mkdirSync(`${path}/x`, { recursive: true });
    for (const libc of [true, false]) {
      const f = new FileReplacer(path, { libc });
      throws(() => f.replace(enc.encode("new")));
      await f.settled();
      assertEquals(await names(dir), ["state"]);
      ok(Deno.statSync(`${path}/x`).isDirectory);
    }
    // A directory that can't hold the temp file: open fails.
    const g = new FileReplacer(`${dir}/missing/state`);
    throws(() => g.replace(enc.encode("new")), /missing/);
  });
});

Deno.test("FileReplacer without libc: write and rename, nothing left to release", async () => {
  await withTempDir("denoclone-replace-", async (dir) => {
    const path = `${dir}/state`;
    const f = new FileReplacer(path, { libc: false });
    f.replace(enc.encode("one"));
    f.replace(enc.encode("two"));
    assertEquals(f.releasing, 0);
    assertEquals(Deno.readTextFileSync(path), "two");
    assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
    assertEquals(await names(dir), ["state"]);
  });
});

Deno.test("FileReplacer.removeLeftovers() removes the temp copies of a crashed process only", async () => {
  await withTempDir("denoclone-replace-", async (dir) => {
    const path = `${dir}/state`;
    for (
      const n of ["state", "state.tmp-123-0", "state.tmp-99-7", "state.corrupt-x", "other.tmp-1-0"]
    ) {
      Deno.writeTextFileSync(`${dir}/${n}`, n);
    }
    Deno.mkdirSync(`${dir}/state.tmp-dir`);
    const f = new FileReplacer(path);
    assertEquals(await f.removeLeftovers(), 2);
    assertEquals(await names(dir), ["other.tmp-1-0", "state", "state.corrupt-x", "state.tmp-dir"]);
    assertEquals(Deno.readTextFileSync(path), "state");
    assertEquals(await new FileReplacer(`${dir}/missing/state`).removeLeftovers(), 0);
  });
});

Deno.test("FileReplacer: the next replacement writes into a temp file opened ahead of it", async () => {
  await withTempDir("denoclone-replace-", async (dir) => {
    const path = `${dir}/state`;
    const f = new FileReplacer(path);
    f.replace(enc.encode("one"));
    const spare = await f.spareReady();
    ok(spare && spare.startsWith(`${path}.tmp-${Deno.pid}-`), `spare ${spare}`);
    const ino = Deno.statSync(spare).ino;
    assertEquals(Deno.statSync(spare).size, 0);
    f.replace(enc.encode("two"));
    assertEquals(Deno.readTextFileSync(path), "two");
    assertEquals(Deno.statSync(path).ino, ino);
    assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
    // Used up; the one after it is another file.
    const next = await f.spareReady();
    ok(next && next !== spare);
    // settled() leaves no spare behind.
    await f.settled();
    assertEquals(await names(dir), ["state"]);
    assertEquals(await f.spareReady(), undefined);
  });
});

Deno.test("FileReplacer: a spare removed under it is dropped and the replacement made anew", async () => {
  await withTempDir("denoclone-replace-", async (dir) => {
    const path = `${dir}/state`;
    const f = new FileReplacer(path);
    f.replace(enc.encode("one"));
    f.replace(enc.encode("two"));
    const spare = await f.spareReady();
    ok(spare);
    Deno.removeSync(spare);
    f.replace(enc.encode("three"));
    assertEquals(Deno.readTextFileSync(path), "three");
    f.replace(enc.encode("four"));
    assertEquals(Deno.readTextFileSync(path), "four");
    await f.settled();
    assertEquals(await names(dir), ["state"]);
  });
});

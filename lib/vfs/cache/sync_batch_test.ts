import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { SyncBatch, syncFs } from "./sync_batch.ts";

Deno.test("SyncBatch coalesces requests into one sync after the delay", async () => {
  let syncs = 0;
  const batch = new SyncBatch("/tmp", 30, () => {
    syncs++;
    return Promise.resolve();
  });
  for (let i = 0; i < 50; i++) batch.request();
  assertEquals([batch.pending, syncs], [true, 0]);
  await new Promise((r) => setTimeout(r, 120));
  assertEquals([batch.pending, syncs], [false, 1]);
});

Deno.test("SyncBatch.flush() waits for a sync that started after the call", async () => {
  const started: number[] = [];
  let release!: () => void;
  const batch = new SyncBatch("/tmp", 10_000, () => {
    started.push(Date.now());
    return started.length === 1 ? new Promise<void>((r) => (release = r)) : Promise.resolve();
  });
  const first = batch.flush();
  // A second flush while the first sync runs must not join it (it may predate the writes).
  let secondDone = false;
  const second = batch.flush().then(() => (secondDone = true));
  await new Promise((r) => setTimeout(r, 20));
  assertEquals([started.length, secondDone], [1, false]);
  release();
  await first;
  await second;
  assertEquals(started.length, 2);
});

Deno.test("syncFs() syncs a real file system and names a bad directory", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await syncFs(dir);
    let msg = "";
    await syncFs(`${dir}/missing`).catch((err) => (msg = String(err)));
    assertEquals(msg.includes(`${dir}/missing`), true);
  } finally {
    await Deno.remove(dir);
  }
});

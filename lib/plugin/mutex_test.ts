import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { Mutex } from "./mutex.ts";

Deno.test("Mutex.run() serialises callers in arrival order and survives a throwing caller", async () => {
  const m = new Mutex();
  const order: string[] = [];
  const slow = m.run(async () => {
    order.push("a-start");
    await new Promise((r) => setTimeout(r, 30));
    order.push("a-end");
  });
  const failing = m.run(() => {
    order.push("b");
    return Promise.reject(new Error("boom"));
  });
  const third = m.run(() => {
    order.push("c");
    return Promise.resolve(m.locked);
  });
  await slow;
  let failed = false;
  await failing.catch(() => failed = true);
  assertEquals(await third, true);
  assertEquals(failed, true);
  assertEquals(order, ["a-start", "a-end", "b", "c"]);
  assertEquals(m.locked, false);
});

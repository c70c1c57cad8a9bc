import { BatchPipeline } from "./_batch_pipeline.ts";
import { assertEquals, assertRejects } from "./_test_util.ts";

/** A promise with its resolve function. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => resolve = r);
  return { promise, resolve };
}

Deno.test("BatchPipeline runs one step at a time, reading ahead once asked twice", async () => {
  const started: number[] = [];
  const steps = [deferred<string>(), deferred<string>(), deferred<string>()];
  let n = 0;
  const p = new BatchPipeline<string>(() => {
    if (n === 3) return Promise.resolve(undefined);
    started.push(n);
    return steps[n++]!.promise;
  }, 2);
  const tick = () => new Promise((r) => setTimeout(r, 10));
  const first = p.next();
  await tick();
  assertEquals(started, [0]);
  steps[0]!.resolve("a");
  assertEquals(await first, "a");
  await tick();
  // One batch asked for: nothing read ahead.
  assertEquals(started, [0]);
  const second = p.next();
  await tick();
  // Step 2 is queued ahead but waits for step 1.
  assertEquals(started, [0, 1]);
  steps[1]!.resolve("b");
  await tick();
  assertEquals(started, [0, 1, 2]);
  assertEquals(await second, "b");
  steps[2]!.resolve("c");
  assertEquals(await p.next(), "c");
  assertEquals(await p.next(), undefined);
  assertEquals(await p.next(), undefined);
  assertEquals(started, [0, 1, 2]);
});

Deno.test("BatchPipeline hands out the batches before a failing step, then its error", async () => {
  let n = 0;
  const p = new BatchPipeline<number>(() => {
    const i = n++;
    if (i === 2) return Promise.reject(new RangeError("read failed"));
    return Promise.resolve(i);
  }, 3);
  assertEquals(await p.next(), 0);
  assertEquals(await p.next(), 1);
  await assertRejects(() => p.next(), RangeError, "read failed");
  assertEquals(await p.next(), undefined);
  assertEquals(n, 3);
});

Deno.test("BatchPipeline.stop() ends the batches and runs no more steps", async () => {
  let n = 0;
  const p = new BatchPipeline<number>(() => Promise.resolve(n++), 2);
  assertEquals(await p.next(), 0);
  p.stop();
  assertEquals(await p.next(), undefined);
  const steps = n;
  await new Promise((r) => setTimeout(r, 10));
  assertEquals(n, steps);
});

Deno.test("BatchPipeline grows its read-ahead by one per batch asked for, up to depth", async () => {
  let n = 0;
  const p = new BatchPipeline<number>(() => Promise.resolve(n++), 3);
  const tick = () => new Promise((r) => setTimeout(r, 10));
  assertEquals(await p.next(), 0);
  await tick();
  assertEquals(n, 1);
  assertEquals(await p.next(), 1);
  await tick();
  assertEquals(n, 3);
  assertEquals(await p.next(), 2);
  await tick();
  assertEquals(n, 5);
  assertEquals(await p.next(), 3);
  await tick();
  assertEquals(n, 6);
  p.stop();
});

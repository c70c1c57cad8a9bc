import { BatchPipeline } from "./_batch_pipeline.ts";
import { assertEquals, assertRejects } from "./_test_util.ts";

/** A promise with its resolve function. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => resolve = r);
  return { promise, resolve };
}

Deno.test("BatchPipeline runs one step at a time, at most `depth` ahead, in order", async () => {
  const started: number[] = [];
  const steps = [deferred<string>(), deferred<string>(), deferred<string>()];
  let n = 0;
  const p = new BatchPipeline<string>(() => {
    if (n === 3) return Promise.resolve(undefined);
    started.push(n);
    return steps[n++]!.promise;
  }, 2);
  const first = p.next();
  await new Promise((r) => setTimeout(r, 10));
  // Step 1 waits for step 0 to finish.
  assertEquals(started, [0]);
  steps[0]!.resolve("a");
  assertEquals(await first, "a");
  await new Promise((r) => setTimeout(r, 10));
  // Step 1 runs ahead of the consumer; step 2 waits for it.
  assertEquals(started, [0, 1]);
  steps[1]!.resolve("b");
  await new Promise((r) => setTimeout(r, 10));
  // With `depth` 2, step 2 started ahead too while "b" is not consumed yet.
  assertEquals(started, [0, 1, 2]);
  steps[2]!.resolve("c");
  assertEquals(await p.next(), "b");
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

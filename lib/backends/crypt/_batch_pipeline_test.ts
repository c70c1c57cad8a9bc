import { BatchPipeline } from "./_batch_pipeline.ts";
import { assertEquals, assertRejects } from "./_test_util.ts";

/** A promise with its resolve function. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => resolve = r);
  return { promise, resolve };
}

Deno.test("BatchPipeline reads one batch at a time, at most `depth` ahead, in order", async () => {
  const reads: number[] = [];
  const works = [deferred<string>(), deferred<string>(), deferred<string>()];
  let n = 0;
  const p = new BatchPipeline<string>(async () => {
    await Promise.resolve();
    if (n === 3) return undefined;
    reads.push(n);
    return { work: works[n++]!.promise };
  }, 2);
  const first = p.next();
  // Work 0 is not done yet, but batch 1 has been read meanwhile (read-ahead), not batch 2.
  await new Promise((r) => setTimeout(r, 10));
  assertEquals(reads, [0, 1]);
  works[1]!.resolve("b");
  works[0]!.resolve("a");
  assertEquals(await first, "a");
  works[2]!.resolve("c");
  assertEquals(await p.next(), "b");
  assertEquals(await p.next(), "c");
  assertEquals(await p.next(), undefined);
  assertEquals(await p.next(), undefined);
  assertEquals(reads, [0, 1, 2]);
});

Deno.test("BatchPipeline hands out the batches before a failing read, then its error", async () => {
  let n = 0;
  const p = new BatchPipeline<number>(() => {
    const i = n++;
    if (i === 2) return Promise.reject(new RangeError("read failed"));
    return Promise.resolve({ work: Promise.resolve(i) });
  }, 3);
  assertEquals(await p.next(), 0);
  assertEquals(await p.next(), 1);
  await assertRejects(() => p.next(), RangeError, "read failed");
  assertEquals(await p.next(), undefined);
  assertEquals(n, 3);
});

Deno.test("BatchPipeline.stop() ends the batches and reads no more", async () => {
  let n = 0;
  const p = new BatchPipeline<number>(() => Promise.resolve({ work: Promise.resolve(n++) }), 2);
  assertEquals(await p.next(), 0);
  p.stop();
  assertEquals(await p.next(), undefined);
  const reads = n;
  await new Promise((r) => setTimeout(r, 10));
  assertEquals(n, reads);
});

import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { UploadQueue } from "./upload_queue.ts";

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}

Deno.test("UploadQueue uploads after the write-back delay, rescheduling pushes it back", async () => {
  const done: [string, number][] = [];
  const t0 = Date.now();
  const q = new UploadQueue<string>({
    delayMs: 80,
    retryMinMs: 10,
    retryMaxMs: 100,
    upload: (k) => {
      done.push([k, Date.now() - t0]);
      return Promise.resolve();
    },
  });
  try {
    q.schedule("a");
    await new Promise((r) => setTimeout(r, 50));
    q.schedule("a");
    await until(() => done.length === 1);
    assertEquals(done[0]![0], "a");
    assertEquals(done[0]![1] >= 120, true);
    assertEquals(q.has("a"), false);
  } finally {
    await q.close();
  }
});

Deno.test("UploadQueue retries a failing upload with growing delays until it succeeds", async () => {
  let calls = 0;
  const errors: [number, number][] = [];
  const q = new UploadQueue<string>({
    delayMs: 0,
    retryMinMs: 10,
    retryMaxMs: 25,
    upload: () => {
      calls++;
      return calls < 4 ? Promise.reject(new Error("remote down")) : Promise.resolve();
    },
    onError: (_k, _e, attempt, retryIn) => errors.push([attempt, retryIn]),
  });
  try {
    q.schedule("x");
    await until(() => calls === 4 && !q.has("x"));
    assertEquals(errors, [[1, 10], [2, 20], [3, 25]]);
  } finally {
    await q.close();
  }
});

Deno.test("UploadQueue.cancel() aborts a running upload and waits for it", async () => {
  const started = deferred();
  let sawAbort = false;
  const q = new UploadQueue<string>({
    delayMs: 0,
    retryMinMs: 10,
    retryMaxMs: 10,
    upload: (_k, signal) => {
      started.resolve();
      return new Promise((_resolve, reject) => {
        signal.addEventListener("abort", () => {
          sawAbort = true;
          setTimeout(() => reject(new Error("aborted")), 20);
        });
      });
    },
  });
  try {
    q.schedule("x");
    await started.promise;
    assertEquals(q.inFlight, 1);
    await q.cancel("x");
    assertEquals(sawAbort, true);
    assertEquals(q.inFlight, 0);
    assertEquals(q.has("x"), false);
  } finally {
    await q.close();
  }
});

Deno.test("UploadQueue skips an unforced upload that is not ready, runs a forced one", async () => {
  const done: string[] = [];
  const q = new UploadQueue<string>({
    delayMs: 0,
    retryMinMs: 10,
    retryMaxMs: 10,
    ready: () => false,
    upload: (k) => {
      done.push(k);
      return Promise.resolve();
    },
  });
  try {
    q.schedule("a");
    await until(() => !q.has("a"));
    assertEquals(done, []);
    q.schedule("a", { force: true });
    await until(() => done.length === 1);
  } finally {
    await q.close();
  }
});

Deno.test("UploadQueue runs at most `parallel` uploads at once", async () => {
  let running = 0;
  let peak = 0;
  let finished = 0;
  const q = new UploadQueue<number>({
    delayMs: 0,
    retryMinMs: 10,
    retryMaxMs: 10,
    parallel: 2,
    upload: async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 20));
      running--;
      finished++;
    },
  });
  try {
    for (let i = 0; i < 6; i++) q.schedule(i);
    await until(() => finished === 6);
    assertEquals(peak, 2);
  } finally {
    await q.close();
  }
});

import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { RECEIVE_BUFFER_SIZE } from "../fuse/session.ts";
import { IdleRelease } from "./daemon_memory.ts";

/** Runs `fn` with a referenced timer: IdleRelease's own timer does not keep the test alive. */
async function keepingAlive(fn: () => Promise<void>): Promise<void> {
  const keep = setInterval(() => {}, 1000);
  try {
    await fn();
  } finally {
    clearInterval(keep);
  }
}

/**
 * Runs the malloc checks in a fresh Deno process: where glibc serves a block depends on the
 * calling thread's arena, which other test modules running in this process (`--parallel`) churn.
 */
async function mallocChecksInFreshProcess(): Promise<Record<string, boolean>> {
  const code = `
    import { MMAP_THRESHOLD, tuneMallocForMounts } from ${
    JSON.stringify(new URL("./daemon_memory.ts", import.meta.url).href)
  };
    const glibc = Deno.dlopen("libc.so.6", {
      malloc: { parameters: ["usize"], result: "pointer" },
      free: { parameters: ["pointer"], result: "void" },
    });
    // Whether glibc serves a size-byte block from its own mapping: the chunk's size word, just
    // before the pointer malloc returns, has IS_MMAPPED (0x2) set.
    const mmapped = (size) => {
      const p = glibc.symbols.malloc(BigInt(size));
      try {
        const word = new Deno.UnsafePointerView(Deno.UnsafePointer.offset(p, -8)).getBigUint64();
        return (word & 2n) !== 0n;
      } finally {
        glibc.symbols.free(p);
      }
    };
    // Freeing a mapped 16 MiB block raises glibc's dynamic threshold to 16 MiB: untuned, a
    // receive buffer would then come from the heap (where calloc makes a recycled block resident).
    mmapped(16 << 20);
    const r = {};
    r.tuned = tuneMallocForMounts();
    r.tunedAgain = tuneMallocForMounts();
    r.receiveBuffer = mmapped(${RECEIVE_BUFFER_SIZE});
    r.threshold = mmapped(MMAP_THRESHOLD);
    mmapped(16 << 20);
    r.receiveBufferAfterBigFree = mmapped(${RECEIVE_BUFFER_SIZE});
    // Last: a freed 1 MiB heap block is free heap space that glibc serves later requests from.
    r.oneMiB = mmapped(1 << 20);
    console.log(JSON.stringify(r));
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", code],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assertEquals(out.code, 0);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

Deno.test("tuneMallocForMounts() keeps receive buffers in their own mappings, 1 MiB blocks on the heap", async () => {
  assertEquals(await mallocChecksInFreshProcess(), {
    tuned: true,
    tunedAgain: true, // a second call changes nothing
    receiveBuffer: true,
    threshold: true,
    oneMiB: false, // a 1 MiB READ reply still comes from the heap
    receiveBufferAfterBigFree: true, // no longer raised by frees
  });
});

Deno.test("IdleRelease runs once after the last of several pokes", () =>
  keepingAlive(async () => {
    const released = Promise.withResolvers<void>();
    let calls = 0;
    const idle = new IdleRelease(30, () => {
      calls++;
      released.resolve();
    });
    idle.poke();
    idle.poke();
    assertEquals(idle.pending, true);
    idle.poke();
    await released.promise;
    assertEquals(calls, 1);
    assertEquals(idle.pending, false);
    // A later poke starts a new quiet period.
    const again = Promise.withResolvers<void>();
    const idle2 = new IdleRelease(10, () => again.resolve());
    idle2.poke();
    await again.promise;
    assertEquals(idle2.pending, false);
  }));

Deno.test("IdleRelease.cancel() drops a pending release", () =>
  keepingAlive(async () => {
    let calls = 0;
    const idle = new IdleRelease(10, () => calls++);
    idle.poke();
    idle.cancel();
    assertEquals(idle.pending, false);
    // A second release with the same quiet period fires; the cancelled one never did.
    const done = Promise.withResolvers<void>();
    const other = new IdleRelease(10, () => done.resolve());
    other.poke();
    await done.promise;
    await new Promise((r) => setTimeout(r, 20));
    assertEquals(calls, 0);
  }));

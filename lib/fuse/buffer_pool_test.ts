import assert from "node:assert/strict";
import { BufferPool } from "./buffer_pool.ts";

Deno.test("BufferPool allocates only when empty and recycles given buffers", () => {
  const pool = new BufferPool(16, 2);
  assert.equal(pool.spares, 0, "a new pool holds nothing");
  const a = pool.take();
  const b = pool.take();
  assert.equal(a.byteLength, 16);
  assert.notEqual(a, b, "an empty pool makes distinct buffers");
  pool.give(a);
  assert.equal(pool.spares, 1);
  assert.equal(pool.take(), a, "a given buffer is handed out again");
  assert.equal(pool.spares, 0);
});

Deno.test("BufferPool keeps at most max spares, never a duplicate or a wrong size", () => {
  const pool = new BufferPool(8, 2);
  const bufs = [pool.take(), pool.take(), pool.take()];
  for (const b of bufs) pool.give(b);
  assert.equal(pool.spares, 2, "the third spare is dropped");
  const c = pool.take();
  pool.give(c);
  pool.give(c);
  assert.equal(pool.spares, 2, "giving the same buffer twice keeps one");
  const p2 = new BufferPool(8, 4);
  p2.give(new Uint8Array(4));
  assert.equal(p2.spares, 0, "a buffer of another size is not kept");
  const x = p2.take();
  const y = p2.take();
  p2.give(x);
  p2.give(y);
  assert.notEqual(p2.take(), p2.take(), "two takes never share a buffer");
});

import { deepStrictEqual as assertEquals, ok as assert, rejects } from "node:assert/strict";
import { createHash } from "node:crypto";
import { MemoryBackend } from "./memory_backend.ts";
import { BlockBuilder, MEMORY_BLOCK_BYTES, MemoryStore } from "./memory_store.ts";
import { NotFoundError } from "../../errors.ts";

async function bytes(s: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(s).arrayBuffer());
}

Deno.test("BlockBuilder packs chunks of any size into fixed blocks", () => {
  const b = new BlockBuilder();
  const src = new Uint8Array(2 * MEMORY_BLOCK_BYTES + 10).map((_, i) => i % 251);
  for (let off = 0; off < src.length; off += 70_001) b.add(src.subarray(off, off + 70_001));
  const blocks = b.finish();
  assertEquals(b.size, src.length);
  assertEquals(blocks.map((x) => x.length), [MEMORY_BLOCK_BYTES, MEMORY_BLOCK_BYTES, 10]);
  assertEquals(blocks[2], src.subarray(2 * MEMORY_BLOCK_BYTES));
  assertEquals(new BlockBuilder().finish(), []);
});

Deno.test("MemoryBackend instances on one store share files; a new instance is private", async () => {
  const store = new MemoryStore();
  const top = new MemoryBackend({ store });
  const sub = new MemoryBackend({ store, root: "bucket/dir" });
  await sub.write("f", new Blob(["shared"]).stream());
  assertEquals(new TextDecoder().decode(await bytes(await top.read("bucket/dir/f"))), "shared");
  assertEquals((await top.list("bucket")).map((e) => e.path), ["bucket/dir"]);
  await rejects(new MemoryBackend().stat("bucket/dir/f"), NotFoundError);
  await sub.remove("f");
  await sub.rmdir("");
  assertEquals((await top.list("bucket")).length, 0);
  await top.rmdir("bucket");
  await top.rmdir("");
  assert((await top.stat("")).isDir, "the store's top directory stays");
});

Deno.test("MemoryBackend stores copies: callers may reuse written and read buffers", async () => {
  const b = new MemoryBackend();
  const buf = new TextEncoder().encode("abcdef");
  await b.write(
    "f",
    new ReadableStream({
      start(c) {
        c.enqueue(buf);
        c.close();
      },
    }),
  );
  buf.fill(0x7a);
  const first = await bytes(await b.read("f"));
  first.fill(0x79);
  assertEquals(new TextDecoder().decode(await bytes(await b.read("f"))), "abcdef");
});

Deno.test("MemoryBackend readers of a replaced file keep the old content", async () => {
  const b = new MemoryBackend();
  await b.write("f", new Blob(["x".repeat(3 * MEMORY_BLOCK_BYTES)]).stream());
  const r = (await b.read("f")).getReader();
  let n = (await r.read()).value!.length;
  await b.write("f", new Blob(["new"]).stream());
  for (;;) {
    const c = await r.read();
    if (c.done) break;
    n += c.value.length;
  }
  assertEquals(n, 3 * MEMORY_BLOCK_BYTES);
  assertEquals(new TextDecoder().decode(await bytes(await b.read("f"))), "new");
});

Deno.test("MemoryBackend caches hashes and reports them in stat", async () => {
  const b = new MemoryBackend();
  await b.write("f", new Blob(["hash me"]).stream());
  assertEquals((await b.stat("f")).hashes, undefined);
  const md5 = await b.hash("f", "md5");
  assertEquals(md5, createHash("md5").update("hash me").digest("hex"));
  assertEquals((await b.stat("f")).hashes, { md5 });
  await b.write("f", new Blob(["other"]).stream());
  assertEquals((await b.stat("f")).hashes, undefined);
  await rejects(b.hash("f", "crc32"), /Not supported/);
});

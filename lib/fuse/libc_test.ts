import { deepStrictEqual as assertEquals } from "node:assert/strict";
import * as libc from "./libc.ts";

Deno.test("pollWait() sleeps until the timeout when nothing is ready, and sees a ready fd", () => {
  const efd = libc.eventfd();
  try {
    assertEquals(libc.pollWait(efd, libc.Sys.POLLIN, 2000), 0, "nothing to read: timeout");
    const one = libc.offHeap(8);
    one[0] = 1;
    assertEquals(libc.write(efd, one), 8);
    assertEquals(libc.pollWait(efd, libc.Sys.POLLIN, 2000) & libc.Sys.POLLIN, libc.Sys.POLLIN);
    assertEquals(libc.read(efd, libc.offHeap(8)), 8);
    assertEquals(libc.pollWait(efd, libc.Sys.POLLIN, 0), 0, "drained");
  } finally {
    libc.close(efd);
  }
});

Deno.test("read() and write() report -errno, the same on every call", () => {
  const EBADF = 9;
  const buf = libc.offHeap(8);
  assertEquals(libc.read(-1, buf), -EBADF);
  assertEquals(libc.write(-1, buf), -EBADF);
  const efd = libc.eventfd();
  try {
    assertEquals(libc.read(efd, buf), -libc.Sys.EAGAIN, "nonblocking eventfd with nothing in it");
  } finally {
    libc.close(efd);
  }
  assertEquals(libc.read(-1, buf), -EBADF);
});

Deno.test("writev2() writes the header then the body view (byteOffset honoured), in one call", async () => {
  const dir = await Deno.makeTempDir({ prefix: "denoclone-libc-" });
  try {
    const path = `${dir}/out`;
    const O_CREAT = 0o100;
    const fd = libc.open(path, libc.Sys.O_WRONLY | O_CREAT | libc.Sys.O_CLOEXEC, 0o600);
    const head = libc.offHeap(16);
    head.fill(7);
    const all = new Uint8Array(10_000);
    for (let i = 0; i < all.length; i++) all[i] = i % 251;
    const body = all.subarray(100, 100 + 5000);
    try {
      assertEquals(libc.writev2(fd, head, body), 16 + 5000);
    } finally {
      libc.close(fd);
    }
    const got = await Deno.readFile(path);
    assertEquals(got.length, 5016);
    assertEquals([...got.subarray(0, 16)], new Array(16).fill(7));
    assertEquals(got.subarray(16).every((v, i) => v === (100 + i) % 251), true);
    assertEquals(libc.writev2(-1, head, body), -9, "EBADF");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

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

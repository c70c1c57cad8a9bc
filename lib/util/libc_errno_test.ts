import { strictEqual } from "node:assert/strict";
import { lastErrno } from "./libc_errno.ts";
import { lazyLibc } from "./lazy_libc.ts";

Deno.test("lastErrno: the errno a failed libc call left on this thread", () => {
  const c = lazyLibc({
    close: { parameters: ["i32"], result: "i32" },
    __errno_location: { parameters: [], result: "pointer" },
  })()!;
  strictEqual(c.close(-1), -1);
  strictEqual(lastErrno(c), 9); // EBADF
});

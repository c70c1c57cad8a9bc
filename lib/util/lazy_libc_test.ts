import { strictEqual } from "node:assert/strict";
import { lazyLibc } from "./lazy_libc.ts";

Deno.test("lazyLibc: loads once and calls into libc", () => {
  const libc = lazyLibc({ getpid: { parameters: [], result: "i32" } });
  const a = libc();
  strictEqual(a?.getpid(), Deno.pid);
  strictEqual(libc(), a);
});

Deno.test("lazyLibc: a missing symbol gives null, remembered", () => {
  const libc = lazyLibc({ denoclone_no_such_function: { parameters: [], result: "i32" } });
  strictEqual(libc(), null);
  strictEqual(libc(), null);
});

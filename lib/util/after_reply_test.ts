import { deepStrictEqual as assertEquals, match } from "node:assert/strict";
import { afterReply, runAfterReply } from "./after_reply.ts";
import { setLogSink } from "./log.ts";

Deno.test("afterReply(): chores wait for runAfterReply() and run once, in order", () => {
  const ran: string[] = [];
  afterReply(() => ran.push("a"));
  afterReply(() => ran.push("b"));
  assertEquals(ran, []);
  runAfterReply();
  assertEquals(ran, ["a", "b"]);
  runAfterReply();
  assertEquals(ran, ["a", "b"]);
});

Deno.test("afterReply(): with no reply written, a timer runs the chores", async () => {
  const ran: string[] = [];
  afterReply(() => ran.push("late"));
  await new Promise((r) => setTimeout(r, 30));
  assertEquals(ran, ["late"]);
});

Deno.test("runAfterReply(): a chore that throws is logged and the others still run", () => {
  const lines: string[] = [];
  const prev = setLogSink((l) => lines.push(l));
  try {
    const ran: string[] = [];
    afterReply(() => {
      throw new Error("boom");
    });
    afterReply(() => ran.push("next"));
    runAfterReply();
    assertEquals(ran, ["next"]);
    assertEquals(lines.length, 1);
    match(lines[0] ?? "", /background chore failed: boom/);
  } finally {
    setLogSink(prev);
  }
});

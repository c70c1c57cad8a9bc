import { InodeTable } from "./inode_table.ts";

function eq(actual: unknown, expected: unknown, what: string): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    throw new Error(`${what}: got ${JSON.stringify(actual)}, want ${JSON.stringify(expected)}`);
  }
}

function throwsNotFound(fn: () => unknown, what: string): void {
  try {
    fn();
  } catch (err) {
    if ((err as { errno?: number }).errno === 2) return;
    throw err;
  }
  throw new Error(`${what}: did not throw`);
}

Deno.test("InodeTable.lookup() gives one id per path and counts lookups until forget()", () => {
  const t = new InodeTable();
  eq(t.path(1), "", "root");
  const a = t.lookup("a");
  eq(t.lookup("a"), a, "same id on a second lookup");
  eq(t.path(a), "a", "path of id");
  t.forget(a, 1);
  eq(t.peek("a"), a, "still known with one lookup left");
  t.forget(a, 1);
  eq(t.peek("a"), undefined, "gone after the last forget");
  throwsNotFound(() => t.path(a), "forgotten id");
  t.forget(1, 100);
  eq(t.path(1), "", "the root is never forgotten");
  const b = t.lookup("a");
  if (b === a) throw new Error("ids are not reused");
});

Deno.test("InodeTable.rename() moves a node and everything below it", () => {
  const t = new InodeTable();
  const d = t.lookup("d");
  const f = t.lookup("d/sub/f");
  const other = t.lookup("dx");
  t.rename("d", "e/d2");
  eq([t.path(d), t.path(f), t.path(other)], ["e/d2", "e/d2/sub/f", "dx"], "paths");
  eq([t.peek("d"), t.peek("d/sub/f")], [undefined, undefined], "old paths free");
  eq(t.peek("e/d2/sub/f"), f, "new path resolves");
});

Deno.test("InodeTable.detach() keeps the node for open files but frees the name", () => {
  const t = new InodeTable();
  const a = t.lookup("a");
  const b = t.lookup("b");
  t.rename("a", "b"); // replaces b
  eq(t.node(b).detached, true, "the replaced node is detached");
  throwsNotFound(() => t.path(b), "path of a detached node");
  eq(t.peek("b"), a, "the name now means the moved node");
  t.detach("b");
  eq(t.node(a).detached, true, "unlinked");
  const c = t.lookup("b");
  if (c === a) throw new Error("a new file at the same name gets a new id");
});

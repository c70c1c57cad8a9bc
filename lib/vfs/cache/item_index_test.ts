import { ItemIndex } from "./item_index.ts";

function eq(actual: unknown, expected: unknown): void {
  const [a, e] = [JSON.stringify(actual), JSON.stringify(expected)];
  if (a !== e) throw new Error(`got ${a}, want ${e}`);
}

Deno.test("ItemIndex counts entries below directories as they come and go", () => {
  const ix = new ItemIndex<string>();
  ix.set("a/b/c", "1");
  ix.set("a/d", "2");
  ix.set("a/d", "2b");
  eq([ix.size, ix.hasBelow("a"), ix.hasBelow("a/b"), ix.hasBelow("a/d")], [2, true, true, false]);
  eq(ix.within("a").sort(), ["1", "2b"]);
  eq(ix.within("a/b/c"), ["1"]);
  ix.delete("a/b/c");
  eq([ix.hasBelow("a/b"), ix.hasBelow("a"), ix.delete("a/b/c")], [false, true, false]);
  ix.delete("a/d");
  eq([ix.hasBelow("a"), ix.hasBelow(""), ix.size], [false, false, 0]);
});

Deno.test("ItemIndex.above() finds files where a parent directory must be", () => {
  const ix = new ItemIndex<string>();
  ix.set("x", "file x");
  ix.set("x/y", "file x/y");
  eq(ix.above("x/y/z"), ["file x/y", "file x"]);
  eq(ix.above("x"), []);
  ix.clear();
  eq([ix.above("x/y/z"), ix.hasBelow("x")], [[], false]);
});

Deno.test("ItemIndex.children() lists the entries directly inside a directory as they come and go", () => {
  const ix = new ItemIndex<string>();
  ix.set("top", "t");
  ix.set("d/a", "a");
  ix.set("d/b", "b");
  ix.set("d/e/deep", "deep");
  ix.set("d/a", "a2");
  eq([...ix.children("")], ["t"]);
  eq([...ix.children("d")].sort(), ["a2", "b"]);
  eq([...ix.children("d/e")], ["deep"]);
  eq([...ix.children("nowhere")], []);
  ix.delete("d/a");
  ix.delete("d/b");
  eq([...ix.children("d")], []);
  eq([...ix.children("d/e")], ["deep"]);
  ix.clear();
  eq([...ix.children("d/e")], []);
});

Deno.test("ItemIndex.wasDir() remembers every directory that held entries, and noted ones", () => {
  const ix = new ItemIndex<string>();
  ix.set("a/b/c", "1");
  ix.delete("a/b/c");
  ix.noteDir("left/over");
  eq(
    ["a", "a/b", "a/b/c", "left/over", "left", "x"].map((p) => ix.wasDir(p)),
    [true, true, false, true, false, false],
  );
  ix.clear();
  eq([ix.wasDir("a"), ix.wasDir("left/over")], [false, false]);
});

import assert from "node:assert/strict";
import * as nodePath from "node:path";
import { dirName, joinPath, normalizePath, resolvePath } from "./os_path.ts";

// Paths with every shape the helpers must agree with node:path on (Linux, posix rules).
const CORPUS = [
  "",
  ".",
  "..",
  "/",
  "//",
  "///",
  "a",
  "a/",
  "a//",
  "/a",
  "/a/",
  "//a",
  "//a//",
  "a/b",
  "a/b/",
  "/a/b",
  "/a//b",
  "/a/./b",
  "/a/../b",
  "/a/b/..",
  "/a/b/../",
  "/..",
  "/../a",
  "../a",
  "../../a/b",
  "a/../..",
  "a/../../b/",
  "./a",
  "./",
  "a/./.",
  "/tmp/cache/vfs/remote/dir/file.txt",
  "rel/dir//x/./y/../z",
  ".hidden/..dots/...three",
];

Deno.test("normalizePath matches node:path normalize", () => {
  for (const p of CORPUS) assert.equal(normalizePath(p), nodePath.normalize(p), JSON.stringify(p));
});

Deno.test("dirName matches node:path dirname", () => {
  for (const p of [...CORPUS, "//a//b", "a//b", "/a///"]) {
    assert.equal(dirName(p), nodePath.dirname(p), JSON.stringify(p));
  }
  assert.equal(dirName("/tmp/cache/x"), "/tmp/cache");
});

Deno.test("joinPath matches node:path join", () => {
  assert.equal(joinPath(), nodePath.join());
  for (const a of CORPUS) {
    assert.equal(joinPath(a), nodePath.join(a), JSON.stringify(a));
    for (const b of ["", "b", "/b", "../b", "b/", "./", ".."]) {
      assert.equal(joinPath(a, b), nodePath.join(a, b), JSON.stringify([a, b]));
      assert.equal(joinPath(b, a), nodePath.join(b, a), JSON.stringify([b, a]));
    }
  }
});

Deno.test("resolvePath matches node:path resolve, relative paths from Deno.cwd()", () => {
  assert.equal(resolvePath(), nodePath.resolve());
  for (const a of CORPUS) {
    assert.equal(resolvePath(a), nodePath.resolve(a), JSON.stringify(a));
    for (const b of ["", "b", "/b", "../b", "b/", "./", ".."]) {
      assert.equal(resolvePath(a, b), nodePath.resolve(a, b), JSON.stringify([a, b]));
      assert.equal(resolvePath(b, a), nodePath.resolve(b, a), JSON.stringify([b, a]));
    }
  }
  assert.equal(resolvePath(Deno.cwd(), "."), Deno.cwd());
  assert.equal(resolvePath("/x", "y", "/z", "w"), "/z/w");
  assert.ok(resolvePath("rel").startsWith("/"));
});

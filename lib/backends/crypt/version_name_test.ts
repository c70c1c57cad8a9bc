import { addVersion, splitVersion } from "./version_name.ts";
import { assertEquals } from "./_test_util.ts";

Deno.test("splitVersion() finds a valid version right before the extension", () => {
  assertEquals(splitVersion("file-v2020-01-31-120000-000.txt"), {
    name: "file.txt",
    version: "-v2020-01-31-120000-000",
  });
  assertEquals(splitVersion("file-v2020-01-31-120000-000"), {
    name: "file",
    version: "-v2020-01-31-120000-000",
  });
});

Deno.test("splitVersion() ignores misplaced or invalid versions", () => {
  assertEquals(splitVersion("plain.txt"), undefined);
  assertEquals(splitVersion("a-v2020-01-31-120000-000-b.txt"), undefined);
  assertEquals(splitVersion("a-v2020-13-01-120000-000.txt"), undefined);
  assertEquals(splitVersion("a-v2021-02-29-120000-000.txt"), undefined);
  assertEquals(splitVersion("a-v2020-02-29-235959-999.txt")?.name, "a.txt");
  assertEquals(splitVersion("a-v2020-01-01-240000-000.txt"), undefined);
});

Deno.test("addVersion() puts the version before the extension", () => {
  assertEquals(
    addVersion("file.txt", "-v2020-01-31-120000-000"),
    "file-v2020-01-31-120000-000.txt",
  );
  assertEquals(addVersion("abc", "-v2020-01-31-120000-000"), "abc-v2020-01-31-120000-000");
  assertEquals(addVersion(".hidden", "-v2020-01-31-120000-000"), ".hidden-v2020-01-31-120000-000");
});

import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { parseHashOutput, shellQuote } from "./sftp_hash.ts";

async function run(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stderr: "null" }).output();
  return new TextDecoder().decode(out.stdout);
}

Deno.test("shellQuote() survives a real /bin/sh for hostile names", async () => {
  const names = [
    "plain",
    "with space",
    "quote's",
    'double "quotes"',
    "$(touch /tmp/denoclone-pwned)",
    "`id`; rm -rf x",
    "back\\slash",
    "-leading-dash",
    "ünïcödé 😀",
    "tab\there",
  ];
  for (const n of names) {
    assertEquals(await run("sh", ["-c", `printf '%s' ${shellQuote(n, "unix")}`]), n);
  }
});

Deno.test("parseHashOutput() reads md5sum and sha1sum output", async () => {
  const f = await Deno.makeTempFile();
  try {
    await Deno.writeTextFile(f, "hello\n");
    assertEquals(parseHashOutput(await run("md5sum", [f])), "b1946ac92492d2347c6235b4d2611184");
    assertEquals(
      parseHashOutput(await run("sha1sum", [f])),
      "f572d396fae9206628714fb2ce00f72e94f2258f",
    );
    assertEquals(parseHashOutput("md5sum: x: No such file or directory\n"), undefined);
    assertEquals(parseHashOutput(""), undefined);
  } finally {
    await Deno.remove(f);
  }
});

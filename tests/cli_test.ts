import { deepStrictEqual, match, ok } from "node:assert/strict";
import { runDenoclone } from "./helpers/cli.ts";

Deno.test("denoclone version names denoclone, Deno and the OS/arch", async () => {
  const r = await runDenoclone(["version"]);
  deepStrictEqual(r.code, 0, r.stderr);
  match(r.stdout, /^denoclone v\d+\.\d+\.\d+\n/);
  match(r.stdout, /- os\/type: linux\n/);
  match(r.stdout, /- os\/arch: (amd64|arm64)\n/);
  match(r.stdout, /- deno\/version: 2\.9\.\d+\n/);
});

Deno.test("an unknown flag exits 2 and names the flag", async () => {
  const r = await runDenoclone(["version", "--no-such-flag"]);
  deepStrictEqual(r.code, 2);
  match(r.stderr, /--no-such-flag/);
});

Deno.test("a bad flag value exits 2 and names the flag", async () => {
  const r = await runDenoclone(["--log-level", "LOUD", "version"]);
  deepStrictEqual(r.code, 2);
  match(r.stderr, /--log-level/);
  match(r.stderr, /LOUD/);
});

Deno.test("a bad RCLONE_* env value exits 2 and names the env var", async () => {
  const r = await runDenoclone(["version"], { env: { RCLONE_LOW_LEVEL_RETRIES: "many" } });
  deepStrictEqual(r.code, 2);
  match(r.stderr, /RCLONE_LOW_LEVEL_RETRIES/);
});

Deno.test("boolean flags accept rclone's --flag=value form and reject non-booleans", async () => {
  deepStrictEqual((await runDenoclone(["version", "--quiet=false"])).code, 0);
  deepStrictEqual((await runDenoclone(["version", "--quiet=true"])).code, 0);
  const r = await runDenoclone(["version", "--quiet=maybe"]);
  deepStrictEqual(r.code, 2);
  match(r.stderr, /--quiet/);
});

Deno.test("--help works on every command and exits 0", async () => {
  const root = await runDenoclone(["--help"]);
  deepStrictEqual(root.code, 0);
  const commands = [...root.stdout.matchAll(/^ {2}([a-z]+)(?: |\n)/gm)].map((m) => m[1]!);
  ok(commands.includes("version"), root.stdout);
  for (const c of commands) {
    const r = await runDenoclone([c, "--help"]);
    deepStrictEqual(r.code, 0, `${c} --help: ${r.stderr}`);
    match(r.stdout, /Usage: denoclone/);
  }
});

Deno.test("help flags prints the generated reference with env vars for every option", async () => {
  const r = await runDenoclone(["help", "flags"]);
  deepStrictEqual(r.code, 0, r.stderr);
  match(r.stdout, /\| `--cache-dir` \| `RCLONE_CACHE_DIR` \|/);
  match(r.stdout, /\| `-v, --verbose` \| `RCLONE_VERBOSE` \|/);
});

Deno.test("docs/options.md is the current generated reference", async () => {
  const r = await runDenoclone(["help", "flags"]);
  const doc = await Deno.readTextFile(new URL("../docs/options.md", import.meta.url));
  deepStrictEqual(doc, r.stdout, "run `deno task docs` to regenerate docs/options.md");
});

import assert from "node:assert/strict";
import { runPasswordCommand, splitCommandLine } from "./password_command.ts";
import { ConfigError } from "./config_error.ts";
import { redact } from "../util/log.ts";

Deno.test("splitCommandLine() splits on spaces and groups double-quoted words", () => {
  assert.deepEqual(splitCommandLine("pass show  rclone/conf"), ["pass", "show", "rclone/conf"]);
  assert.deepEqual(splitCommandLine('sh -c "printf %s ""a b"""'), ["sh", "-c", 'printf %s "a b"']);
  assert.deepEqual(splitCommandLine('x "" y'), ["x", "", "y"]);
  assert.deepEqual(splitCommandLine("   "), []);
  assert.throws(() => splitCommandLine('cat "/tmp/pw'), /unclosed quote/);
});

Deno.test("runPasswordCommand() returns the output without its line break and redacts it", async () => {
  const pw = await runPasswordCommand(["sh", "-c", "printf 'pw with space\\n'"]);
  assert.equal(pw, "pw with space");
  assert.equal(redact("the password is pw with space"), "the password is ***");
});

Deno.test("runPasswordCommand() names the command when it fails, is empty or is missing", async () => {
  await assert.rejects(
    runPasswordCommand(["sh", "-c", "echo nope >&2; exit 3"]),
    (err: unknown) =>
      err instanceof ConfigError && /"sh" failed: exit code 3: nope/.test(err.message),
  );
  await assert.rejects(runPasswordCommand(["true"]), /"true" returned empty string/);
  await assert.rejects(
    runPasswordCommand(["/nonexistent/denoclone-pw"]),
    /"\/nonexistent\/denoclone-pw" failed to run/,
  );
});

Deno.test("runPasswordCommand() runs a command once and keeps its answer", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const script = ["sh", "-c", `echo run >> '${dir}/count'; echo secret-once`];
    const [a, b] = await Promise.all([runPasswordCommand(script), runPasswordCommand(script)]);
    assert.equal(await runPasswordCommand(script), "secret-once");
    assert.deepEqual([a, b], ["secret-once", "secret-once"]);
    assert.equal(await Deno.readTextFile(`${dir}/count`), "run\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

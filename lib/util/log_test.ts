import { deepStrictEqual as assertEquals, match } from "node:assert/strict";
import { addSecret, log, redact, setLogLevel, setLogSink } from "./log.ts";

Deno.test("redact() hides registered secrets anywhere in a line", () => {
  addSecret("hunter2-very-secret");
  assertEquals(redact("login with hunter2-very-secret failed"), "login with *** failed");
});

Deno.test("redact() hides secret-looking key=value pairs and -o style options", () => {
  assertEquals(redact("sftp-pass=abc123 host=h"), "sftp-pass=*** host=h");
  assertEquals(redact('{"secret_access_key":"AKIA/xyz"}'), '{"secret_access_key":***}');
  assertEquals(
    redact(":s3,access_key_id=AK,secret_access_key='x,y':bucket"),
    ":s3,access_key_id=***,secret_access_key=***:bucket",
  );
  assertEquals(redact("password: p4ss"), "password: ***");
  assertEquals(redact("host=example.com user=bob"), "host=example.com user=bob");
});

Deno.test("redact() hides passwords inside URLs", () => {
  assertEquals(redact("proxy http://bob:pw@proxy:3128"), "proxy http://bob:***@proxy:3128");
});

Deno.test("log respects the level and redacts every line", () => {
  const lines: string[] = [];
  const prev = setLogSink((l) => lines.push(l));
  try {
    setLogLevel("INFO");
    log.debug("not shown");
    log.info("pass=topsecret shown");
    log.error("boom");
    setLogLevel("NOTICE");
    log.info("hidden again");
  } finally {
    setLogSink(prev);
  }
  assertEquals(lines.length, 2);
  match(lines[0]!, /INFO {2}: pass=\*\*\* shown\n$/);
  match(lines[1]!, /ERROR : boom\n$/);
});

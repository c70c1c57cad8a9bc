import assert from "node:assert/strict";
import { throwsError } from "./_test_helpers.ts";
import {
  checkConfigName,
  formatRemotePath,
  parseRemotePath,
  REMOTE_PATH_ERRORS,
  RemotePathError,
} from "./remote_path.ts";

Deno.test("parseRemotePath() reads remote:path and remote:", () => {
  assert.deepEqual(parseRemotePath("remote:path/to/dir"), {
    kind: "remote",
    name: "remote",
    onTheFly: false,
    params: {},
    path: "path/to/dir",
  });
  assert.deepEqual(parseRemotePath("my remote.x+y@z:"), {
    kind: "remote",
    name: "my remote.x+y@z",
    onTheFly: false,
    params: {},
    path: "",
  });
  assert.equal(
    (parseRemotePath("r:/abs:with:colons") as { path: string }).path,
    "/abs:with:colons",
  );
});

Deno.test("parseRemotePath() reads on-the-fly backends with parameters", () => {
  assert.deepEqual(parseRemotePath(":sftp,host=example.com,user=bob:dir/sub"), {
    kind: "remote",
    name: "sftp",
    onTheFly: true,
    params: { host: "example.com", user: "bob" },
    path: "dir/sub",
  });
  assert.deepEqual(parseRemotePath(":local:"), {
    kind: "remote",
    name: "local",
    onTheFly: true,
    params: {},
    path: "",
  });
});

Deno.test("parseRemotePath() reads quoted values with doubled quotes and bare keys", () => {
  const rp = parseRemotePath(`remote,a='x,y:z',b="say ""hi""",flag,c=,d='it''s':p`);
  assert.deepEqual(rp, {
    kind: "remote",
    name: "remote",
    onTheFly: false,
    params: { a: "x,y:z", b: 'say "hi"', flag: "true", c: "", d: "it's" },
    path: "p",
  });
  const last = parseRemotePath("r,k.x_1:");
  assert.deepEqual((last as { params: Record<string, string> }).params, { "k.x_1": "true" });
});

Deno.test("parseRemotePath() treats paths without a colon or with / first as local", () => {
  for (const p of ["/tmp/dir", "relative", "./a:b", "/x,y:z", "dir\\x:y", "a/b:c"]) {
    assert.deepEqual(parseRemotePath(p), { kind: "local", path: p });
  }
});

Deno.test("parseRemotePath() rejects an empty string", () => {
  const err = throwsError(() => parseRemotePath(""), RemotePathError);
  assert.equal(err.message, "can't use empty string as a path");
});

Deno.test("parseRemotePath() rejects bad names with rclone's text and the name", () => {
  const err = throwsError(() => parseRemotePath("bad$name:x"), RemotePathError);
  assert.equal(err.reason, REMOTE_PATH_ERRORS.invalidCharacters);
  assert.equal(err.part, "bad$name");
  for (const p of ["-dash:x", " lead:x", "trail :x", ":/x:y"]) {
    assert.equal(
      throwsError(() => parseRemotePath(p), RemotePathError).reason,
      REMOTE_PATH_ERRORS.invalidCharacters,
      p,
    );
  }
});

Deno.test("parseRemotePath() rejects empty names", () => {
  for (const p of ["::x", ":,a=b:x", ",a=b:x"]) {
    assert.equal(
      throwsError(() => parseRemotePath(p), RemotePathError).reason,
      REMOTE_PATH_ERRORS.nameEmpty,
      p,
    );
  }
});

Deno.test("parseRemotePath() names the failing parameter key, never the value", () => {
  const cases: [string, string, string | undefined][] = [
    [":sftp,ho$t=x:", REMOTE_PATH_ERRORS.badParam, "ho$"],
    [":sftp,,x:", REMOTE_PATH_ERRORS.emptyParam, undefined],
    [":sftp,=x:", REMOTE_PATH_ERRORS.emptyParam, undefined],
    [":sftp,pass='secret:", REMOTE_PATH_ERRORS.quotedValue, "pass"],
    [":sftp,pass='secret'x:", REMOTE_PATH_ERRORS.afterQuote, "pass"],
    [":sftp", REMOTE_PATH_ERRORS.nameNeedsColon, ":sftp"],
  ];
  for (const [input, reason, part] of cases) {
    const err = throwsError(() => parseRemotePath(input), RemotePathError);
    assert.equal(err.reason, reason, input);
    assert.equal(err.part, part, input);
    assert.equal(err.message.includes("secret"), false);
  }
});

Deno.test("formatRemotePath() sorts and quotes parameters", () => {
  assert.equal(
    formatRemotePath({
      kind: "remote",
      name: "sftp",
      onTheFly: true,
      params: { user: "bob", host: "h", pass: "it's,:" },
      path: "dir",
    }),
    ":sftp,host='h',pass='it''s,:',user='bob':dir",
  );
  assert.equal(
    formatRemotePath({ kind: "remote", name: "r", onTheFly: false, params: {}, path: "" }),
    "r:",
  );
});

Deno.test("formatRemotePath() protects local paths that would read as remotes", () => {
  assert.equal(formatRemotePath({ kind: "local", path: "a:b" }), "./a:b");
  assert.equal(formatRemotePath({ kind: "local", path: "/abs:x" }), "/abs:x");
  assert.equal(formatRemotePath({ kind: "local", path: "plain" }), "plain");
  throwsError(() => formatRemotePath({ kind: "local", path: "" }), RemotePathError);
});

Deno.test("formatRemotePath() rejects bad names and keys", () => {
  throwsError(
    () => formatRemotePath({ kind: "remote", name: "a:b", onTheFly: false, params: {}, path: "" }),
    RemotePathError,
  );
  throwsError(
    () =>
      formatRemotePath({
        kind: "remote",
        name: "a",
        onTheFly: true,
        params: { "k=": "v" },
        path: "",
      }),
    RemotePathError,
  );
});

Deno.test("parseRemotePath() and formatRemotePath() round-trip", () => {
  const inputs = [
    "remote:path/to/dir",
    "remote:",
    ":sftp:",
    ":sftp,host=example.com,port=2222:/data",
    `:s3,provider=Minio,endpoint='http://127.0.0.1:9000',secret="a""b":bucket/x`,
    "remote,opt=val:path",
    "ünïcode name:ä/ö",
    "/local/path",
    "local:with:colons/x",
    "./x:y",
  ];
  for (const input of inputs) {
    const once = parseRemotePath(input);
    const text = formatRemotePath(once);
    assert.deepEqual(parseRemotePath(text), once, input);
    assert.equal(formatRemotePath(parseRemotePath(text)), text, input);
  }
});

Deno.test("checkConfigName() accepts rclone's names and rejects the rest", () => {
  for (const ok of ["a", "my-remote", "a b", "x.y", "a+b@c", "ünï", "数字1", "_x"]) {
    checkConfigName(ok);
  }
  for (const bad of ["", "-a", " a", "a ", "a:b", "a/b", "a,b", "a$"]) {
    throwsError(() => checkConfigName(bad), RemotePathError);
  }
});

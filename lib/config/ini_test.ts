import assert from "node:assert/strict";
import { throwsError } from "./_test_helpers.ts";
import { DEFAULT_SECTION, formatValue, IniDocument, IniParseError, IniValueError } from "./ini.ts";

// The same text was fed to `rclone config dump` 1.60.1; the expectations below are its output.
const TRICKY = "\uFEFF# top comment\nfoo = bar\n; c2\n[a]\n# key comment\ntype = alias\n" +
  'remote = /tmp\nremote = /tmp2\n`k:x` = `v` \n"q=k" = "quoted"\nz : colon=val\n' +
  "- = one\n- = two\n\n[ b ]\ntype=local\n[empty]\n";

function dump(doc: IniDocument): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const s of doc.sectionNames()) {
    out[s] = {};
    for (const k of doc.keys(s)) out[s][k] = doc.get(s, k)!;
  }
  return out;
}

Deno.test("IniDocument.parse() reads rclone's dialect like rclone config dump", () => {
  const doc = IniDocument.parse(TRICKY);
  assert.deepEqual(dump(doc), {
    DEFAULT: { foo: "bar" },
    a: {
      type: "alias",
      remote: "/tmp2",
      "k:x": "v",
      "q=k": '"quoted"',
      z: "colon=val",
      "#1": "one",
      "#2": "two",
    },
    b: { type: "local" },
    empty: {},
  });
  assert.deepEqual(doc.sectionNames(), [DEFAULT_SECTION, "a", "b", "empty"]);
});

Deno.test("IniDocument.toString() writes the layout rclone writes", () => {
  const doc = IniDocument.parse(TRICKY);
  // This is byte for byte what rclone 1.60.1 wrote after loading TRICKY and adding nothing.
  assert.equal(
    doc.toString(),
    "# top comment\nfoo = bar\n\n; c2\n[a]\n# key comment\ntype = alias\nremote = /tmp2\n" +
      '`k:x` = v\n`q=k` = "quoted"\nz = colon=val\n- = one\n- = two\n\n[b]\ntype = local\n\n' +
      "[empty]\n\n",
  );
});

Deno.test("IniDocument round-trips values that need wrapping", () => {
  const values = [
    "a`b",
    'a`b"c',
    "  spaced  ",
    "`",
    "`x`",
    '"""abc"""',
    '"""',
    'x""',
    "a=b:c",
    "",
    "ünïcode ✓",
    "%(notavar",
  ];
  const doc = new IniDocument();
  values.forEach((v, i) => doc.set("r", `k${i}`, v));
  const again = IniDocument.parse(doc.toString());
  values.forEach((v, i) => assert.equal(again.get("r", `k${i}`), v, `value ${JSON.stringify(v)}`));
});

Deno.test("formatValue() leaves plain values alone like rclone", () => {
  assert.equal(formatValue("/tmp/x:y=z"), "/tmp/x:y=z");
  assert.equal(formatValue("abc"), "abc");
});

Deno.test("IniDocument.set() keeps key and section order, appending new ones", () => {
  const doc = IniDocument.parse("[one]\na = 1\nb = 2\n\n[two]\nc = 3\n");
  doc.set("one", "a", "10");
  doc.set("one", "z", "26");
  doc.set("three", "type", "local");
  assert.equal(
    doc.toString(),
    "[one]\na = 10\nb = 2\nz = 26\n\n[two]\nc = 3\n\n[three]\ntype = local\n\n",
  );
});

Deno.test("IniDocument keeps unknown keys and comments on rewrite", () => {
  const text = "; first\n[r]\n# about type\ntype = sftp\nx_unknown_key = keep me\n\n# trailing\n";
  const doc = IniDocument.parse(text);
  doc.set("r", "host", "h");
  assert.equal(
    doc.toString(),
    "; first\n[r]\n# about type\ntype = sftp\nx_unknown_key = keep me\nhost = h\n\n# trailing\n",
  );
});

Deno.test("IniDocument.deleteSection() and deleteKey() report whether something was removed", () => {
  const doc = IniDocument.parse("[a]\nx = 1\n[b]\ny = 2\n");
  assert.equal(doc.deleteKey("a", "x"), true);
  assert.equal(doc.deleteKey("a", "x"), false);
  assert.equal(doc.deleteSection("b"), true);
  assert.equal(doc.deleteSection("b"), false);
  assert.equal(doc.toString(), "[a]\n\n");
});

Deno.test("IniDocument.parse() handles CRLF line ends and a missing final newline", () => {
  const doc = IniDocument.parse("[r]\r\ntype = local\r\nkey: v");
  assert.deepEqual(dump(doc), { r: { type: "local", key: "v" } });
});

Deno.test("IniDocument.parse() rejects a line without separator naming its line number", () => {
  const err = throwsError(() => IniDocument.parse("[r]\ntype = x\nsecretline\n"), IniParseError);
  assert.equal(err.line, 3);
  assert.equal(err.message.includes("secretline"), false);
  assert.match(err.message, /line 3/);
});

Deno.test("IniDocument.parse() rejects keys after an empty section name", () => {
  const err = throwsError(() => IniDocument.parse("[]\na = b\n"), IniParseError);
  assert.match(err.message, /empty section name not allowed/);
});

Deno.test("IniDocument.parse() rejects an unterminated backtick value", () => {
  throwsError(() => IniDocument.parse("[r]\na = `abc\n"), IniParseError);
});

Deno.test("IniDocument.set() rejects newlines and comment-like keys", () => {
  const doc = new IniDocument();
  throwsError(() => doc.set("r", "k", "a\nb"), IniValueError);
  throwsError(() => doc.set("r", "#k", "v"), IniValueError);
  throwsError(() => doc.set("bad]name", "k", "v"), IniValueError);
  throwsError(() => doc.set("r", "", "v"), IniValueError);
});

Deno.test("IniDocument.lookup() falls back from a.b to a and substitutes %(name)s", () => {
  const doc = IniDocument.parse(
    "root = /srv\n[a]\nuser = bob\n[a.b]\nhost = h\npath = %(root)s/%(host)s/%(user)s/%(missing)s\n",
  );
  assert.equal(doc.lookup("a.b", "user"), "bob");
  // Substitution looks in DEFAULT and the same section only, as goconfig does.
  assert.equal(doc.lookup("a.b", "path"), "/srv/h//");
  assert.equal(doc.lookup("a.b", "nothing"), undefined);
  // goconfig trims the characters `)` and `s` from the end of the name (verified with rclone).
  const quirk = IniDocument.parse("[r]\npass = %(pass)s\npa = X\n");
  assert.equal(quirk.lookup("r", "pass"), "X");
  assert.equal(doc.lookup("zzz", "user"), undefined);
  assert.equal(doc.get("a.b", "user"), undefined);
});

Deno.test("IniDocument.toString() writes DEFAULT first even if it appeared later", () => {
  const doc = IniDocument.parse("[a]\nx = 1\n[DEFAULT]\ny = 2\n");
  const again = IniDocument.parse(doc.toString());
  assert.equal(again.get(DEFAULT_SECTION, "y"), "2");
  assert.equal(again.get("a", "y"), undefined);
});

Deno.test("IniDocument.toString() of an empty document is empty", () => {
  assert.equal(new IniDocument().toString(), "");
  assert.equal(IniDocument.parse("\n\n").toString(), "");
});

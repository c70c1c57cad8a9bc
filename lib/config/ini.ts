/**
 * @module
 * The INI dialect of rclone.conf, read and written as rclone does (it uses the Go library
 * `github.com/unknwon/goconfig` v1.0.0):
 *
 * - a UTF-8 BOM is skipped; every line is trimmed; blank lines are skipped;
 * - lines starting with `#` or `;` are comments, kept and re-written above the next section or
 *   key (there are no inline comments);
 * - `[name]` starts a section (name trimmed); key/value lines before any section belong to
 *   section `DEFAULT`;
 * - other lines split at the first `=` or `:`; key and value are trimmed; a key may be wrapped
 *   in `` ` ``, `"` or `"""` to contain `=`/`:`; a value starting with a backtick (or with `"""`
 *   and at least 6 characters long) is unwrapped up to the last matching quote; a value in plain
 *   double quotes keeps its quotes;
 * - key `-` becomes `#1`, `#2`, … (numbered per section) and is written back as `-`;
 * - a repeated key keeps its first position and its last value.
 *
 * Writing emits sections in their original order, `key = value` lines and a blank line after each
 * section. Where rclone's own writer would produce a line that reads back differently (a value
 * with a backtick, leading/trailing spaces, or starting with a quote), the value is wrapped so
 * that rclone reads it back exactly. The `DEFAULT` section is always written first (it has no
 * header, so anywhere else its keys would join the previous section), and comments after the last
 * key are kept at the end of the file.
 */

/** The name of the section holding keys that appear before any `[section]` line. */
export const DEFAULT_SECTION = "DEFAULT";

/** A line of an INI file could not be parsed; the message names the line number only. */
export class IniParseError extends Error {
  /** The 1-based line number of the bad line. */
  readonly line: number;
  /** Creates a parse error for line `line`. */
  constructor(message: string, line: number) {
    super(message);
    this.name = "IniParseError";
    this.line = line;
  }
}

/** A key or value that cannot be represented in the INI dialect. */
export class IniValueError extends Error {
  /** Creates an error naming the bad key. */
  constructor(message: string) {
    super(message);
    this.name = "IniValueError";
  }
}

interface Entry {
  value: string;
  comments: string[];
}

interface Section {
  comments: string[];
  entries: Map<string, Entry>;
}

const AUTO_KEY = /^#[0-9]+$/;
const VAR_PATTERN = /%\(([^)]+)\)s/;
const MAX_SUBSTITUTIONS = 200;

/** A parsed INI document: ordered sections of ordered keys, with their comments. */
export class IniDocument {
  #sections = new Map<string, Section>();
  #trailingComments: string[] = [];

  /** Parses INI text as rclone does; throws {@link IniParseError} naming the line number. */
  static parse(text: string): IniDocument {
    const doc = new IniDocument();
    if (text.startsWith("\uFEFF")) text = text.slice(1);
    const lines = text.split("\n");
    let section = DEFAULT_SECTION;
    let comments: string[] = [];
    let counter = 1;
    for (let n = 0; n < lines.length; n++) {
      const line = lines[n]!.trim();
      const lineNo = n + 1;
      if (line === "") continue;
      if (line[0] === "#" || line[0] === ";") {
        comments.push(line);
        continue;
      }
      if (line[0] === "[" && line[line.length - 1] === "]") {
        section = line.slice(1, -1).trim();
        const s = doc.#ensure(section);
        if (comments.length > 0) {
          s.comments = comments;
          comments = [];
        }
        counter = 1;
        continue;
      }
      if (section === "") {
        throw new IniParseError(`empty section name not allowed (line ${lineNo})`, lineNo);
      }
      let [key, sep] = splitKey(line, lineNo);
      if (key === "-") key = `#${counter++}`;
      const value = unwrapValue(line.slice(sep + 1).trim(), lineNo);
      const s = doc.#ensure(section);
      const old = s.entries.get(key);
      if (old) {
        old.value = value;
        if (comments.length > 0) old.comments = comments;
      } else {
        s.entries.set(key, { value, comments });
      }
      comments = [];
    }
    doc.#trailingComments = comments;
    return doc;
  }

  #ensure(name: string): Section {
    let s = this.#sections.get(name);
    if (!s) {
      s = { comments: [], entries: new Map() };
      this.#sections.set(name, s);
    }
    return s;
  }

  /** The section names in file order (including `DEFAULT` if it has been used). */
  sectionNames(): string[] {
    return [...this.#sections.keys()];
  }

  /** Whether the section exists (possibly empty). */
  hasSection(name: string): boolean {
    return this.#sections.has(name);
  }

  /** Adds an empty section at the end unless it exists. */
  addSection(name: string): void {
    checkSectionName(name);
    this.#ensure(name);
  }

  /** Removes a section and its comments; returns whether it existed. */
  deleteSection(name: string): boolean {
    return this.#sections.delete(name);
  }

  /** The keys of a section in file order (auto-numbered keys as `#1`, `#2`, …). */
  keys(section: string): string[] {
    return [...(this.#sections.get(section)?.entries.keys() ?? [])];
  }

  /** The raw value of a key, or undefined if the section or key is missing. */
  get(section: string, key: string): string | undefined {
    return this.#sections.get(section)?.entries.get(key)?.value;
  }

  /**
   * Looks a value up as goconfig's `GetValue` does: a key missing in section `a.b` is looked
   * up in section `a`, and `%(name)s` references are substituted (up to 200 rounds) from the
   * `DEFAULT` section, else from the same section, else with the empty string. The name is
   * trimmed of leading `%(` and trailing `)s` characters as goconfig does, so `%(pass)s` looks
   * up `pa`.
   */
  lookup(section: string, key: string): string | undefined {
    if (section === "") section = DEFAULT_SECTION;
    const s = this.#sections.get(section);
    if (!s) return undefined;
    const entry = s.entries.get(key);
    if (!entry) {
      const dot = section.lastIndexOf(".");
      return dot >= 0 ? this.lookup(section.slice(0, dot), key) : undefined;
    }
    let value = entry.value;
    for (let i = 0; i < MAX_SUBSTITUTIONS; i++) {
      const m = VAR_PATTERN.exec(value);
      if (!m) break;
      const ref = m[0].replace(/^[%(]+/, "").replace(/[)s]+$/, "");
      let sub = this.lookup(DEFAULT_SECTION, ref);
      if (sub === undefined && section !== DEFAULT_SECTION) sub = s.entries.get(ref)?.value;
      value = value.replaceAll(m[0], sub ?? "");
    }
    return value;
  }

  /**
   * Sets a value, creating the section (at the end) and key (at the end of the section) if
   * needed. Keys keep their position when overwritten.
   */
  set(section: string, key: string, value: string): void {
    checkSectionName(section);
    checkKey(key);
    if (/[\r\n]/.test(value)) {
      throw new IniValueError(`value of key ${JSON.stringify(key)} must not contain a newline`);
    }
    const s = this.#ensure(section);
    const old = s.entries.get(key);
    if (old) old.value = value;
    else s.entries.set(key, { value, comments: [] });
  }

  /** Deletes a key; returns whether it existed. */
  deleteKey(section: string, key: string): boolean {
    return this.#sections.get(section)?.entries.delete(key) ?? false;
  }

  /** Renders the document in rclone's layout (see the module documentation). */
  toString(): string {
    const out: string[] = [];
    const names = this.sectionNames();
    const ordered = names.includes(DEFAULT_SECTION)
      ? [DEFAULT_SECTION, ...names.filter((n) => n !== DEFAULT_SECTION)]
      : names;
    for (const name of ordered) {
      const s = this.#sections.get(name)!;
      out.push(...s.comments);
      if (name !== DEFAULT_SECTION) out.push(`[${name}]`);
      for (const [key, entry] of s.entries) {
        out.push(...entry.comments);
        out.push(`${formatKey(key)} = ${formatValue(entry.value)}`);
      }
      out.push("");
    }
    out.push(...this.#trailingComments);
    return out.length === 0 ? "" : out.join("\n") + "\n";
  }
}

/** Splits a key/value line: returns the key and the index of its `=`/`:` separator. */
function splitKey(line: string, lineNo: number): [string, number] {
  const bad = () =>
    new IniParseError(`could not parse line ${lineNo}: expected key = value`, lineNo);
  let quote = "";
  if (line[0] === '"') quote = line.length >= 6 && line.startsWith('"""') ? '"""' : '"';
  else if (line[0] === "`") quote = "`";
  if (quote) {
    const close = line.indexOf(quote, quote.length);
    if (close < 0) throw bad();
    const rel = indexOfSep(line.slice(close));
    if (rel <= 0) throw bad();
    return [line.slice(quote.length, close), close + rel];
  }
  const i = indexOfSep(line);
  if (i <= 0) throw bad();
  return [line.slice(0, i).trim(), i];
}

function indexOfSep(s: string): number {
  const eq = s.indexOf("=");
  const colon = s.indexOf(":");
  if (eq < 0) return colon;
  if (colon < 0) return eq;
  return Math.min(eq, colon);
}

/** Unwraps a trimmed value: backtick- or `"""`-wrapped values lose their quotes. */
function unwrapValue(right: string, lineNo: number): string {
  let quote = "";
  if (right.length >= 2 && right[0] === "`") quote = "`";
  else if (right.length >= 6 && right.startsWith('"""')) quote = '"""';
  if (!quote) return right;
  const rest = right.slice(quote.length);
  const close = rest.lastIndexOf(quote);
  if (close < 0) {
    throw new IniParseError(`could not parse line ${lineNo}: unterminated ${quote}`, lineNo);
  }
  return rest.slice(0, close);
}

function formatKey(key: string): string {
  if (AUTO_KEY.test(key)) return "-";
  if (!key.includes("=") && !key.includes(":")) return key;
  if (!key.includes("`")) return "`" + key + "`";
  return key.includes('"') ? `"""${key}"""` : `"${key}"`;
}

/** Renders a value so that rclone's reader returns it unchanged. */
export function formatValue(value: string): string {
  const needsWrap = value !== value.trim() || value.startsWith('"""') ||
    (value.startsWith("`") && value.length >= 2);
  if (!value.includes("`")) return needsWrap ? "`" + value + "`" : value;
  return `"""${value}"""`;
}

function checkSectionName(name: string): void {
  if (name === "" || name !== name.trim() || /[\r\n\]]/.test(name) || name.startsWith("[")) {
    throw new IniValueError(`invalid section name ${JSON.stringify(name)}`);
  }
}

function checkKey(key: string): void {
  if (
    key === "" || key !== key.trim() || /[\r\n]/.test(key) || /^[#;[]/.test(key) ||
    (key.includes("`") && key.includes('"""'))
  ) {
    throw new IniValueError(`invalid key ${JSON.stringify(key)}`);
  }
}

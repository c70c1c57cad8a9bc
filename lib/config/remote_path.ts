/**
 * @module
 * rclone's remote path syntax (`fs/fspath`): `remote:path`, `remote:`, `:backend:path`,
 * `:backend,key=value,key2='a,b':path`, `remote,key=value:path` and plain local paths.
 *
 * - No `:` at all, or a `/` (or `\`) before the first `:`/`,`, means a local path (but a string
 *   starting with `:` is then an invalid on-the-fly remote).
 * - Parameters are `key=value` separated by `,`; keys use `0-9 A-Z a-z _ .`; a key without `=`
 *   means `true`; an unquoted value ends at `,` or `:`; a value may be quoted with `'` or `"`,
 *   where a doubled quote is a literal quote.
 * - Remote names may contain letters, digits, `_ - . + @` and space, must not start with `-` or
 *   space, and must not end with a space.
 *
 * Errors are {@link RemotePathError}s carrying rclone's exact text as `reason`; the message adds
 * the offending name or parameter key (never a parameter value, which may be a secret).
 */

import { UsageError } from "../errors.ts";

/** A parsed remote path. For `:sftp,host=x:dir`, `name` is `sftp` and `onTheFly` is true. */
export type RemotePath =
  | { kind: "local"; path: string }
  | {
    kind: "remote";
    name: string;
    onTheFly: boolean;
    params: Record<string, string>;
    path: string;
  };

/** rclone's error texts for remote paths, keyed by condition. */
export const REMOTE_PATH_ERRORS = {
  invalidCharacters:
    "config name contains invalid characters - may only contain numbers, letters, `_`, `-`, `.`, `+`, `@` and space, while not start with `-` or space, and not end with space",
  empty: "can't use empty string as a path",
  badParam: "config parameters may only contain `0-9`, `A-Z`, `a-z`, `_` and `.`",
  emptyParam: "config parameters can't be empty",
  nameEmpty: "config name can't be empty",
  nameNeedsColon: "config name needs a trailing `:`",
  param: "config parameter must end with `,` or `:`",
  value: "unquoted config value must end with `,` or `:`",
  quotedValue: "unterminated quoted config value",
  afterQuote: "expecting `:` or `,` or another quote after a quote",
} as const;

/** A remote path or config name is invalid. */
export class RemotePathError extends UsageError {
  /** rclone's text for the problem, without the offending part. */
  readonly reason: string;
  /** The offending remote name or parameter key, if any. */
  readonly part: string | undefined;
  /** Creates an error from rclone's text and the offending part. */
  constructor(reason: string, part?: string) {
    super(part === undefined ? reason : `${reason}: ${JSON.stringify(part)}`);
    this.name = "RemotePathError";
    this.reason = reason;
    this.part = part;
  }
}

const NAME_RE = /^[\p{L}\p{N}_.+@]+(?:[ -]+[\p{L}\p{N}_.+@-]+)*$/u;
const PARAM_CHAR = /^[A-Za-z0-9_.]$/;

/** Whether `name` is a valid remote (config section) name. */
export function isValidConfigName(name: string): boolean {
  return NAME_RE.test(name);
}

/** Throws {@link RemotePathError} with rclone's text if `name` is not a valid remote name. */
export function checkConfigName(name: string): void {
  if (!isValidConfigName(name)) {
    throw new RemotePathError(REMOTE_PATH_ERRORS.invalidCharacters, name);
  }
}

/** Parser states. */
const State = { Name: 0, Param: 1, Value: 2, Quoted: 3, AfterQuote: 4 } as const;

/** Parses a remote path as rclone does; throws {@link RemotePathError}. */
export function parseRemotePath(s: string): RemotePath {
  if (s === "") throw new RemotePathError(REMOTE_PATH_ERRORS.empty);
  if (!s.includes(":")) return { kind: "local", path: s };
  const onTheFly = s[0] === ":";
  const params: Record<string, string> = {};
  let name = "";
  let state: number = State.Name;
  let start = 0; // start of the token being read
  let key = "";
  let quote = "";
  let doubled = false;
  let i = onTheFly ? 1 : 0;
  const chars = s; // indexes below are UTF-16 units; every delimiter is ASCII
  for (; i < chars.length; i++) {
    const c = chars[i]!;
    if (state === State.Name) {
      if (c === "/" || c === "\\") {
        if (onTheFly) {
          throw new RemotePathError(REMOTE_PATH_ERRORS.invalidCharacters, s.slice(0, i));
        }
        return { kind: "local", path: s };
      }
      if (c !== ":" && c !== ",") continue;
      name = s.slice(onTheFly ? 1 : 0, i);
      if (name === "") throw new RemotePathError(REMOTE_PATH_ERRORS.nameEmpty);
      checkConfigName(name);
      start = i + 1;
      if (c === ":") return done(i);
      state = State.Param;
    } else if (state === State.Param) {
      if (c === ":" || c === "," || c === "=") {
        key = s.slice(start, i);
        if (key === "") throw new RemotePathError(REMOTE_PATH_ERRORS.emptyParam);
        start = i + 1;
        if (c === "=") {
          state = State.Value;
          continue;
        }
        params[key] = "true";
        if (c === ":") return done(i);
      } else if (!PARAM_CHAR.test(c)) {
        throw new RemotePathError(REMOTE_PATH_ERRORS.badParam, s.slice(start, i + 1));
      }
    } else if (state === State.Value) {
      if ((c === "'" || c === '"') && i === start) {
        quote = c;
        doubled = false;
        start = i + 1;
        state = State.Quoted;
      } else if (c === ":" || c === ",") {
        params[key] = s.slice(start, i);
        start = i + 1;
        if (c === ":") return done(i);
        state = State.Param;
      }
    } else if (state === State.Quoted) {
      if (c === quote) state = State.AfterQuote;
    } else {
      if (c === ":" || c === ",") {
        let value = s.slice(start, i - 1);
        if (doubled) value = value.replaceAll(quote + quote, quote);
        params[key] = value;
        start = i + 1;
        if (c === ":") return done(i);
        state = State.Param;
      } else if (c === quote) {
        doubled = true;
        state = State.Quoted;
      } else {
        throw new RemotePathError(REMOTE_PATH_ERRORS.afterQuote, key);
      }
    }
  }
  switch (state) {
    case State.Name:
      throw new RemotePathError(REMOTE_PATH_ERRORS.nameNeedsColon, s);
    case State.Param:
      throw new RemotePathError(REMOTE_PATH_ERRORS.param, s.slice(start));
    case State.Value:
      throw new RemotePathError(REMOTE_PATH_ERRORS.value, key);
    case State.Quoted:
      throw new RemotePathError(REMOTE_PATH_ERRORS.quotedValue, key);
    default:
      throw new RemotePathError(REMOTE_PATH_ERRORS.afterQuote, key);
  }

  function done(colon: number): RemotePath {
    return { kind: "remote", name, onTheFly, params, path: s.slice(colon + 1) };
  }
}

function quoteValue(v: string): string {
  return `'${v.replaceAll("'", "''")}'`;
}

/**
 * Formats a {@link RemotePath} so that {@link parseRemotePath} returns it again: parameters
 * sorted by key and rendered `key='value'`; a relative local path that would read as a remote
 * gets a `./` prefix. Throws {@link RemotePathError} for an invalid name or parameter key, or
 * an empty local path.
 */
export function formatRemotePath(rp: RemotePath): string {
  if (rp.kind === "local") {
    if (rp.path === "") throw new RemotePathError(REMOTE_PATH_ERRORS.empty);
    const parsed = parseLocalOrUndefined(rp.path);
    return parsed === rp.path ? rp.path : `./${rp.path}`;
  }
  checkConfigName(rp.name);
  let out = (rp.onTheFly ? ":" : "") + rp.name;
  for (const key of Object.keys(rp.params).sort()) {
    if (key === "") throw new RemotePathError(REMOTE_PATH_ERRORS.emptyParam);
    if (![...key].every((c) => PARAM_CHAR.test(c))) {
      throw new RemotePathError(REMOTE_PATH_ERRORS.badParam, key);
    }
    out += `,${key}=${quoteValue(rp.params[key]!)}`;
  }
  return `${out}:${rp.path}`;
}

function parseLocalOrUndefined(path: string): string | undefined {
  try {
    const p = parseRemotePath(path);
    return p.kind === "local" ? p.path : undefined;
  } catch {
    return undefined;
  }
}

/**
 * @module
 * rclone-style levelled logging (ERROR, NOTICE, INFO, DEBUG) to stderr or a log file, with
 * secret redaction applied to every line: values registered with {@link addSecret}, obscured
 * passwords, `key=value` pairs whose key looks secret, and credentials inside URLs and
 * connection strings.
 */

/** Log levels in rclone's order; a message is written when its level ≤ the current level. */
export const LogLevel = { ERROR: 0, NOTICE: 1, INFO: 2, DEBUG: 3 } as const;

/** One of the level names. */
export type LogLevelName = keyof typeof LogLevel;

const secrets = new Set<string>();
let level: number = LogLevel.NOTICE;
let sink: (line: string) => void = (line) => {
  Deno.stderr.writeSync(new TextEncoder().encode(line));
};

/** Registers a value that must never appear in a log line or error message. */
export function addSecret(value: string): void {
  if (value.length >= 3) secrets.add(value);
}

const SECRET_KEY =
  "(?:pass(?:word)?\\d*|secret(?:_access_key)?|token|key_pem|key_file_pass|session_token|" +
  "access_key_id|client_secret|api_key|bearer_token|sse_customer_key|password2)";
const KV_RE = new RegExp(
  `((?:^|[\\s,{("'])-*[\\w.-]*?${SECRET_KEY}["']?\\s*[=:]\\s*)("[^"]*"|'(?:[^']|'')*'|[^\\s,)}]+)`,
  "gi",
);
const URL_CRED_RE = /([a-z][a-z0-9+.-]*:\/\/[^:/@\s]+:)([^@\s]+)(@)/gi;

/** Returns `text` with every known secret and secret-looking value replaced by `***`. */
export function redact(text: string): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join("***");
  out = out.replace(KV_RE, (_m, k: string) => `${k}***`);
  out = out.replace(URL_CRED_RE, (_m, a: string, _p: string, b: string) => `${a}***${b}`);
  return out;
}

/** Sets the level from a name (`DEBUG`, `INFO`, `NOTICE`, `ERROR`, any case). */
export function setLogLevel(name: string): void {
  const n = (LogLevel as Record<string, number>)[name.toUpperCase()];
  if (n === undefined) {
    throw new Error(
      `Cannot set log level: ${JSON.stringify(name)} is not DEBUG, INFO, NOTICE or ERROR`,
    );
  }
  level = n;
}

/** The current level's name. */
export function logLevelName(): LogLevelName {
  return (Object.keys(LogLevel) as LogLevelName[]).find((k) => LogLevel[k] === level)!;
}

/** Sends log lines to a file (appended) instead of stderr. */
export function setLogFile(path: string): void {
  const f = Deno.openSync(path, { create: true, append: true, mode: 0o600 });
  sink = (line) => {
    f.writeSync(new TextEncoder().encode(line));
  };
}

/** Replaces the line sink (tests capture lines with this); returns the previous one. */
export function setLogSink(fn: (line: string) => void): (line: string) => void {
  const prev = sink;
  sink = fn;
  return prev;
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, "0");
}

function write(lvl: LogLevelName, msg: string): void {
  if (LogLevel[lvl] > level) return;
  const d = new Date();
  const ts = `${d.getFullYear()}/${pad(d.getMonth() + 1)}/${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  sink(`${ts} ${lvl.padEnd(6)}: ${redact(msg)}\n`);
}

/** The logger: one method per level. */
export const log = {
  /** Logs at ERROR. */
  error(msg: string): void {
    write("ERROR", msg);
  },
  /** Logs at NOTICE (the default level). */
  notice(msg: string): void {
    write("NOTICE", msg);
  },
  /** Logs at INFO (`-v`). */
  info(msg: string): void {
    write("INFO", msg);
  },
  /** Logs at DEBUG (`-vv`). */
  debug(msg: string): void {
    write("DEBUG", msg);
  },
  /** Whether DEBUG lines are written (to skip building expensive messages). */
  get debugEnabled(): boolean {
    return level >= LogLevel.DEBUG;
  },
};

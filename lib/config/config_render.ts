/**
 * @module
 * Text and JSON renderings of rclone.conf for `config show`, `config dump` and
 * `config providers`, in rclone's shapes. `show` hides secrets unless asked: password options
 * (`obscured`) print as `*** ENCRYPTED ***` (as rclone prints them), other secrets (`sensitive`
 * options, and keys whose names look secret when the backend or key is unknown) as
 * `*** REDACTED ***`.
 */

import { getBackendInfo } from "../backends/registry.ts";
import type { BackendInfo } from "../backends/registry.ts";
import { findOption, formatOptionValue } from "./option_schema.ts";
import type { RcloneConf } from "./rclone_conf.ts";

/** What `show` prints in place of a password option's value. */
export const ENCRYPTED_MARK = "*** ENCRYPTED ***";
/** What `show` prints in place of another secret's value. */
export const REDACTED_MARK = "*** REDACTED ***";

const SECRET_NAME =
  /(^|_)(pass|password|secret|token|key_pem|private_key|client_secret|access_key|session_key|passphrase|pass2|credentials|sas_url|api_key)($|_)/;

/** How a key of a remote of type `type` is shown: in full, as encrypted, or redacted. */
export function secretKind(
  type: string | undefined,
  key: string,
): "plain" | "obscured" | "sensitive" {
  if (key === "type") return "plain";
  const def = type ? findOption(getBackendInfo(type)?.options ?? EMPTY_GROUP, key) : undefined;
  if (def) return def.obscured ? "obscured" : def.sensitive ? "sensitive" : "plain";
  return SECRET_NAME.test(key.toLowerCase()) ? "sensitive" : "plain";
}

const EMPTY_GROUP = { id: "", prefix: "", options: [] };

/**
 * Renders remotes as `rclone config show` does: `[name]`, `key = value` lines and a blank
 * line after each remote (none after a `single` remote asked for by name); `; empty config`
 * when there are none.
 */
export function renderShow(
  conf: RcloneConf,
  names: readonly string[],
  opts: { showSecrets?: boolean; single?: boolean } = {},
): string {
  if (names.length === 0) return "; empty config\n";
  const out: string[] = [];
  for (const name of names) {
    const section = conf.getSection(name) ?? {};
    out.push(`[${name}]`);
    for (const [key, value] of Object.entries(section)) {
      let shown = value;
      if (!opts.showSecrets && value !== "") {
        const kind = secretKind(section["type"], key);
        if (kind === "obscured") shown = ENCRYPTED_MARK;
        else if (kind === "sensitive") shown = REDACTED_MARK;
      }
      out.push(`${key} = ${shown}`);
    }
    if (!opts.single) out.push("");
  }
  return out.join("\n") + "\n";
}

/** Serialises like Go's `json.MarshalIndent(v, "", "    ")` (sorted keys, HTML-safe escapes). */
export function goJson(value: unknown): string {
  return JSON.stringify(sortKeys(value), null, 4)
    .replaceAll("<", "\\u003c")
    .replaceAll(">", "\\u003e")
    .replaceAll("&", "\\u0026")
    .replaceAll("\u2028", "\\u2028")
    .replaceAll("\u2029", "\\u2029");
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

/** Renders the whole config as `rclone config dump` does: every section, values as stored. */
export function renderDump(conf: RcloneConf): string {
  const out: Record<string, Record<string, string>> = {};
  for (const name of conf.sectionNames()) out[name] = conf.getSection(name) ?? {};
  return goJson(out);
}

/** Renders backends and their options as JSON in the shape of `rclone config providers`. */
export function renderProviders(backends: readonly BackendInfo[]): string {
  return goJson(backends.map((b) => ({
    Name: b.type,
    Description: b.description,
    Prefix: b.options.prefix,
    Options: b.options.options.map((o) => ({
      Name: o.name,
      Help: o.help,
      Default: o.default,
      DefaultStr: o.defaultText ?? formatOptionValue(o, o.default),
      Type: o.type,
      Examples: o.choices?.map((c) => ({ Value: c })) ?? null,
      ShortOpt: o.short ?? "",
      IsPassword: o.obscured === true,
      Sensitive: o.sensitive === true,
      Advanced: o.advanced === true,
    })),
  })));
}

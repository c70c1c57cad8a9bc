/**
 * @module
 * Turns the sftp options into ssh2 authentication settings as rclone does: `pass` and
 * `key_file_pass` are revealed from their obscured form, `key_pem` (one line with `\n`)
 * overrides `key_file`, `key_use_agent` (or no other method at all) uses `$SSH_AUTH_SOCK`.
 * `ask_password` is refused: denoclone runs as a daemon and never prompts. Secrets found here
 * are registered with the log redactor and never appear in messages.
 *
 * SSH certificates (`pubkey_file`) are `ssh_certificate.ts`; ECDSA keys sign through
 * `ecdsa_signing.ts`.
 */

// @ts-types="@types/ssh2"
import { type ParsedKey, utils } from "ssh2";
import { reveal } from "../../config/obscure.ts";
import { addSecret } from "../../util/log.ts";
import { InvalidError, NotSupportedError } from "../../errors.ts";
import type { OptionValue } from "../../config/option_schema.ts";
import { ecdsaSigningFixed } from "./ecdsa_signing.ts";
import { certificateKey, parseCertificate } from "./ssh_certificate.ts";

/** The authentication part of an ssh2 connect config. */
export interface SshAuth {
  /** Plain password. */
  password?: string;
  /** The private key, parsed (and decrypted) once. */
  privateKey?: ParsedKey;
  /** Path of the ssh-agent socket. */
  agent?: string;
  /** Which methods are configured, for messages (`password`, `publickey`, `agent`). */
  methods: string[];
}

/** Expands a leading `~` and `$VAR`/`${VAR}` in a path, as rclone's ShellExpand does. */
export function expandPath(path: string, env: Record<string, string | undefined>): string {
  let p = path;
  if (p === "~" || p.startsWith("~/")) p = (env.HOME ?? "") + p.slice(1);
  return p.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (_m, a?: string, b?: string) => env[(a ?? b)!] ?? "",
  );
}

function revealOption(name: string, value: string): string {
  try {
    const plain = reveal(value);
    addSecret(plain);
    return plain;
  } catch (err) {
    const what = name === "pass" ? "password" : "key file password";
    throw new InvalidError(`sftp: couldn't decrypt ${what} (${name}): ${(err as Error).message}`);
  }
}

/**
 * Builds the authentication settings. `options` are the resolved sftp options with `pass` and
 * `key_file_pass` still obscured. Reads key files; errors name the option and the file.
 */
export async function buildAuth(
  options: Record<string, OptionValue>,
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Promise<SshAuth> {
  const str = (k: string) => String(options[k] ?? "");
  const auth: SshAuth = { methods: [] };
  if (options.ask_password === true && str("pass") === "") {
    throw new NotSupportedError(
      "sftp: ask_password: denoclone runs non-interactively and cannot prompt for a " +
        "password; set pass (obscured), key_file or key_pem instead",
    );
  }
  if (str("pass") !== "") {
    auth.password = revealOption("pass", str("pass"));
    auth.methods.push("password");
  }
  let keyText = "";
  if (str("key_pem") !== "") {
    keyText = str("key_pem").replaceAll("\\n", "\n").replaceAll("\r", "");
    addSecret(keyText);
  } else if (str("key_file") !== "") {
    const file = expandPath(str("key_file"), env);
    try {
      keyText = await Deno.readTextFile(file);
    } catch (err) {
      throw new InvalidError(
        `sftp: failed to read private key file ${JSON.stringify(file)} (key_file): ${
          (err as Error).message
        }`,
      );
    }
  }
  if (keyText !== "") {
    let passphrase: string | undefined;
    if (str("key_file_pass") !== "") {
      passphrase = revealOption("key_file_pass", str("key_file_pass"));
    }
    const source = str("key_pem") !== ""
      ? "key_pem"
      : `key_file ${JSON.stringify(str("key_file"))}`;
    const parsed = utils.parseKey(keyText, passphrase);
    const key = Array.isArray(parsed) ? parsed[0] : parsed;
    if (!key || key instanceof Error) {
      const why = key instanceof Error ? key.message : "no key found";
      throw new InvalidError(
        `sftp: couldn't parse the private key from ${source}: ${why}` +
          (/passphrase|encrypted/i.test(why) && passphrase === undefined
            ? " (set key_file_pass)"
            : ""),
      );
    }
    if (!key.isPrivateKey()) {
      throw new InvalidError(`sftp: ${source} does not hold a private key`);
    }
    auth.privateKey = ecdsaSigningFixed(key);
    auth.methods.push("publickey");
  }
  if (str("pubkey_file") !== "" && auth.privateKey) {
    const file = expandPath(str("pubkey_file"), env);
    let pub: string;
    try {
      pub = await Deno.readTextFile(file);
    } catch (err) {
      throw new InvalidError(
        `sftp: unable to read cert file ${JSON.stringify(file)} (pubkey_file): ${
          (err as Error).message
        }`,
      );
    }
    auth.privateKey = certificateKey(auth.privateKey, parseCertificate(pub, file), file);
  }
  const noOther = auth.methods.length === 0;
  if (options.key_use_agent === true || noOther) {
    const sock = env.SSH_AUTH_SOCK;
    if (sock) {
      auth.agent = sock;
      auth.methods.push("agent");
    } else if (options.key_use_agent === true) {
      throw new InvalidError(
        "sftp: key_use_agent is set but SSH_AUTH_SOCK is not: couldn't connect to ssh-agent",
      );
    }
  }
  if (auth.methods.length === 0) {
    throw new InvalidError(
      "sftp: no authentication method: set pass (obscured), key_file, key_pem or " +
        "key_use_agent (with SSH_AUTH_SOCK)",
    );
  }
  return auth;
}

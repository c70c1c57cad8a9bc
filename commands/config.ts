/**
 * @module
 * `denoclone config …`: non-interactive management of rclone.conf, compatible with rclone's
 * `config show|dump|create|update|delete|file|providers` and `obscure`/`reveal`. The file is
 * the global `--config` (or its default); an encrypted file is read with
 * `RCLONE_CONFIG_PASS` and stays encrypted when saved.
 */
import { Command } from "@commander-js/extra-typings";
import { listBackends } from "../lib/backends/registry.ts";
import { globals } from "../lib/cli/globals.ts";
import { ConfigError } from "../lib/config/config_error.ts";
import { renderDump, renderProviders, renderShow } from "../lib/config/config_render.ts";
import { obscure, ObscureError, reveal } from "../lib/config/obscure.ts";
import { RcloneConf } from "../lib/config/rclone_conf.ts";
import {
  createRemote,
  type ObscureChoice,
  parseKeyValueArgs,
  updateRemote,
} from "../lib/config/remote_edit.ts";
import { UsageError } from "../lib/errors.ts";
import { log } from "../lib/util/log.ts";

async function print(text: string): Promise<void> {
  const data = new TextEncoder().encode(text.endsWith("\n") ? text : `${text}\n`);
  let off = 0;
  while (off < data.length) off += await Deno.stdout.write(data.subarray(off));
}

async function loadConf(): Promise<RcloneConf> {
  const conf = await RcloneConf.load(globals().configPath);
  if (!conf.existed) {
    log.notice(`Config file ${JSON.stringify(conf.path)} not found - using defaults`);
  }
  return conf;
}

/** Accepts `name` or `name:` like rclone. */
function remoteArg(name: string): string {
  return name.endsWith(":") ? name.slice(0, -1) : name;
}

function requireRemote(conf: RcloneConf, name: string): void {
  if (!conf.hasSection(name)) {
    throw new ConfigError(
      `remote ${JSON.stringify(name)} not found in config file ${JSON.stringify(conf.path)}`,
    );
  }
}

async function readFirstStdinLine(): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of Deno.stdin.readable) {
    chunks.push(chunk);
    if (chunk.includes(10)) break;
  }
  const all = new TextDecoder().decode(
    chunks.reduce((a, b) => {
      const c = new Uint8Array(a.length + b.length);
      c.set(a);
      c.set(b, a.length);
      return c;
    }, new Uint8Array()),
  );
  return all.split("\n")[0]!.replace(/\r$/, "");
}

function showCommand() {
  return new Command("show")
    .description("Print (decrypted) config file, or the config for a single remote")
    .argument("[remote]", "remote name (with or without a trailing colon)")
    .option("--show-secrets", "show passwords and other secrets as stored")
    .action(async (remote, opts) => {
      const conf = await loadConf();
      let names = conf.remoteNames();
      if (remote !== undefined) {
        const name = remoteArg(remote);
        requireRemote(conf, name);
        names = [name];
      }
      await print(
        renderShow(conf, names, {
          showSecrets: opts.showSecrets === true,
          single: remote !== undefined,
        }),
      );
    });
}

function dumpCommand() {
  return new Command("dump")
    .description("Dump the config file as JSON")
    .action(async () => {
      await print(renderDump(await loadConf()));
    });
}

/** Commander folds `--obscure` / `--no-obscure` into one attribute: true, false or unset. */
function obscureChoice(flag: boolean | undefined): ObscureChoice {
  return { obscure: flag === true, noObscure: flag === false };
}

function createCommand() {
  return new Command("create")
    .description("Create a new remote with name, type and options (key=value or key value)")
    .argument("<name>", "remote name")
    .argument("<type>", "backend type")
    .argument("[options...]", "options as key=value or key value")
    .option("--obscure", "force password options to be obscured")
    .option("--no-obscure", "store password options exactly as given")
    .action(async (name, type, pairs, opts) => {
      const conf = await loadConf();
      const choice = obscureChoice(opts.obscure);
      createRemote(conf, name, type, parseKeyValueArgs(pairs), choice);
      await conf.save();
      await print(renderShow(conf, [name], { single: true }));
    });
}

function updateCommand() {
  return new Command("update")
    .description("Update options of an existing remote (key=value or key value)")
    .argument("<name>", "remote name")
    .argument("<options...>", "options as key=value or key value")
    .option("--obscure", "force password options to be obscured")
    .option("--no-obscure", "store password options exactly as given")
    .action(async (name, pairs, opts) => {
      const conf = await loadConf();
      const remote = remoteArg(name);
      requireRemote(conf, remote);
      const choice = obscureChoice(opts.obscure);
      updateRemote(conf, remote, parseKeyValueArgs(pairs), choice);
      await conf.save();
      await print(renderShow(conf, [remote], { single: true }));
    });
}

function passwordCommand() {
  return new Command("password")
    .description("Update password options of an existing remote (values are obscured)")
    .argument("<name>", "remote name")
    .argument("<options...>", "options as key value (or key=value)")
    .action(async (name, pairs) => {
      const conf = await loadConf();
      const remote = remoteArg(name);
      if (!conf.get(remote, "type")) {
        throw new ConfigError("couldn't find type field in config");
      }
      // As rclone: every given value is stored obscured, whatever the option.
      for (const [k, v] of parseKeyValueArgs(pairs)) conf.set(remote, k, obscure(v));
      await conf.save();
      await print(renderShow(conf, [remote], { single: true }));
    });
}

function pathsCommand() {
  return new Command("paths")
    .description("Show paths used for configuration, cache, temp etc")
    .action(async () => {
      const g = globals();
      const tmp = Deno.env.get("TMPDIR") || "/tmp";
      const abs = (p: string) => p.startsWith("/") ? p : `${Deno.cwd()}/${p.replace(/^\.\//, "")}`;
      await print(
        `Config file: ${abs(g.configPath)}\nCache dir:   ${abs(g.cacheDir)}\nTemp dir:    ${tmp}`,
      );
    });
}

function touchCommand() {
  return new Command("touch")
    .description("Ensure configuration file exists")
    .action(async () => {
      const conf = await loadConf();
      if (!conf.existed) await conf.save();
    });
}

function deleteCommand() {
  return new Command("delete")
    .description("Delete an existing remote")
    .argument("<name>", "remote name")
    .action(async (name) => {
      const conf = await loadConf();
      const remote = remoteArg(name);
      requireRemote(conf, remote);
      conf.deleteSection(remote);
      await conf.save();
    });
}

function fileCommand() {
  return new Command("file")
    .description("Show path of configuration file in use")
    .action(async () => {
      const conf = await RcloneConf.load(globals().configPath);
      const head = conf.existed
        ? "Configuration file is stored at:"
        : "Configuration file doesn't exist, but rclone will use this path:";
      await print(`${head}\n${conf.path}`);
    });
}

function obscureCommand() {
  return new Command("obscure")
    .description("Obscure a password for use in the config file (`-` reads it from stdin)")
    .argument("<password>", "the password, or - to read one line from stdin")
    .action(async (password) => {
      const plain = password === "-" ? await readFirstStdinLine() : password;
      await print(obscure(plain));
    });
}

function revealCommand() {
  return new Command("reveal")
    .description("Reveal an obscured password")
    .argument("<obscured>", "the obscured password, or - to read one line from stdin")
    .action(async (value) => {
      const text = value === "-" ? await readFirstStdinLine() : value;
      try {
        await print(reveal(text));
      } catch (err) {
        if (err instanceof ObscureError) throw new UsageError(err.message, 1, { cause: err });
        throw err;
      }
    });
}

function providersCommand() {
  return new Command("providers")
    .description("List the backends and their options as JSON")
    .action(async () => {
      await print(renderProviders(listBackends()));
    });
}

/** The `config` command with its subcommands. */
export function configCommand(): Command {
  const cmd = new Command("config")
    .description("Manage rclone.conf non-interactively (show, dump, create, update, delete …)");
  cmd.addCommand(showCommand());
  cmd.addCommand(dumpCommand());
  cmd.addCommand(createCommand());
  cmd.addCommand(updateCommand());
  cmd.addCommand(deleteCommand());
  cmd.addCommand(fileCommand());
  cmd.addCommand(passwordCommand());
  cmd.addCommand(pathsCommand());
  cmd.addCommand(touchCommand());
  cmd.addCommand(obscureCommand());
  cmd.addCommand(revealCommand());
  cmd.addCommand(providersCommand());
  return cmd;
}

/**
 * @module
 * `denoclone volume ls | inspect NAME | update NAME -o k=v`: the admin CLI of a running
 * `denoclone serve docker`, over the same socket Docker uses (admin endpoints under
 * `/denoclone/`). Docker's volume API can't change a volume's options; `update` can, for a
 * volume that is not mounted.
 */
import { Command, Option } from "@commander-js/extra-typings";
import { UsageError } from "../lib/errors.ts";
import { AdminEndpoint } from "../lib/plugin/api.ts";
import type { PluginReply } from "../lib/plugin/admin_client.ts";
import type { VolumeDetails } from "../lib/plugin/driver.ts";

function socketOption() {
  return new Option(
    "--socket-addr <addr>",
    "Address <host:port> or absolute path of the plugin's socket (default /run/docker/plugins/rclone.sock)",
  ).env("RCLONE_SOCKET_ADDR").default("");
}

/** Calls the plugin's admin API; the HTTP client loads only when a volume command runs. */
async function callPlugin(socketAddr: string, endpoint: string, body: unknown) {
  const { callPlugin } = await import("../lib/plugin/admin_client.ts");
  return callPlugin(socketAddr, endpoint, body);
}

function check(reply: PluginReply): unknown {
  if (reply.status === 200) return reply.json;
  const err = (reply.json as { Err?: string } | undefined)?.Err ?? reply.text.trim();
  throw new UsageError(err || `plugin answered HTTP ${reply.status}`, 1);
}

/** Parses `k=v` strings into a record; a missing `=` is a usage error naming the argument. */
export function parseKeyValues(items: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const i = item.indexOf("=");
    if (i <= 0) throw new UsageError(`invalid option ${JSON.stringify(item)}: use key=value`);
    out[item.slice(0, i)] = item.slice(i + 1);
  }
  return out;
}

/** Formats volume details as the `ls` table. */
export function formatVolumeTable(vols: readonly VolumeDetails[]): string {
  const rows = [["NAME", "STATE", "MOUNTS", "REMOTE"]];
  for (const v of vols) {
    rows.push([v.name, String(v.status.State ?? ""), String(v.mounts.length), v.remote]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((x, c) => c === r.length - 1 ? x : x.padEnd(widths[c]!)).join("  "))
    .join("\n");
}

/** The `volume` command with `ls`, `inspect` and `update`. */
export function volumeCommand() {
  const cmd = new Command("volume").description(
    "Manage the volumes of a running 'serve docker' plugin",
  );
  cmd.command("ls").description("List the plugin's volumes with their health")
    .addOption(socketOption())
    .action(async (o) => {
      const r = check(await callPlugin(o.socketAddr, AdminEndpoint.list, {})) as {
        Volumes: VolumeDetails[];
      };
      console.log(formatVolumeTable(r.Volumes));
    });
  cmd.command("inspect").description("Show a volume's options and status as JSON")
    .argument("<names...>")
    .addOption(socketOption())
    .action(async (names, o) => {
      const out = [];
      for (const n of names) {
        const r = check(await callPlugin(o.socketAddr, AdminEndpoint.inspect, { Name: n })) as {
          Volume: VolumeDetails;
        };
        out.push(r.Volume);
      }
      console.log(JSON.stringify(out, null, 2));
    });
  cmd.command("update").description(
    "Change options of a volume that is not mounted (key= removes a key)",
  )
    .argument("<name>")
    .addOption(
      new Option("-o, --opt <key=value>", "Option to set (repeatable)").argParser(
        (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
      ),
    )
    .addOption(socketOption())
    .action(async (name, o) => {
      const opts = parseKeyValues(o.opt ?? []);
      if (Object.keys(opts).length === 0) {
        throw new UsageError("update needs at least one -o key=value");
      }
      check(await callPlugin(o.socketAddr, AdminEndpoint.update, { Name: name, Opts: opts }));
      console.log(name);
    });
  return cmd;
}

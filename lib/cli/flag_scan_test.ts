import { deepStrictEqual as assertEquals } from "node:assert/strict";
import "../backends/all.ts";
import { listBackends } from "../backends/registry.ts";
import { runProgram } from "../../commands/program.ts";
import { SERVE_DOCKER_GROUPS } from "../../commands/serve_docker.ts";
import { allOptionGroups, registerOptionGroups } from "./all_option_groups.ts";
import { GLOBAL_OPTIONS } from "./global_options.ts";
import { applyGlobals, applyProgramFlags, globals } from "./globals.ts";
import { normaliseBoolArgs } from "./option_values.ts";
import { type FlagScanSpec, scanFlags } from "./flag_scan.ts";

const backendGroups = listBackends().map((b) => b.options);
registerOptionGroups(...backendGroups, ...SERVE_DOCKER_GROUPS);
const SPEC: FlagScanSpec = {
  path: ["serve", "docker"],
  programGroups: [GLOBAL_OPTIONS, ...backendGroups],
  commandGroups: SERVE_DOCKER_GROUPS,
};

function defined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** What commander makes of `argv`: the serve docker options and the applied globals. */
async function viaCommander(argv: string[]) {
  let command: Record<string, unknown> | undefined;
  const code = await runProgram(normaliseBoolArgs(argv, allOptionGroups()), {
    serveDocker: (opts) => {
      command = defined(opts);
      return Promise.resolve();
    },
  });
  const g = globals();
  applyGlobals({});
  return { code, command, globals: g };
}

function viaScan(argv: string[]) {
  const s = scanFlags(normaliseBoolArgs(argv, allOptionGroups()), SPEC);
  if (!s) return undefined;
  const g = applyProgramFlags(s.program, backendGroups);
  applyGlobals({});
  return { code: 0, command: s.command, globals: g };
}

Deno.test("scanFlags() reads plain serve docker command lines exactly as commander does", async () => {
  const lines = [
    ["serve", "docker"],
    ["serve", "docker", "--base-dir", "/b", "--socket-addr=/run/x.sock", "--socket-gid", "0"],
    ["serve", "docker", "-v", "--config", "/c/rclone.conf", "--cache-dir=/cache"],
    ["-vv", "serve", "docker", "--vfs-cache-mode", "writes", "--allow-other"],
    ["serve", "-q", "docker", "--no-modtime", "--no-spec", "--forget-state=true"],
    ["serve", "docker", "--allow-other=false", "--modtime", "--vfs-cache-max-size", "1G"],
    ["--verbose", "serve", "docker", "--verbose", "-v", "--log-level", "DEBUG"],
    [
      "serve",
      "docker",
      "--sftp-key-file",
      "/k",
      "--local-no-check-updated",
      "--low-level-retries=3",
    ],
    ["serve", "docker", "--base-dir", "/a", "--base-dir", "/b", "--log-file="],
    ["serve", "docker", "--password-command", "echo x", "--idle-grace", "1s", "-vq"],
    ["serve", "docker", "-x", "--no-modtime=false"],
  ];
  for (const argv of lines) {
    const scanned = viaScan(argv);
    assertEquals(scanned !== undefined, true, `scanned: ${argv.join(" ")}`);
    assertEquals(scanned, await viaCommander(argv), argv.join(" "));
  }
});

Deno.test("scanFlags() leaves everything else to commander", () => {
  const lines = [
    [],
    ["serve"],
    ["version"],
    ["mount", "r:", "/mnt"],
    ["serve", "docker", "--help"],
    ["serve", "docker", "-h"],
    ["serve", "docker", "extra"],
    ["serve", "docker", "--"],
    ["serve", "docker", "--no-such-flag"],
    ["serve", "docker", "-z"],
    ["serve", "docker", "-vz"],
    ["serve", "docker", "--base-dir"],
    ["serve", "docker", "--base-dir", "--allow-other"],
    ["serve", "docker", "--verbose=2"],
    ["serve", "--base-dir", "/b", "docker"],
    ["--allow-other", "serve", "docker"],
    ["docker", "serve"],
    ["serve", "docker", "docker"],
  ];
  for (const argv of lines) {
    assertEquals(scanFlags(argv, SPEC), undefined, argv.join(" "));
  }
});

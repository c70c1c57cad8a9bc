/**
 * @module
 * `denoclone version`: prints denoclone's version, the Deno runtime's, and the OS and
 * architecture, in the shape of `rclone version`.
 */
import { Command } from "@commander-js/extra-typings";
import { VERSION } from "../lib/version.ts";

/** The architecture name Go (and rclone) use for Deno's `build.arch`. */
function goArch(arch: string): string {
  return ({ x86_64: "amd64", aarch64: "arm64" } as Record<string, string>)[arch] ?? arch;
}

/** The lines `denoclone version` prints. */
export function versionText(): string {
  let kernel = "unknown";
  try {
    kernel = Deno.osRelease();
  } catch {
    // --allow-sys=osRelease not granted: leave unknown
  }
  return [
    `denoclone v${VERSION}`,
    `- os/type: ${Deno.build.os}`,
    `- os/arch: ${goArch(Deno.build.arch)}`,
    `- os/kernel: ${kernel}`,
    `- deno/version: ${Deno.version.deno}`,
    `- v8/version: ${Deno.version.v8}`,
    `- typescript/version: ${Deno.version.typescript}`,
  ].join("\n");
}

/** The `version` command. */
export function versionCommand() {
  return new Command("version")
    .description("Show the version number")
    .action(() => {
      console.log(versionText());
    });
}

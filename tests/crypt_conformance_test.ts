/**
 * @module
 * Runs the backend conformance suite against `crypt` built through `newBackend` from an
 * rclone.conf, over `local` and over `memory`, in each file name mode (standard with each
 * encoding, obfuscate with directory names in clear, off) and with `no_data_encryption`.
 * Crypt over SFTP is run by the SFTP/integration tests, not here.
 */

import { purgeDir, runBackendSuite } from "./backend_conformance.ts";
import { newBackend } from "../lib/backends/new_backend.ts";
import { obscure } from "../lib/config/obscure.ts";
import { RcloneConf } from "../lib/config/rclone_conf.ts";

const NO_ENV: Record<string, string | undefined> = {};
/** Large-file size for the crypt runs: enough for many 64 KiB blocks, quick in pure JS. */
const BIG = 24 * 1024 * 1024;

/** Registers one suite run of crypt over a local temp dir with extra crypt options. */
function overLocal(label: string, extra: Record<string, string>, bigFileBytes: number): void {
  runBackendSuite(label, async () => {
    const dir = await Deno.makeTempDir({ prefix: "denoclone-crypt-" });
    const conf = await RcloneConf.load(`${dir}/rclone.conf`, { env: NO_ENV });
    conf.set("disk", "type", "local");
    conf.set("secret", "type", "crypt");
    conf.set("secret", "remote", `disk:${dir}/enc`);
    conf.set("secret", "password", obscure("conformance password"));
    conf.set("secret", "password2", obscure("conformance salt"));
    for (const [k, v] of Object.entries(extra)) conf.set("secret", k, v);
    await Deno.mkdir(`${dir}/enc`);
    const backend = await newBackend("secret:", { conf, env: NO_ENV });
    return {
      backend,
      async cleanup() {
        await backend.close?.();
        await Deno.remove(dir, { recursive: true });
      },
    };
  }, { bigFileBytes });
}

overLocal("crypt over local (standard, base32)", {}, BIG);
overLocal("crypt over local (standard, base64)", { filename_encoding: "base64" }, BIG / 8);
overLocal(
  "crypt over local (standard, base32768, no_data_encryption)",
  { filename_encoding: "base32768", no_data_encryption: "true" },
  BIG / 8,
);
overLocal(
  "crypt over local (obfuscate, directory names in clear)",
  { filename_encryption: "obfuscate", directory_name_encryption: "false" },
  BIG / 8,
);
overLocal("crypt over local (names off)", { filename_encryption: "off" }, BIG / 8);
overLocal(
  "crypt over local (standard, directory names in clear)",
  { directory_name_encryption: "false" },
  BIG / 8,
);

let memoryRun = 0;
runBackendSuite("crypt over memory", async () => {
  const root = `crypt-conformance-${Deno.pid}-${memoryRun++}`;
  const conf = await RcloneConf.load("/nonexistent-denoclone/rclone.conf", { env: NO_ENV });
  conf.set("secret", "type", "crypt");
  conf.set("secret", "remote", `:memory:${root}`);
  conf.set("secret", "password", obscure("memory password"));
  const backend = await newBackend("secret:", { conf, env: NO_ENV });
  await backend.mkdir("");
  return {
    backend,
    async cleanup() {
      await backend.close?.();
      await purgeDir(await newBackend(":memory:", { conf, env: NO_ENV }), root);
    },
  };
}, { bigFileBytes: BIG });

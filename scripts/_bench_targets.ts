/**
 * @module
 * Benchmark targets (remotes both tools mount from one rclone.conf): `local` (a directory),
 * `sftp` (a private sshd on 127.0.0.1), `crypt` (over a local directory) and `crypt-sftp`.
 * Every target's bytes end up in a local directory, so the benchmark can see when a write has
 * reached the remote by looking at the stored file (crypt names via `rclone cryptdecode
 * --reverse`, crypt sizes by rclone's format: 32-byte header + 16 bytes per 64 KiB block).
 */
import { obscure } from "../lib/config/obscure.ts";
import { startSshd } from "../tests/helpers/sshd.ts";
import { run } from "./_bench_proc.ts";

/** A benchmark remote. */
export interface Target {
  /** Target name (`local`, `sftp`, `crypt`, `crypt-sftp`). */
  readonly name: string;
  /** Remote as given to `mount`. */
  readonly remote: string;
  /** rclone.conf both tools use. */
  readonly config: string;
  /** The target's private work dir (logs, caches). */
  readonly work: string;
  /** Local path where the remote stores `rel`, and the byte size it has once `bytes` landed. */
  stored(rel: string, bytes: number): Promise<{ path: string; size: number }>;
  /** Stops servers and removes the work dir. */
  cleanup(): Promise<void>;
}

/** Names of the known targets. */
export const TARGET_NAMES = ["local", "sftp", "crypt", "crypt-sftp"];

const CRYPT_PASSWORD = "bench-crypt-pw";

function cryptSize(n: number): number {
  return n === 0 ? 32 : 32 + n + 16 * Math.ceil(n / 65536);
}

/** Creates target `name` under a fresh work dir. */
export async function makeTarget(name: string): Promise<Target> {
  const work = await Deno.makeTempDir({ prefix: `bench-${name}-` });
  const config = `${work}/rclone.conf`;
  let dataDir = `${work}/data`;
  let text = "";
  let remote = dataDir;
  let close = async () => {};
  if (name === "sftp" || name === "crypt-sftp") {
    const sshd = await startSshd();
    close = () => sshd.close();
    dataDir = await sshd.newRoot();
    text += `[bs]\ntype = sftp\nhost = 127.0.0.1\nport = ${sshd.port}\nuser = ${sshd.user}\n` +
      `pass = ${obscure(sshd.password)}\n\n`;
    remote = `bs:${dataDir}`;
  } else {
    await Deno.mkdir(dataDir);
  }
  const crypt = name.startsWith("crypt");
  if (crypt) {
    text += `[bc]\ntype = crypt\nremote = ${remote}\npassword = ${obscure(CRYPT_PASSWORD)}\n\n`;
    remote = "bc:";
  } else if (name !== "local" && name !== "sftp") {
    await Deno.remove(work, { recursive: true });
    throw new Error(`unknown target ${name} (known: ${TARGET_NAMES.join(", ")})`);
  }
  await Deno.writeTextFile(config, text);
  const root = dataDir;
  return {
    name,
    remote,
    config,
    work,
    async stored(rel, bytes) {
      if (!crypt) return { path: `${root}/${rel}`, size: bytes };
      const out = await run("rclone", ["cryptdecode", "--reverse", "bc:", rel, "--config", config]);
      const enc = out.split("\t")[1]?.trim();
      if (!enc) throw new Error(`rclone cryptdecode gave no name for ${rel}: ${out}`);
      return { path: `${root}/${enc}`, size: cryptSize(bytes) };
    },
    async cleanup() {
      try {
        await close();
      } finally {
        await Deno.remove(work, { recursive: true }).catch(() => {});
      }
    },
  };
}

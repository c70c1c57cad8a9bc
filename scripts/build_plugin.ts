/**
 * @module
 * `deno run -A scripts/build_plugin.ts [OUTDIR]` makes a Docker managed-plugin directory
 * (default `dist/plugin`) from the artifacts of `deno task build` (run first): `config.json`
 * with the facts of rclone's managed plugin (volume driver interface on `rclone.sock`,
 * CAP_SYS_ADMIN, `/dev/fuse`, host network, propagated mount `/mnt`, the `config` and `cache`
 * bind mounts from `/var/lib/docker-plugins/rclone/{config,cache}` to `/data/{config,cache}`,
 * the settable `args`, `config`, `cache`, `RCLONE_VERBOSE`, `HTTP_PROXY`, `HTTPS_PROXY`,
 * `NO_PROXY`) and a small `rootfs/`: the single executable `dist/denoclone-<arch>` when
 * `deno compile` could make it, else the pinned Deno plus the bundle `dist/denoclone.js`
 * (run with exactly the permissions of `scripts/permissions.ts`), the shared libraries they
 * load, CA certificates and, when the host has it, a static busybox for `umount`.
 *
 * Then: `docker plugin create NAME OUTDIR && docker plugin enable NAME` (see scripts/README.md).
 * Tests import {@link buildPlugin} to make a plugin directory from an existing build.
 */
import { SODIUM_LIBRARY } from "../lib/backends/_libsodium.ts";
import { RUN_PERMISSIONS, RUN_V8_FLAGS } from "./permissions.ts";

/** Where the program lives inside the plugin's rootfs. */
export const PLUGIN_LIB_DIR = "/usr/lib/denoclone";

/** The managed plugin's `config.json` (the subset of Docker's plugin config we use). */
export interface PluginConfig {
  /** Shown by `docker plugin inspect`. */
  description: string;
  /** Documentation URL. */
  documentation: string;
  /** The socket (under `/run/docker/plugins` inside the plugin) and the plugin API type. */
  interface: { socket: string; types: string[] };
  /** Capabilities and devices the plugin gets. */
  linux: { capabilities: string[]; devices: { path: string }[] };
  /** Network namespace (`host`: remotes on the host's network, incl. 127.0.0.1). */
  network: { type: string };
  /** The command the plugin runs; `args.value` is appended. */
  entrypoint: string[];
  /** Working directory inside the rootfs. */
  workdir: string;
  /** The settable extra arguments (`docker plugin set NAME args="-v"`). */
  args: { name: string; description: string; value: string[]; settable: string[] };
  /** Environment; entries with `settable` can be changed with `docker plugin set`. */
  env: { name: string; description?: string; value: string; settable?: string[] }[];
  /** Bind mounts from the host; `source` is settable (`docker plugin set NAME config.source=…`). */
  mounts: {
    name: string;
    description?: string;
    source: string;
    destination: string;
    type: string;
    options: string[];
    settable: string[];
  }[];
  /** The directory under which volumes are mounted; Docker propagates its mounts to the host. */
  propagatedMount: string;
}

/** The managed plugin's `config.json` for the given entrypoint (spec §6.1). */
export function pluginConfig(entrypoint: string[]): PluginConfig {
  return {
    description: "Rclone volume plugin for Docker (denoclone)",
    documentation: "https://rclone.org/docker",
    interface: { socket: "rclone.sock", types: ["docker.volumedriver/1.0"] },
    linux: { capabilities: ["CAP_SYS_ADMIN"], devices: [{ path: "/dev/fuse" }] },
    network: { type: "host" },
    entrypoint,
    workdir: "/data",
    args: {
      name: "args",
      description: "Extra arguments for serve docker (split on single spaces by Docker)",
      value: [],
      settable: ["value"],
    },
    env: [
      {
        name: "RCLONE_VERBOSE",
        description: "0 = NOTICE, 1 = INFO, 2 = DEBUG",
        value: "0",
        settable: ["value"],
      },
      { name: "RCLONE_CONFIG", value: "/data/config/rclone.conf" },
      { name: "RCLONE_CACHE_DIR", value: "/data/cache" },
      { name: "RCLONE_BASE_DIR", value: "/mnt" },
      { name: "DENO_DIR", value: "/data/cache/deno" },
      { name: "DENO_NO_UPDATE_CHECK", value: "1" },
      { name: "HOME", value: "/data" },
      { name: "HTTP_PROXY", value: "", settable: ["value"] },
      { name: "HTTPS_PROXY", value: "", settable: ["value"] },
      { name: "NO_PROXY", value: "", settable: ["value"] },
    ],
    mounts: [
      {
        name: "config",
        description: "Host directory holding rclone.conf",
        source: "/var/lib/docker-plugins/rclone/config",
        destination: "/data/config",
        type: "bind",
        options: ["rbind"],
        settable: ["source"],
      },
      {
        name: "cache",
        description: "Host directory for the VFS cache and the plugin's volume state",
        source: "/var/lib/docker-plugins/rclone/cache",
        destination: "/data/cache",
        type: "bind",
        options: ["rbind"],
        settable: ["source"],
      },
    ],
    propagatedMount: "/mnt",
  };
}

/** What {@link buildPlugin} made. */
export interface PluginBuild {
  /** The plugin directory (`config.json` + `rootfs/`). */
  outDir: string;
  /** `executable` (from `deno compile`) or `bundle` (pinned Deno + bundle). */
  kind: "executable" | "bundle";
  /** The entrypoint written into `config.json`. */
  entrypoint: string[];
  /** One line saying what went into the rootfs and why. */
  summary: string;
}

/** Options of {@link buildPlugin}. */
export interface PluginBuildOptions {
  /** Directory to (re)create. */
  outDir: string;
  /** Where `deno task build` put its artifacts (default `<repo>/dist`). */
  distDir?: string;
  /** The Deno binary copied in when there is no single executable (default: this Deno). */
  denoBinary?: string;
  /** Use the bundle even when a single executable exists. */
  preferBundle?: boolean;
  /** Deno permission flags of the bundle's entrypoint (default `RUN_PERMISSIONS`). */
  permissions?: readonly string[];
}

const REPO_ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function output(cmd: string, args: string[]): Promise<string> {
  const r = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  if (!r.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed: ${new TextDecoder().decode(r.stderr)}`);
  }
  return new TextDecoder().decode(r.stdout);
}

/** The absolute paths of the shared libraries (and the loader) an ELF binary loads, from `ldd`. */
async function sharedLibs(binary: string): Promise<string[]> {
  const libs = new Set<string>();
  for (const line of (await output("ldd", [binary])).split("\n")) {
    const m = /=>\s+(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m) libs.add(m[1]!);
  }
  return [...libs];
}

/** Finds a library by soname in the usual Debian library dirs. */
async function findLib(soname: string): Promise<string | undefined> {
  const multiarch = Deno.build.arch === "x86_64" ? "x86_64-linux-gnu" : "aarch64-linux-gnu";
  for (const dir of [`/lib/${multiarch}`, `/usr/lib/${multiarch}`, "/lib64", "/usr/lib"]) {
    if (await exists(`${dir}/${soname}`)) return `${dir}/${soname}`;
  }
  return undefined;
}

/**
 * Makes the managed-plugin directory `opts.outDir` from the build artifacts in `distDir`:
 * `config.json` ({@link pluginConfig}) and `rootfs/`. Throws when the bundle is missing.
 */
export async function buildPlugin(opts: PluginBuildOptions): Promise<PluginBuild> {
  const dist = opts.distDir ?? `${REPO_ROOT}/dist`;
  const out = opts.outDir;
  const rootfs = `${out}/rootfs`;

  /** Copies a host file into the rootfs at `dest` (following symlinks, keeping the mode). */
  async function copyIn(hostPath: string, dest = hostPath): Promise<void> {
    const target = `${rootfs}${dest}`;
    await Deno.mkdir(target.slice(0, target.lastIndexOf("/")), { recursive: true });
    await Deno.copyFile(await Deno.realPath(hostPath), target);
    await Deno.chmod(target, (await Deno.stat(hostPath)).mode! & 0o777);
  }

  await Deno.remove(out, { recursive: true }).catch(() => {});
  for (const d of ["data/config", "data/cache", "mnt", "tmp", "run/docker/plugins", "etc"]) {
    await Deno.mkdir(`${rootfs}/${d}`, { recursive: true });
  }
  for (const d of ["dev", "proc", "sys"]) await Deno.mkdir(`${rootfs}/${d}`);
  await Deno.chmod(`${rootfs}/tmp`, 0o1777);

  const arch = Deno.build.arch === "x86_64" ? "amd64" : "arm64";
  const exe = `${dist}/denoclone-${arch}`;
  const bundle = `${dist}/denoclone.js`;
  let kind: PluginBuild["kind"];
  let entrypoint: string[];
  let binary: string;
  let summary: string;
  if (!opts.preferBundle && await exists(exe)) {
    kind = "executable";
    binary = exe;
    await copyIn(exe, `${PLUGIN_LIB_DIR}/denoclone`);
    entrypoint = [`${PLUGIN_LIB_DIR}/denoclone`, "serve", "docker"];
    summary = `single executable ${exe}`;
  } else {
    if (!await exists(bundle)) {
      throw new Error(`build_plugin: ${bundle} is missing: run \`deno task build\` first`);
    }
    kind = "bundle";
    binary = await Deno.realPath(opts.denoBinary ?? Deno.execPath());
    await copyIn(binary, `${PLUGIN_LIB_DIR}/deno`);
    // The entry point and the chunks it loads on demand (`scripts/build.ts`).
    for (const e of Deno.readDirSync(dist)) {
      if (e.isFile && e.name.endsWith(".js")) {
        await copyIn(`${dist}/${e.name}`, `${PLUGIN_LIB_DIR}/${e.name}`);
      }
    }
    entrypoint = [
      `${PLUGIN_LIB_DIR}/deno`,
      "run",
      "--quiet",
      "--no-prompt",
      "--no-config",
      ...(opts.permissions ?? RUN_PERMISSIONS),
      ...RUN_V8_FLAGS,
      `${PLUGIN_LIB_DIR}/denoclone.js`,
      "serve",
      "docker",
    ];
    summary = opts.preferBundle
      ? `Deno ${binary} + bundle ${bundle} (bundle requested)`
      : `Deno ${binary} + bundle ${bundle} (no single executable ${exe}: deno compile had no denort)`;
  }
  // The loader and libraries the binary links, plus libc for the FUSE code's dlopen.
  const libs = new Set(await sharedLibs(binary));
  const libc = await findLib("libc.so.6");
  if (libc) libs.add(libc);
  // libsodium seals crypt's data blocks natively (dlopen'ed; without it crypt falls back to
  // the slower pure-JS cipher).
  const sodium = await findLib(SODIUM_LIBRARY);
  if (sodium) libs.add(sodium);
  for (const l of libs) await copyIn(l);
  const ca = "/etc/ssl/certs/ca-certificates.crt";
  if (await exists(ca)) await copyIn(ca);
  // A static busybox gives `umount -l` (stale mountpoints) and a shell for debugging.
  if (await exists("/bin/busybox")) {
    await copyIn("/bin/busybox", "/bin/busybox");
    for (const applet of ["sh", "umount", "mount", "ls", "cat"]) {
      await Deno.symlink("busybox", `${rootfs}/bin/${applet}`);
    }
  }
  await Deno.writeTextFile(`${rootfs}/etc/passwd`, "root:x:0:0:root:/data:/bin/sh\n");
  await Deno.writeTextFile(`${rootfs}/etc/group`, "root:x:0:\n");
  await Deno.writeTextFile(`${rootfs}/etc/fuse.conf`, "user_allow_other\n");
  await Deno.writeTextFile(
    `${out}/config.json`,
    JSON.stringify(pluginConfig(entrypoint), null, 2) + "\n",
  );
  return { outDir: out, kind, entrypoint, summary };
}

if (import.meta.main) {
  const out = Deno.args.find((a) => !a.startsWith("--")) ?? `${REPO_ROOT}/dist/plugin`;
  if (!Deno.args.includes("--no-build")) {
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${REPO_ROOT}/scripts/build.ts`],
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (!r.success) Deno.exit(1);
  }
  try {
    const made = await buildPlugin({
      outDir: out,
      preferBundle: Deno.args.includes("--bundle"),
    });
    console.log(`build_plugin: made ${out} with ${made.summary}`);
    console.log(`next: docker plugin create NAME ${out} && docker plugin enable NAME`);
  } catch (err) {
    console.error((err as Error).message);
    Deno.exit(1);
  }
}

/**
 * @module
 * `deno run -A scripts/build_plugin.ts [OUTDIR]` makes a Docker managed-plugin directory
 * (default `dist/plugin`): `config.json` with the facts of rclone's managed plugin (volume
 * driver interface on `rclone.sock`, CAP_SYS_ADMIN, `/dev/fuse`, propagated mount `/mnt`, the
 * `config` and `cache` bind mounts from `/var/lib/docker-plugins/rclone/{config,cache}`, the
 * settable `args`, `config`, `cache`, `RCLONE_VERBOSE`, `HTTP_PROXY`, `HTTPS_PROXY`,
 * `NO_PROXY`) and a small `rootfs/`: the single executable when `deno compile` could make it,
 * else the pinned Deno plus the bundle, the shared libraries they load, and CA certificates.
 * Then: `docker plugin create NAME OUTDIR && docker plugin enable NAME`.
 */
import { RUN_PERMISSIONS } from "./permissions.ts";

const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const out = Deno.args[0] ?? `${root}/dist/plugin`;
const rootfs = `${out}/rootfs`;
const LIB_DIR = "/usr/lib/denoclone";

async function sh(cmd: string, args: string[]): Promise<string> {
  const r = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  if (!r.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed: ${new TextDecoder().decode(r.stderr)}`);
  }
  return new TextDecoder().decode(r.stdout);
}

/** Copies a host file into the rootfs at the same path (following symlinks). */
async function copyIn(hostPath: string, destPath = hostPath): Promise<void> {
  const dest = `${rootfs}${destPath}`;
  await Deno.mkdir(dest.slice(0, dest.lastIndexOf("/")), { recursive: true });
  await Deno.copyFile(await Deno.realPath(hostPath), dest);
  await Deno.chmod(dest, (await Deno.stat(hostPath)).mode! & 0o777);
}

/** The shared libraries an ELF binary loads, from `ldd`. */
async function sharedLibs(binary: string): Promise<string[]> {
  const text = await sh("ldd", [binary]);
  const libs = new Set<string>();
  for (const line of text.split("\n")) {
    const m = /=>\s+(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m) libs.add(m[1]!);
  }
  return [...libs];
}

await sh(Deno.execPath(), ["run", "-A", `${root}/scripts/build.ts`]);
await Deno.remove(out, { recursive: true }).catch(() => {});
for (
  const d of [
    "data/config",
    "data/cache",
    "mnt",
    "tmp",
    "run/docker/plugins",
    "etc",
    "dev",
    "proc",
    "sys",
  ]
) {
  await Deno.mkdir(`${rootfs}/${d}`, { recursive: true });
}
await Deno.chmod(`${rootfs}/tmp`, 0o1777);

const arch = Deno.build.arch === "x86_64" ? "amd64" : "arm64";
const exe = `${root}/dist/denoclone-${arch}`;
let entrypoint: string[];
let binary: string;
let made: string;
if (await Deno.stat(exe).then(() => true, () => false)) {
  binary = exe;
  await copyIn(exe, `${LIB_DIR}/denoclone`);
  entrypoint = [`${LIB_DIR}/denoclone`, "serve", "docker"];
  made = `single executable ${exe}`;
} else {
  binary = await Deno.realPath(Deno.execPath());
  await copyIn(binary, `${LIB_DIR}/deno`);
  await copyIn(`${root}/dist/denoclone.js`, `${LIB_DIR}/denoclone.js`);
  entrypoint = [
    `${LIB_DIR}/deno`,
    "run",
    "--quiet",
    "--no-prompt",
    "--no-config",
    ...RUN_PERMISSIONS,
    `${LIB_DIR}/denoclone.js`,
    "serve",
    "docker",
  ];
  made = "Deno + bundle (no denort here for a single executable)";
}
// The loader, libc (also dlopen'ed for FUSE) and whatever else the binary links.
const libs = new Set(await sharedLibs(binary));
for (const l of ["libc.so.6"]) {
  for (
    const dir of ["/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib/x86_64-linux-gnu"]
  ) {
    if (await Deno.stat(`${dir}/${l}`).then(() => true, () => false)) libs.add(`${dir}/${l}`);
  }
}
for (const l of libs) await copyIn(l);
for (const ca of ["/etc/ssl/certs/ca-certificates.crt"]) {
  if (await Deno.stat(ca).then(() => true, () => false)) await copyIn(ca);
}
await Deno.writeTextFile(`${rootfs}/etc/passwd`, "root:x:0:0:root:/data:/bin/false\n");
await Deno.writeTextFile(`${rootfs}/etc/group`, "root:x:0:\n");
await Deno.writeTextFile(`${rootfs}/etc/fuse.conf`, "user_allow_other\n");

const config = {
  description: "Rclone volume plugin for Docker (denoclone)",
  documentation: "https://rclone.org/docker",
  interface: { socket: "rclone.sock", types: ["docker.volumedriver/1.0"] },
  linux: { capabilities: ["CAP_SYS_ADMIN"], devices: [{ path: "/dev/fuse" }] },
  network: { type: "host" },
  entrypoint,
  workdir: "/data",
  args: {
    name: "args",
    description: "Extra arguments for serve docker",
    value: [],
    settable: ["value"],
  },
  env: [
    { name: "RCLONE_VERBOSE", value: "0", settable: ["value"] },
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
      source: "/var/lib/docker-plugins/rclone/config",
      destination: "/data/config",
      type: "bind",
      options: ["rbind"],
      settable: ["source"],
    },
    {
      name: "cache",
      source: "/var/lib/docker-plugins/rclone/cache",
      destination: "/data/cache",
      type: "bind",
      options: ["rbind"],
      settable: ["source"],
    },
  ],
  propagatedMount: "/mnt",
};
await Deno.writeTextFile(`${out}/config.json`, JSON.stringify(config, null, 2) + "\n");
console.log(`build_plugin: made ${out} (${made}); next: docker plugin create NAME ${out}`);

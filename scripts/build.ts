/**
 * @module
 * `deno task build`: always makes `dist/denoclone.js` (a `deno bundle`, which runs offline;
 * the backends loaded on demand sit in chunk files next to it: every `dist/*.js` belongs to it)
 * plus the launcher `dist/denoclone` that runs it with the pinned Deno and exactly the
 * permissions of `scripts/permissions.ts`; and, when Deno's `denort` base binary is available
 * (`DENORT_BIN`, or Deno's download cache), the single executable `dist/denoclone-<arch>` via
 * `deno compile`. It says plainly which it made and why.
 *
 * Release machines with internet access get `denort` for free: `deno compile --target
 * x86_64-unknown-linux-gnu` and `--target aarch64-unknown-linux-gnu` download it. See
 * `scripts/README.md`.
 */
import { RUN_FLAGS } from "./permissions.ts";

const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const dist = `${root}/dist`;
const deno = Deno.execPath();

async function run(args: string[], env?: Record<string, string>): Promise<boolean> {
  const { code } = await new Deno.Command(deno, {
    args,
    cwd: root,
    env,
    stdout: "inherit",
    stderr: "inherit",
  })
    .output();
  return code === 0;
}

function denortCandidates(): string[] {
  const out: string[] = [];
  const fromEnv = Deno.env.get("DENORT_BIN");
  if (fromEnv) out.push(fromEnv);
  const denoDir = Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME") ?? "/root"}/.cache/deno`;
  const target = Deno.build.target;
  out.push(`${denoDir}/dl/release/v${Deno.version.deno}/denort-${target}.zip`);
  return out;
}

async function exists(p: string): Promise<boolean> {
  try {
    await Deno.stat(p);
    return true;
  } catch {
    return false;
  }
}

/** The bundler's CommonJS `require` shim, as it emits it into the chunk of shared helpers. */
const EAGER_REQUIRE =
  'import { createRequire as __deno_internal_createRequire } from "node:module";\n' +
  "var __require = __deno_internal_createRequire(import.meta.url);\n";

/**
 * Makes the bundler's `require` shim lazy. It sits in the chunk of shared helpers that every
 * entry loads, and importing `node:module` there loads Node's module system and much of the
 * Node compatibility layer at start-up (~4 MiB resident in the idle plugin daemon) though only
 * ssh2's CommonJS code, in the SFTP chunk, ever calls it. The lazy shim gets `node:module`
 * through `process.getBuiltinModule` on its first call instead.
 */
function lazyRequire(text: string, file: string): string {
  if (!text.includes("__deno_internal_createRequire")) return text;
  if (!text.includes(EAGER_REQUIRE)) {
    throw new Error(`build: ${file}: the bundler's require shim changed; update lazyRequire()`);
  }
  return text.replace(
    EAGER_REQUIRE,
    "let __deno_internal_require;\n" +
      "var __require = (id) => (__deno_internal_require ??= globalThis.process\n" +
      '  .getBuiltinModule("node:module").createRequire(import.meta.url))(id);\n',
  );
}

await Deno.mkdir(dist, { recursive: true });
const bundle = `${dist}/denoclone.js`;
// Code splitting: what main.ts imports dynamically (the SFTP and crypt backends, the admin
// client) lands in chunk files next to the entry, so `serve docker` and `version` don't parse
// ssh2 nor load the Node built-ins it needs. ssh2 tries native addons (`*.node`) in try/catch
// and falls back to JS: keep them out of the bundle. Its emscripten poly1305 loader reads the
// CommonJS `__dirname`, which an ES module lacks: define both names at the top of each file.
const staging = await Deno.makeTempDir({ dir: dist, prefix: ".bundle-" });
try {
  if (
    !await run([
      "bundle",
      "--platform",
      "deno",
      "--external",
      "*.node",
      "--code-splitting",
      "--outdir",
      staging,
      "main.ts",
    ])
  ) {
    throw new Error("build: deno bundle failed");
  }
  for (const e of Deno.readDirSync(dist)) {
    if (e.isFile && e.name.endsWith(".js")) await Deno.remove(`${dist}/${e.name}`);
  }
  for (const e of Deno.readDirSync(staging)) {
    const text = await Deno.readTextFile(`${staging}/${e.name}`);
    if (e.name !== "main.js" && /["']\.\/main\.js["']/.test(text)) {
      throw new Error(`build: chunk ${e.name} imports the entry point, which is renamed`);
    }
    await Deno.writeTextFile(
      e.name === "main.js" ? bundle : `${dist}/${e.name}`,
      "const __dirname = import.meta.dirname, __filename = import.meta.filename;\n" +
        lazyRequire(text, e.name),
    );
  }
} finally {
  await Deno.remove(staging, { recursive: true });
}
const launcher = `${dist}/denoclone`;
await Deno.writeTextFile(
  launcher,
  `#!/bin/sh
# denoclone launcher: runs the bundle with the pinned Deno and exactly these permissions.
here=$(dirname "$(readlink -f "$0")")
deno="\${DENOCLONE_DENO:-$here/../node_modules/.bin/deno}"
[ -x "$deno" ] || deno="$here/deno"
exec "$deno" run --quiet --no-prompt --no-config ${RUN_FLAGS.join(" ")} "$here/denoclone.js" "$@"
`,
);
await Deno.chmod(launcher, 0o755);
console.log(
  `build: made ${bundle} and launcher ${launcher} (runs with ${RUN_FLAGS.join(" ")})`,
);
// Runs the artifact once: a build that doesn't start fails here, and Deno's code cache (in this
// user's DENO_DIR) gets the start-up modules now, so the first `serve docker` after a build
// isn't the one that compiles them all (~40 ms and ~25 MiB more for that run).
{
  const { code, stderr } = await new Deno.Command(launcher, {
    args: ["version"],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(`build: ${launcher} version failed: ${new TextDecoder().decode(stderr)}`);
  }
}

let denort: string | undefined;
for (const c of denortCandidates()) {
  if (await exists(c)) {
    denort = c;
    break;
  }
}
if (!denort) {
  console.log(
    `build: no single executable: deno compile needs the denort base binary, not found at ${
      denortCandidates().join(" or ")
    } (set DENORT_BIN to a denort binary or zip, or build on a machine with internet)`,
  );
} else {
  const arch = Deno.build.arch === "x86_64" ? "amd64" : "arm64";
  const exe = `${dist}/denoclone-${arch}`;
  const ok = await run(
    ["compile", "--no-check", ...RUN_FLAGS, "-o", exe, "main.ts"],
    denort.endsWith(".zip") ? {} : { DENORT_BIN: denort },
  );
  console.log(
    ok ? `build: made single executable ${exe} with ${denort}` : "build: deno compile failed",
  );
  if (!ok) Deno.exit(1);
}

import assert from "node:assert/strict";
import { defaultCacheDir, defaultConfigPath } from "./config_paths.ts";

async function withHome(fn: (home: string) => void | Promise<void>): Promise<void> {
  const home = await Deno.makeTempDir({ prefix: "config_paths_" });
  try {
    await fn(home);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

Deno.test("defaultConfigPath() prefers RCLONE_CONFIG", async () => {
  await withHome((home) => {
    assert.equal(defaultConfigPath({ RCLONE_CONFIG: "/etc/x.conf", HOME: home }), "/etc/x.conf");
  });
});

Deno.test("defaultConfigPath() picks ~/.config/rclone/rclone.conf for a new file", async () => {
  await withHome((home) => {
    assert.equal(defaultConfigPath({ HOME: home }), `${home}/.config/rclone/rclone.conf`);
    assert.equal(
      defaultConfigPath({ HOME: home, RCLONE_CONFIG: "" }),
      `${home}/.config/rclone/rclone.conf`,
    );
  });
});

Deno.test("defaultConfigPath() uses an existing ~/.rclone.conf", async () => {
  await withHome(async (home) => {
    await Deno.writeTextFile(`${home}/.rclone.conf`, "");
    assert.equal(defaultConfigPath({ HOME: home }), `${home}/.rclone.conf`);
    // The XDG location wins once it exists.
    await Deno.mkdir(`${home}/.config/rclone`, { recursive: true });
    await Deno.writeTextFile(`${home}/.config/rclone/rclone.conf`, "");
    assert.equal(defaultConfigPath({ HOME: home }), `${home}/.config/rclone/rclone.conf`);
  });
});

Deno.test("defaultConfigPath() follows XDG_CONFIG_HOME instead of ~/.config", async () => {
  await withHome(async (home) => {
    await Deno.mkdir(`${home}/.config/rclone`, { recursive: true });
    await Deno.writeTextFile(`${home}/.config/rclone/rclone.conf`, "");
    const env = { HOME: home, XDG_CONFIG_HOME: `${home}/xdg` };
    assert.equal(defaultConfigPath(env), `${home}/xdg/rclone/rclone.conf`);
  });
});

Deno.test("defaultConfigPath() without a home uses .rclone.conf", () => {
  assert.equal(defaultConfigPath({}), ".rclone.conf");
});

Deno.test("defaultCacheDir() follows RCLONE_CACHE_DIR, XDG_CACHE_HOME, then HOME", () => {
  assert.equal(defaultCacheDir({ RCLONE_CACHE_DIR: "/c", XDG_CACHE_HOME: "/x", HOME: "/h" }), "/c");
  assert.equal(defaultCacheDir({ XDG_CACHE_HOME: "/x", HOME: "/h" }), "/x/rclone");
  assert.equal(defaultCacheDir({ HOME: "/h" }), "/h/.cache/rclone");
  assert.equal(defaultCacheDir({ TMPDIR: "/t" }), "/t/rclone");
  assert.equal(defaultCacheDir({}), "/tmp/rclone");
});

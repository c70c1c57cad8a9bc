/**
 * Runs the POSIX suite on real mounts (`denoclone mount` child processes) of the `memory` and
 * `local` backends in every cache mode of POSIX_CACHE_MODES.
 */

import { runPosixSuite } from "./posix_suite.ts";
import {
  IS_ROOT,
  isolatedFlags,
  POSIX_CACHE_MODES,
  startCliMount,
  testDirs,
} from "./helpers/mount.ts";

for (const kind of ["memory", "local"]) {
  for (const mode of POSIX_CACHE_MODES) {
    Deno.test({
      name: `POSIX suite on a ${kind} mount with vfs_cache_mode=${mode}`,
      ignore: !IS_ROOT,
      fn: async (t) => {
        const { base, mnt, data } = await testDirs(`posix-${kind}-${mode}`);
        const remote = kind === "local" ? data : ":memory:posix";
        const m = await startCliMount(remote, mnt, [
          ...isolatedFlags(base),
          "--vfs-cache-mode",
          mode,
        ]);
        let code: number;
        try {
          await runPosixSuite(t, {
            dir: mnt,
            servePid: m.pid,
            cacheMode: mode,
            big: mode === POSIX_CACHE_MODES[0],
          });
        } finally {
          code = await m.stop();
          await Deno.remove(base, { recursive: true });
        }
        if (code !== 0) throw new Error(`mount exited ${code}: ${m.stderr()}`);
      },
    });
  }
}

/**
 * @module
 * The seeded randomized VFS-vs-model test (`vfs_model.ts`) over the memory backend, with and
 * without server-side moves.
 */

import { modelTest } from "./vfs_model.ts";
import { memoryBackend } from "./vfs_helpers.ts";

modelTest("memory", (rng) =>
  Promise.resolve({
    backend: memoryBackend({ move: rng.next() < 0.5, moveDir: rng.next() < 0.5 }),
    cleanup: () => Promise.resolve(),
  }));

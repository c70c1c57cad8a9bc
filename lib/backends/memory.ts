/**
 * @module
 * Registers the `memory` backend (files held in this process's memory; no options) and
 * re-exports its class and store. Like rclone, every `memory` remote made through the
 * registry shares one process-wide store.
 */

import { registerBackend } from "./registry.ts";
import type { OptionGroup } from "../config/option_schema.ts";
import { MemoryBackend } from "./memory/memory_backend.ts";
import { GLOBAL_MEMORY_STORE } from "./memory/memory_store.ts";

export { MemoryBackend, type MemoryBackendOptions } from "./memory/memory_backend.ts";
export { GLOBAL_MEMORY_STORE, MemoryStore } from "./memory/memory_store.ts";

/** Option group of the `memory` backend: it has none. */
export const MEMORY_OPTIONS: OptionGroup = { id: "memory", prefix: "memory", options: [] };

registerBackend({
  type: "memory",
  description: "In memory object storage system.",
  options: MEMORY_OPTIONS,
  create(ctx) {
    return Promise.resolve(
      new MemoryBackend({ root: ctx.root, name: ctx.name, store: GLOBAL_MEMORY_STORE }),
    );
  },
});

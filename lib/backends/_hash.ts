/**
 * @module
 * Streaming hashes with rclone's hash names, computed with `node:crypto` so a file of any
 * size is hashed without being held in memory.
 */

import type { HashType } from "./backend.ts";
import { NotSupportedError } from "../errors.ts";

const NODE_NAMES: Partial<Record<HashType, string>> = {
  md5: "md5",
  sha1: "sha1",
  sha256: "sha256",
};

/** An incremental hasher: feed chunks with `update`, then read the lower-case hex `digest`. */
export interface Hasher {
  /** Adds bytes. */
  update(chunk: Uint8Array): void;
  /** Finishes and returns the lower-case hex digest. */
  digest(): string;
}

/**
 * Creates an incremental hasher; rejects with NotSupportedError for a type it cannot compute.
 * `node:crypto` loads on the first call, so processes that never hash don't pay for it.
 */
export async function newHasher(type: HashType): Promise<Hasher> {
  const name = NODE_NAMES[type];
  if (!name) throw new NotSupportedError(`hash type ${JSON.stringify(type)}`);
  const { createHash } = await import("node:crypto");
  const h = createHash(name);
  return {
    update(chunk) {
      h.update(chunk);
    },
    digest() {
      return h.digest("hex");
    },
  };
}

/** Hashes a whole stream chunk by chunk and returns the lower-case hex digest. */
export async function hashStream(
  stream: ReadableStream<Uint8Array>,
  type: HashType,
): Promise<string> {
  const h = await newHasher(type);
  for await (const chunk of stream) h.update(chunk);
  return h.digest();
}

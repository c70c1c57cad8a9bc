/**
 * @module
 * Renames for backends without server-side moves: a file is copied (read stream → write) and
 * the source removed; a directory is re-created and its children moved one by one.
 */

import type { Backend, Entry } from "../backends/backend.ts";
import { baseName, joinPath } from "./path_util.ts";

/** Moves one file, server-side when the backend can, else by copy and delete. */
export async function moveFile(backend: Backend, from: string, to: string): Promise<Entry> {
  if (backend.features.move && backend.move) return await backend.move(from, to);
  const src = await backend.stat(from);
  const stream = await backend.read(from);
  const entry = await backend.write(to, stream, { mtimeMs: src.mtimeMs, size: src.size });
  await backend.remove(from);
  return entry;
}

/** Moves a directory tree (the destination must not exist), server-side when possible. */
export async function moveDir(backend: Backend, from: string, to: string): Promise<void> {
  if (backend.features.moveDir && backend.moveDir) {
    await backend.moveDir(from, to);
    return;
  }
  await backend.mkdir(to);
  for (const child of await backend.list(from)) {
    const name = baseName(child.path);
    const src = joinPath(from, name);
    const dst = joinPath(to, name);
    if (child.isDir) await moveDir(backend, src, dst);
    else await moveFile(backend, src, dst);
  }
  await backend.rmdir(from);
}

/**
 * @module
 * Every option group of the program in one list: the global, mount, VFS and serve-docker
 * groups and each registered backend's. The options reference and boolean flag handling read it.
 */
import type { OptionGroup } from "../config/option_schema.ts";
import { GLOBAL_OPTIONS } from "./global_options.ts";

const groups: OptionGroup[] = [GLOBAL_OPTIONS];

/** Adds groups to the program-wide list (called once at start-up by main.ts). */
export function registerOptionGroups(...gs: OptionGroup[]): void {
  for (const g of gs) if (!groups.includes(g)) groups.push(g);
}

/** All option groups known to the program. */
export function allOptionGroups(): readonly OptionGroup[] {
  return groups;
}

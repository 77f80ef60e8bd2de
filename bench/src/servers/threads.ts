import type { THREAD_ENTRIES } from '../bundle.js';

/** A module the subjects run as an analytics thread, relative to `src/`. */
export type ThreadEntry = (typeof THREAD_ENTRIES)[number];

/**
 * The URL of a thread module: its bundle when this code runs bundled (as the servers do),
 * its TypeScript source otherwise. Both are `../<entry>` from here, with the extension of
 * this module, since every bundle output sits one folder deep like every source file.
 */
export function benchThreadModule(entry: ThreadEntry): URL {
  const here = import.meta.url;
  const extension = here.slice(here.lastIndexOf('.'));
  return new URL(`../${entry.replace(/\.ts$/, extension)}`, here);
}

import { runNodeJson } from '../proc.js';
import type { LoadResult, LoadSpec } from './load-types.js';

/** Runs autocannon in its own process, pinned to the load core, and returns what it measured. */
export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  return runNodeJson<LoadResult>('load', 'load/load-process.ts', [JSON.stringify(spec)]);
}

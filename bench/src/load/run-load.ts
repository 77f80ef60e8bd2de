import type { ChildProcess } from 'node:child_process';
import { spawnNode } from '../proc.js';
import type { LoadResult, LoadSpec } from './load-types.js';

let generator: ChildProcess | undefined;
let previous: Promise<unknown> = Promise.resolve();

/**
 * The load generator's process, started on first use and kept: it keeps the runner alive
 * only while a run is in flight, and exits when the runner does (its IPC channel closes).
 */
function loadGenerator(): ChildProcess {
  if (generator === undefined) {
    const child = spawnNode('load', 'load/load-process.ts', [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.unref();
    child.channel?.unref();
    child.once('exit', () => {
      if (generator === child) generator = undefined;
    });
    generator = child;
  }
  return generator;
}

function runOnce(spec: LoadSpec): Promise<LoadResult> {
  const child = loadGenerator();
  child.channel?.ref();
  return new Promise<LoadResult>((resolve, reject) => {
    const onExit = (code: number | null) =>
      reject(new Error(`the load generator exited with ${code}`));
    child.once('exit', onExit);
    child.once('message', (result: LoadResult) => {
      child.off('exit', onExit);
      resolve(result);
    });
    child.send(spec);
  }).finally(() => child.channel?.unref());
}

/**
 * Runs autocannon with `spec` in the load generator's process (one for the whole bench
 * run, pinned to the load core) and returns what it measured. Runs never overlap: a call
 * waits for the one before it.
 */
export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const result = previous.then(() => runOnce(spec));
  previous = result.catch(() => {});
  return result;
}

import type { ChildProcess } from 'node:child_process';
import type { Contender } from '../load/alternate.js';
import { pinThreads, spawnNode } from '../proc.js';
import type { SubjectOptions } from './bench-server.js';
import type { ServerCommand } from './server-process.js';
import type { SubjectName } from './subjects.js';

/** A subject running in its own process, pinned to the server core. */
export interface ServerHandle {
  name: SubjectName;
  /** The name, or what the scenario calls this instance (`fastify-plugin/stalled`). */
  label: string;
  pid: number;
  /** Ids of the threads the subject started (pinned to the load generator's core). */
  threads: readonly number[];
  url: string;
  /** The subject's counters plus `process.memoryUsage()`. */
  stats(): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

type ServerMessage =
  | { type: 'ready'; port: number; threads: number[] }
  | { type: 'stats'; id: number; stats: Record<string, unknown> };

const START_TIMEOUT_MS = 60_000;

function send(child: ChildProcess, command: ServerCommand): void {
  child.send(command);
}

/**
 * A contender of `alternate` that starts a process of subject `name` whenever `alternate`
 * needs one (every turn with fresh servers), labelled `label` in the log and the results.
 */
export function contender(
  name: SubjectName,
  options: SubjectOptions = {},
  label: string = name,
): Contender {
  return { label, start: () => startServer(name, options, label) };
}

/** Starts a subject and resolves once it listens. */
export async function startServer(
  name: SubjectName,
  options: SubjectOptions = {},
  label: string = name,
  nodeFlags: readonly string[] = [],
): Promise<ServerHandle> {
  const child = spawnNode('server', 'servers/server-process.ts', [name, JSON.stringify(options)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    nodeFlags,
  });
  const ready = await new Promise<{ port: number; threads: number[] }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start`)), START_TIMEOUT_MS);
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} while starting`)));
    child.on('message', (message: ServerMessage) => {
      if (message.type === 'ready') {
        clearTimeout(timer);
        resolve(message);
      }
    });
  });
  const { port, threads } = ready;
  pinThreads(threads, 'load');
  let nextId = 0;
  return {
    name,
    label,
    pid: child.pid!,
    threads,
    url: `http://127.0.0.1:${port}`,
    stats() {
      const id = nextId++;
      return new Promise((resolve) => {
        const onMessage = (message: ServerMessage) => {
          if (message.type === 'stats' && message.id === id) {
            child.off('message', onMessage);
            resolve(message.stats);
          }
        };
        child.on('message', onMessage);
        send(child, { type: 'stats', id });
      });
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      send(child, { type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * A subject's process: starts the server named on the command line, reports its port
 * over IPC, answers `stats` requests and exits on `stop`. Started by `startServer`.
 */
import { readdirSync } from 'node:fs';
import type { SubjectOptions } from './bench-server.js';
import { SUBJECTS, type SubjectName } from './subjects.js';

/** Messages from the bench runner. */
export type ServerCommand = { type: 'stats'; id: number } | { type: 'stop' };

const name = process.argv[2] as SubjectName;
const options = JSON.parse(process.argv[3] ?? '{}') as SubjectOptions;
const factory = SUBJECTS[name];
if (factory === undefined) throw new Error(`unknown subject ${name}`);
const threadIds = (): number[] => readdirSync('/proc/self/task').map(Number);
const threadsBefore = new Set(threadIds());
const server = await factory(options);
// Threads the subject started (an analytics worker thread): the runner pins them apart.
const threads = threadIds().filter((id) => !threadsBefore.has(id));

process.on('message', async (command: ServerCommand) => {
  if (command.type === 'stats') {
    const stats = { ...(await server.stats()), memory: process.memoryUsage() };
    process.send?.({ type: 'stats', id: command.id, stats });
  } else {
    // A stalled or failing transport never takes the clicks: closing gracefully would only
    // wait out the emitter's close timeout (5 s) for them before every next turn.
    if ((options.transport ?? 'healthy') === 'healthy') await server.close();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
process.send?.({ type: 'ready', port: server.port, threads });

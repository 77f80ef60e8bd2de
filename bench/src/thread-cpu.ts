/**
 * `pnpm --filter @linkpulse/bench run thread-cpu <subject,subject,…> [rounds]`: CPU time
 * per request of each server's threads at a fixed request rate (`RATE`, default 50,000
 * req/s): the request thread, the threads the subject started (the analytics thread) and
 * the rest of the process (V8's and libuv's helper threads). At a fixed rate every server
 * does the same work per second, so their CPU per request compares directly, without the
 * load generator's share that a saturated run mixes in. Each round starts every server
 * afresh (two processes of one server can differ here), warms it up for 3 s and loads it
 * for 8 s, the servers alternating; prints per-round values and medians in µs.
 */
import { runLoad } from './load/run-load.js';
import { cpuTicksOf, prepareEntries, TICKS_PER_SECOND, threadCpuTicksOf } from './proc.js';
import { startServer } from './servers/server-handle.js';
import { SUBJECTS, type SubjectName } from './servers/subjects.js';
import { median } from './stats.js';

const subjects = (process.argv[2] ?? '').split(',').filter(Boolean) as SubjectName[];
const rounds = Number(process.argv[3] ?? 3);
const rate = Number(process.env.RATE ?? 50_000);
if (subjects.length === 0 || subjects.some((subject) => !(subject in SUBJECTS))) {
  console.error(`usage: thread-cpu <${Object.keys(SUBJECTS).join('|')}>[,…] [rounds]`);
  process.exit(2);
}

/** CPU ticks so far of a server's request thread, its started threads and the whole process. */
interface Ticks {
  request: number;
  started: number;
  all: number;
}

function ticksOf(pid: number, started: readonly number[]): Ticks {
  let startedTicks = 0;
  for (const tid of started) startedTicks += threadCpuTicksOf(pid, tid);
  return { request: threadCpuTicksOf(pid, pid), started: startedTicks, all: cpuTicksOf(pid) };
}

/** Per request, µs: request thread, started threads, rest of the process. */
type Split = [request: number, started: number, rest: number];

async function measure(subject: SubjectName): Promise<Split> {
  const server = await startServer(subject, { transport: 'healthy' });
  try {
    const load = { url: server.url, connections: 64, pipelining: 1, rate };
    await runLoad({ ...load, durationS: 3 });
    const before = ticksOf(server.pid, server.threads);
    const { responses } = await runLoad({ ...load, durationS: 8 });
    const after = ticksOf(server.pid, server.threads);
    const perRequest = (ticks: number): number => (ticks * 1e6) / TICKS_PER_SECOND / responses;
    const request = perRequest(after.request - before.request);
    const started = perRequest(after.started - before.started);
    return [request, started, perRequest(after.all - before.all) - request - started];
  } finally {
    await server.stop();
  }
}

await prepareEntries();
const splits = new Map<SubjectName, Split[]>(subjects.map((subject) => [subject, []]));
for (let round = 0; round < rounds; round++) {
  for (const subject of subjects) splits.get(subject)!.push(await measure(subject));
}
console.log(`CPU µs per request at ${rate} req/s, median of ${rounds} rounds (per round):`);
for (const [subject, values] of splits) {
  const column = (index: number): string => {
    const perRound = values.map((split) => split[index]!);
    return `${median(perRound).toFixed(2)} (${perRound.map((value) => value.toFixed(2)).join(' ')})`;
  };
  console.log(
    `${subject}: request thread ${column(0)}; started threads ${column(1)}; rest ${column(2)}`,
  );
}

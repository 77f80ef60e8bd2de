/**
 * `pnpm --filter @linkpulse/bench run profile <subject> [seconds]`: runs one server under the
 * redirect load with `--cpu-prof`, writes one profile per thread to
 * `results/<subject>.cpuprofile` (the request thread) and
 * `results/<subject>.thread-<n>.cpuprofile` (threads it started, such as the analytics
 * thread; open them in Chrome DevTools or speedscope for a flame graph) and prints, for each,
 * the functions with the most self time.
 */
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLoad } from './load/run-load.js';
import { BENCH_DIR, prepareEntries } from './proc.js';
import { type CpuProfile, inclusiveShares, selfTimes } from './profile-summary.js';
import type { TransportMode } from './servers/bench-server.js';
import { startServer } from './servers/server-handle.js';
import { SUBJECTS, type SubjectName } from './servers/subjects.js';

const subject = process.argv[2] as SubjectName;
const seconds = Number(process.argv[3] ?? 10);
if (!(subject in SUBJECTS)) {
  console.error(`usage: profile <${Object.keys(SUBJECTS).join('|')}> [seconds]`);
  process.exit(2);
}
await prepareEntries();
const dir = join(BENCH_DIR, 'results');
// Every thread writes its own profile; Node's default names (`CPU.<date>.<time>.<pid>.<tid>.
// <seq>.cpuprofile`) keep them apart, where one fixed `--cpu-prof-name` made them overwrite
// each other.
const rawDir = mkdtempSync(join(tmpdir(), 'linkpulse-profile-'));
const server = await startServer(
  subject,
  {
    dbPath: join(dir, 'profile.db'),
    transport: (process.env.TRANSPORT ?? 'healthy') as TransportMode,
  },
  subject,
  ['--cpu-prof', `--cpu-prof-dir=${rawDir}`],
);
const result = await runLoad({
  url: server.url,
  connections: 64,
  pipelining: Number(process.env.PIPELINING ?? 1),
  durationS: seconds,
  // A fixed request rate (req/s) instead of saturation, as the faults scenario runs.
  rate: process.env.RATE === undefined ? undefined : Number(process.env.RATE),
});
await server.stop();
console.log(`${subject}: ${Math.round(result.rps)} req/s under the profiler`);
/** The thread id in a default profile name. */
const threadOf = (file: string): number => Number(file.split('.').at(-3));
const files = readdirSync(rawDir)
  .filter((file) => file.endsWith('.cpuprofile'))
  .sort((a, b) => threadOf(a) - threadOf(b));
// LinkPulse's stages, by the functions that run them (share of the non-idle, non-GC time).
const STAGES: Record<string, string> = {
  '#pump': 'emitter flush (build events, send)',
  '#handle': 'worker batch (decode, dedupe, enrich, sinks)',
  redirect: 'redirect handler (resolve, record the click)',
};
for (const [index, file] of files.entries()) {
  const name = index === 0 ? subject : `${subject}.thread-${index}`;
  const path = join(dir, `${name}.cpuprofile`);
  renameSync(join(rawDir, file), path);
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  console.log(
    `\n${index === 0 ? 'request thread' : `thread ${index}`}: self time (share of all samples):`,
  );
  for (const [share, frame] of selfTimes(profile).slice(0, 40)) {
    console.log(`${(share * 100).toFixed(1).padStart(5)} %  ${frame}`);
  }
  console.log('inclusive time of the LinkPulse stages (share of busy time):');
  for (const [stage, share] of inclusiveShares(profile, Object.keys(STAGES))) {
    console.log(`${(share * 100).toFixed(1).padStart(5)} %  ${STAGES[stage]}`);
  }
  console.log(`profile: ${path}`);
}
rmSync(rawDir, { recursive: true, force: true });

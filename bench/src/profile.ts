/**
 * `pnpm --filter @linkpulse/bench run profile <subject> [seconds]`: runs one server under the
 * redirect load with `--cpu-prof`, writes the profile to `results/<subject>.cpuprofile`
 * (open it in Chrome DevTools or speedscope for a flame graph) and prints the functions
 * with the most self time.
 */
import { readFileSync, renameSync } from 'node:fs';
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
const server = await startServer(
  subject,
  {
    dbPath: join(dir, 'profile.db'),
    transport: (process.env.TRANSPORT ?? 'healthy') as TransportMode,
  },
  subject,
  ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${subject}.cpuprofile.tmp`],
);
const result = await runLoad({
  url: server.url,
  connections: 64,
  pipelining: Number(process.env.PIPELINING ?? 1),
  durationS: seconds,
});
await server.stop();
console.log(`${subject}: ${Math.round(result.rps)} req/s under the profiler`);
const path = join(dir, `${subject}.cpuprofile`);
renameSync(join(dir, `${subject}.cpuprofile.tmp`), path);
const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
console.log('self time (share of all samples):');
for (const [share, name] of selfTimes(profile).slice(0, 40)) {
  console.log(`${(share * 100).toFixed(1).padStart(5)} %  ${name}`);
}
// LinkPulse's stages, by the functions that run them (share of the non-idle, non-GC time).
const STAGES: Record<string, string> = {
  '#pump': 'emitter flush (build events, send)',
  '#handle': 'worker batch (decode, dedupe, enrich, sinks)',
  redirect: 'redirect handler (resolve, record the click)',
};
console.log('inclusive time of the LinkPulse stages (share of busy time):');
for (const [name, share] of inclusiveShares(profile, Object.keys(STAGES))) {
  console.log(`${(share * 100).toFixed(1).padStart(5)} %  ${STAGES[name]}`);
}
console.log(`profile: ${path}`);

/**
 * `pnpm bench [--quick] [--only redirect,emitter,faults,pipeline,kafka]`: runs the
 * scenarios, prints the table and writes `results/latest.json` (a full run of every
 * scenario), `results/quick.json` (`--quick`) or `results/partial.json` (`--only`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PROFILES } from './config.js';
import { machineInfo, versions } from './machine.js';
import { BENCH_DIR, PINNED, prepareEntries } from './proc.js';
import { Collector, markdownTable, writeReport } from './results.js';
import type { ScenarioContext } from './scenarios/context.js';
import { embeddedScenario } from './scenarios/embedded.js';
import { emitterScenario } from './scenarios/emitter.js';
import { faultScenario } from './scenarios/faults.js';
import { kafkaScenario } from './scenarios/kafka.js';
import { redirectScenario } from './scenarios/redirect.js';

const SCENARIOS = ['redirect', 'emitter', 'faults', 'pipeline', 'kafka'] as const;
type Scenario = (typeof SCENARIOS)[number];

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
  },
  // `pnpm bench -- --quick` passes the separator through.
  allowPositionals: true,
});
const only = values.only?.split(',').map((name) => name.trim()) ?? [...SCENARIOS];
for (const name of only) {
  if (!SCENARIOS.includes(name as Scenario)) {
    console.error(`unknown scenario "${name}"; choose from ${SCENARIOS.join(', ')}`);
    process.exit(2);
  }
}
const selected = new Set(only as Scenario[]);
const profile = PROFILES[values.quick ? 'quick' : 'full'];
const started = Date.now();
const log = (line: string) => {
  console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);
};

const machine = machineInfo();
log(
  `profile ${profile.name}; ${machine.cpus} × ${machine.model}; load average ${loadavg()
    .map((n) => n.toFixed(2))
    .join(' ')}`,
);
if (!PINNED) log('taskset or a second core is missing: server and load generator share the cores');
await prepareEntries();

const tmpDir = mkdtempSync(join(tmpdir(), 'linkpulse-bench-'));
const collector = new Collector();
const context: ScenarioContext = { profile, collector, log, tmpDir };
try {
  let pluginRps: number | null = null;
  if (selected.has('redirect')) pluginRps = await redirectScenario(context);
  if (selected.has('emitter')) await emitterScenario(context);
  if (selected.has('faults')) await faultScenario(context, pluginRps);
  if (selected.has('pipeline')) await embeddedScenario(context);
  if (selected.has('kafka')) await kafkaScenario(context);
} finally {
  rmSync(tmpDir, { recursive: true, force: true });
}

const complete = selected.size === SCENARIOS.length;
const file =
  profile.name === 'full' && complete ? 'latest.json' : complete ? 'quick.json' : 'partial.json';
const path = join(BENCH_DIR, 'results', file);
writeReport(path, {
  machine: { ...machine, loadAverageAtEnd: loadavg() },
  versions: versions(),
  run: {
    profile: profile.name,
    scenarios: [...selected],
    date: new Date(started).toISOString(),
    seconds: Math.round((Date.now() - started) / 1000),
    settings: profile,
    servers: 'plain node on esbuild bundles of the workspace sources',
  },
  results: collector.results,
  figures: collector.figures,
});
console.log(
  `\nTargets\n\n${markdownTable(collector.results)}\n\nOther figures\n\n${markdownTable(collector.figures)}\n`,
);
log(`wrote ${path}`);

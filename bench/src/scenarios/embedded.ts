import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runLoad } from '../load/run-load.js';
import { cpuPercent } from '../pipelines/clock.js';
import { runPipeline } from '../pipelines/run-pipeline.js';
import { sampleRss, waitIdle } from '../proc.js';
import { startServer } from '../servers/server-handle.js';
import { MIB, type ScenarioContext } from './context.js';

/** The emitter's default capacity: a backlog beyond it would be drops in a bounded transport. */
const DEFAULT_CAPACITY = 10_000;

interface EmbeddedStats {
  emitter: { emitted: number; dropped: number; sent: number; queueDepth: number; inFlight: number };
  worker: { written: number; events: number };
}

/**
 * Scenario 4a, the embedded pipeline: a saturation run against the Fastify plugin on
 * `createEmbedded` (SQLite links and clicks, in-process worker), then the events/s of
 * emitter → memory transport → worker → SQLite sink against a raw SQLite insert.
 */
export async function embeddedScenario(context: ScenarioContext): Promise<void> {
  const { profile, collector, log } = context;
  log(
    `embedded: ${profile.saturationS} s saturation run; ${profile.pipelineEvents.toLocaleString('en-US')} events memory → SQLite`,
  );
  const embedded = await startServer('fastify-embedded', {
    dbPath: join(context.tmpDir, 'embedded.db'),
  });
  const bare = await startServer('fastify-bare');
  try {
    const load = { connections: profile.connections, pipelining: profile.pipelining };
    for (const server of [embedded, bare]) {
      await runLoad({ ...load, url: server.url, durationS: profile.warmupS });
      await waitIdle(server.pid, 300, 120_000);
    }
    const reference = await runLoad({ ...load, url: bare.url, durationS: profile.durationS });
    const before = (await embedded.stats()) as unknown as EmbeddedStats;
    const stopRss = sampleRss(embedded.pid);
    const result = await runLoad({ ...load, url: embedded.url, durationS: profile.saturationS });
    const after = (await embedded.stats()) as unknown as EmbeddedStats;
    const rssPeak = stopRss();
    const emitted = after.emitter.emitted - before.emitter.emitted;
    const dropped = after.emitter.dropped - before.emitter.dropped;
    const backlog = after.emitter.emitted - after.worker.written - after.emitter.dropped;
    const catchUpStart = Date.now();
    let caughtUp = after;
    while (caughtUp.worker.written + caughtUp.emitter.dropped < caughtUp.emitter.emitted) {
      if (Date.now() - catchUpStart > 300_000) break;
      await sleep(100);
      caughtUp = (await embedded.stats()) as unknown as EmbeddedStats;
    }
    const catchUpS = (Date.now() - catchUpStart) / 1000;
    collector.add({
      scenario: 'pipeline',
      subject: 'embedded (fastify + SQLite), saturated',
      baseline: null,
      metric: 'clicks dropped',
      value: dropped,
      baselineValue: null,
      target: `0, backlog <= ${DEFAULT_CAPACITY}`,
      met: dropped === 0 && backlog <= DEFAULT_CAPACITY,
      note: `${profile.saturationS} s at ${Math.round(result.rps)} req/s, ${emitted.toLocaleString('en-US')} clicks; ${backlog.toLocaleString('en-US')} clicks not yet written when the load stopped, written ${catchUpS.toFixed(1)} s later`,
    });
    collector.add({
      scenario: 'pipeline',
      subject: 'embedded (fastify + SQLite)',
      baseline: 'fastify-bare',
      metric: 'req/s',
      value: result.rps,
      baselineValue: reference.rps,
      target: null,
      met: null,
      note: `p99 ${result.p99.toFixed(2)} ms; peak RSS ${(rssPeak / MIB).toFixed(0)} MiB`,
    });
    collector.figure('pipeline', 'embedded (fastify + SQLite)', 'backlog at end of run', backlog);
    collector.figure('pipeline', 'embedded (fastify + SQLite)', 'peak RSS MiB', rssPeak / MIB);
  } finally {
    await Promise.all([embedded.stop(), bare.stop()]);
  }

  const spec = { events: profile.pipelineEvents, dir: context.tmpDir };
  const pipeline = await runPipeline({ ...spec, mode: 'memory-sqlite' });
  const raw = await runPipeline({ ...spec, mode: 'sqlite-raw' });
  log(
    `  memory → SQLite ${Math.round(pipeline.eventsPerSecond)} events/s (CPU ${cpuPercent(pipeline.cpuShare)} of a core), raw insert ${Math.round(raw.eventsPerSecond)} rows/s`,
  );
  collector.add({
    scenario: 'pipeline',
    subject: 'memory → SQLite',
    baseline: 'raw SQLite insert',
    metric: 'events/s',
    value: pipeline.eventsPerSecond,
    baselineValue: raw.eventsPerSecond,
    target: null,
    met: null,
    note: `${pipeline.events.toLocaleString('en-US')} events, ${pipeline.delivered.toLocaleString('en-US')} written, ${pipeline.dropped} dropped; raw: pre-enriched rows, one INSERT per row, 500 per transaction, no aggregates; CPU time of the process (emitter and analytics thread) over the run: ${cpuPercent(pipeline.cpuShare)} of a core`,
  });
}

import { runNodeJson } from '../proc.js';
import { MIB, type ScenarioContext } from './context.js';
import type { EmitterFigures } from './emitter-probe.js';
import { flushRoundsNote } from './flush-rounds.js';

/** Heap growth between 100,000 and 1,000,000 stalled emits that still counts as bounded. */
const BOUNDED_GROWTH_MIB = 1;

/**
 * Scenario 2: ns per `emit()`, the cost of a flush of 1,000 events, the request thread's
 * CPU of flushing to an analytics thread, and memory and drop counts with a stalled
 * transport. Runs in its own process on the server core.
 */
export async function emitterScenario(context: ScenarioContext): Promise<void> {
  const { profile, collector, log } = context;
  log(
    `emitter: ${profile.emitCalls.toLocaleString('en-US')} emits, ${profile.flushes} flushes, ${profile.rounds} rounds of flushes to an analytics thread, ${profile.stalledEmits.toLocaleString('en-US')} stalled emits`,
  );
  const figures = await runNodeJson<EmitterFigures>(
    'server',
    'scenarios/emitter-probe.ts',
    [
      JSON.stringify([
        profile.emitCalls,
        profile.flushes,
        profile.stalledEmits,
        profile.rounds,
        profile.flushRoundCpuMs,
      ]),
    ],
    ['--expose-gc'],
  );
  collector.add({
    scenario: 'emitter',
    subject: 'ClickEmitter.emit',
    baseline: null,
    metric: 'ns/emit (median)',
    value: figures.nsPerEmit,
    baselineValue: null,
    target: '< 250',
    met: figures.nsPerEmit < 250,
    note: `median over chunks of 1,000 calls, ${figures.emitCalls.toLocaleString('en-US')} calls; p99 of chunks ${figures.nsPerEmitP99.toFixed(0)} ns`,
  });
  collector.figure(
    'emitter',
    'ClickEmitter flush',
    'µs per 1,000 events',
    figures.flushUs,
    'ULID, visitor HMAC (100,000 distinct IPs), IP prefix, UTM, send to a no-op transport',
  );
  const t = figures.threaded;
  collector.add({
    scenario: 'emitter',
    subject: 'flush to an analytics thread, clicks cross',
    baseline: 'events built on the request thread',
    metric: 'request-thread CPU µs per 1,000 clicks',
    value: t.clicks.us,
    baselineValue: t.events.us,
    target: null,
    met: null,
    note: `CPU time of the request (main) thread alone (/proc task stat), not wall: emit + flush of 1,000 clicks (100,000 distinct IPs) to createThreadedAnalytics (counting sink, thread on the other core); the producer as is gets the clicks packed and the thread builds the events; the baseline producer has only send, so events are built, packed and posted here; ${flushRoundsNote(t, t.clicks, t.events)}`,
  });
  const s = figures.stalled;
  const exact =
    s.dropped === s.expectedDropped && s.dropped + s.queueDepth + s.inFlight === s.emits;
  collector.add({
    scenario: 'emitter',
    subject: 'stalled transport',
    baseline: 'exact count',
    metric: 'clicks dropped',
    value: s.dropped,
    baselineValue: s.expectedDropped,
    target: 'exact',
    met: exact,
    note: `${s.emits.toLocaleString('en-US')} emits, capacity ${s.capacity}, one batch of ${s.maxBatchSize} in flight`,
  });
  const growth = (s.heapEnd - s.heapFull) / MIB;
  collector.add({
    scenario: 'emitter',
    subject: 'stalled transport',
    baseline: null,
    metric: 'heap growth 100k→1M emits, MiB',
    value: growth,
    baselineValue: null,
    target: `< ${BOUNDED_GROWTH_MIB} (bounded by capacity)`,
    met: growth < BOUNDED_GROWTH_MIB,
    note: `a full buffer holds ${((s.heapFull - s.heapStart) / MIB).toFixed(1)} MiB of heap; RSS grew ${((s.rssEnd - s.rssStart) / MIB).toFixed(1)} MiB over all ${s.emits.toLocaleString('en-US')} emits`,
  });
  collector.figure('emitter', 'stalled transport', 'RSS growth MiB', (s.rssEnd - s.rssStart) / MIB);
}

/**
 * The emitter scenario's process (pinned to the server core, run with `--expose-gc`):
 * times `emit()`, times flushes of 1,000 events, measures the request thread's CPU of
 * flushing to an analytics thread, and fills an emitter whose transport never answers.
 * Prints one {@link EmitterFigures} as JSON.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { ClickEmitter, type ClickProducer } from '@linkpulse/core';
import { benchThreadModule } from '../servers/threads.js';
import { median } from '../stats.js';
import { BENCH_SECRET, benchClick as click } from '../traffic/clicks.js';
import type { FlushCpu, FlushRounds } from './flush-rounds.js';
import { startPinnedThread, timeFlushRounds } from './flush-rounds-probe.js';

/** What the probe measured. */
export interface EmitterFigures {
  /** Median ns per `emit()` over chunks of 1,000 calls. */
  nsPerEmit: number;
  /** 99th percentile of the per-chunk ns per `emit()`. */
  nsPerEmitP99: number;
  emitCalls: number;
  /** Median µs to flush 1,000 buffered clicks (build events, send) with distinct visitors. */
  flushUs: number;
  /** Request-thread CPU of emitting and flushing 1,000 clicks to an analytics thread. */
  threaded: FlushRounds & {
    /** Clicks sent as emitted, the thread builds the events. */
    clicks: FlushCpu;
    /** Events built on this thread and sent (as before `sendClicks`). */
    events: FlushCpu;
  };
  stalled: {
    emits: number;
    capacity: number;
    maxBatchSize: number;
    dropped: number;
    /** What an exact count gives: emits − capacity − one batch in flight. */
    expectedDropped: number;
    queueDepth: number;
    inFlight: number;
    /** Heap after GC, bytes: before, after the buffer filled (100,000 emits), at the end. */
    heapStart: number;
    heapFull: number;
    heapEnd: number;
    rssStart: number;
    rssEnd: number;
  };
}

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const [
  emitCalls = 2_000_000,
  flushes = 100,
  stalledEmits = 1_000_000,
  threadRounds = 5,
  threadRoundCpuMs = 600,
] = JSON.parse(process.argv[2] ?? '[]') as number[];

const accepting: ClickProducer = { send: async () => {}, close: async () => {} };

async function timeEmits(): Promise<{ median: number; p99: number }> {
  const emitter = new ClickEmitter({ transport: accepting, secret: BENCH_SECRET });
  const inputs = Array.from({ length: 4_096 }, (_, i) => click(i));
  const chunk = 1_000;
  const perCall: number[] = [];
  for (let done = 0, k = 0; done < emitCalls; done += chunk) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < chunk; i++) emitter.emit(inputs[(k + i) & 4_095]!);
    const ns = Number(process.hrtime.bigint() - start);
    k += chunk;
    // The first tenth warms the JIT up.
    if (done >= emitCalls / 10) perCall.push(ns / chunk);
    // Let the emitter flush, as the event loop would between requests.
    await nextTurn();
  }
  await emitter.close();
  perCall.sort((a, b) => a - b);
  return { median: median(perCall), p99: perCall[Math.floor(perCall.length * 0.99)]! };
}

async function timeFlushes(): Promise<number> {
  const emitter = new ClickEmitter({
    transport: accepting,
    secret: BENCH_SECRET,
    maxBatchSize: 1_000,
    flushIntervalMs: 1e9,
  });
  const times: number[] = [];
  let next = 0;
  for (let round = 0; round < flushes + 10; round++) {
    for (let i = 0; i < 1_000; i++) emitter.emit(click(next++));
    const start = process.hrtime.bigint();
    await emitter.flush();
    if (round >= 10) times.push(Number(process.hrtime.bigint() - start) / 1_000);
  }
  await emitter.close();
  return median(times);
}

/**
 * The request thread's CPU per 1,000 clicks emitted and flushed to an analytics thread
 * (counting sink), as the adapters do: clicks cross and the thread builds the events, or,
 * as the baseline, events are built here and sent (see {@link timeFlushRounds}).
 */
async function timeThreadedFlushes(): Promise<EmitterFigures['threaded']> {
  const analytics = await startPinnedThread({
    module: benchThreadModule('servers/counting-thread.ts'),
  });
  const eventsOnly: ClickProducer = {
    send: (batch) => analytics.producer.send(batch),
    close: async () => {},
  };
  const rounds = { rounds: threadRounds, roundCpuMs: threadRoundCpuMs };
  const [clicks, events] = await timeFlushRounds(
    analytics,
    [analytics.producer, eventsOnly],
    rounds,
  );
  await analytics.close();
  return { ...rounds, clicks: clicks!, events: events! };
}

async function fillStalled(): Promise<EmitterFigures['stalled']> {
  const stalled: ClickProducer = { send: () => new Promise<void>(() => {}), close: async () => {} };
  gc();
  const heapStart = process.memoryUsage().heapUsed;
  const rssStart = process.memoryUsage().rss;
  const emitter = new ClickEmitter({ transport: stalled, secret: BENCH_SECRET });
  let heapFull = 0;
  for (let i = 0; i < stalledEmits; i += 1_000) {
    for (let j = 0; j < 1_000; j++) emitter.emit(click(i + j));
    await nextTurn();
    if (i + 1_000 === 100_000) {
      gc();
      heapFull = process.memoryUsage().heapUsed;
    }
  }
  gc();
  const counters = emitter.counters();
  const capacity = 10_000;
  const maxBatchSize = 500;
  return {
    emits: stalledEmits,
    capacity,
    maxBatchSize,
    dropped: counters.dropped,
    expectedDropped: stalledEmits - capacity - maxBatchSize,
    queueDepth: counters.queueDepth,
    inFlight: counters.inFlight,
    heapStart,
    heapFull,
    heapEnd: process.memoryUsage().heapUsed,
    rssStart,
    rssEnd: process.memoryUsage().rss,
  };
}

const emits = await timeEmits();
const figures: EmitterFigures = {
  nsPerEmit: emits.median,
  nsPerEmitP99: emits.p99,
  emitCalls,
  flushUs: await timeFlushes(),
  threaded: await timeThreadedFlushes(),
  stalled: await fillStalled(),
};
process.stdout.write(`${JSON.stringify(figures)}\n`);
process.exit(0);

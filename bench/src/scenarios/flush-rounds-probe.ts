/**
 * The request thread's CPU of emitting and flushing clicks, compared between producers
 * that hand the work to an analytics thread and producers that do it here: shared by the
 * emitter probe and the Kafka forwarding probe.
 */
import { readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ClickEmitter,
  type ClickProducer,
  createThreadedAnalytics,
  type ThreadedAnalytics,
  type ThreadedAnalyticsOptions,
} from '@linkpulse/core';
import { mainThreadCpuTicksOf, pinThreads, TICKS_PER_SECOND } from '../proc.js';
import { median } from '../stats.js';
import { BENCH_SECRET, benchClick } from '../traffic/clicks.js';
import type { FlushCpu, FlushRounds } from './flush-rounds.js';

/** Flushes of each producer's warm-up round, which sizes its rounds. */
const WARMUP_FLUSHES = 200;

/** CPU time of this process's main thread so far, µs (10 ms resolution). */
const mainThreadCpuUs = (): number =>
  (mainThreadCpuTicksOf(process.pid) * 1_000_000) / TICKS_PER_SECOND;
const threadIds = (): number[] => readdirSync('/proc/self/task').map(Number);

/**
 * Starts an analytics thread and moves the threads it brought to the other core, as the
 * redirect scenario does with its servers' analytics threads (see `pinThreads`).
 */
export async function startPinnedThread<Data>(
  options: ThreadedAnalyticsOptions<Data>,
): Promise<ThreadedAnalytics> {
  const before = new Set(threadIds());
  const analytics = await createThreadedAnalytics(options);
  pinThreads(
    threadIds().filter((id) => !before.has(id)),
    'load',
  );
  return analytics;
}

/**
 * This (main) thread's CPU per 1,000 clicks emitted and flushed through each producer:
 * the emits, the flush and its settling, which waits until the producer took the batch
 * (for a Kafka producer, the brokers acknowledged it). Clicks from 100,000 client IPs, so
 * visitor ids are computed, not cached. Rounds of each producer alternate, the order
 * reversing from round to round, with `analytics`'s thread idle (nothing in its backlog)
 * at the start of each; a round runs as many flushes as take about `roundCpuMs` of CPU,
 * sized by a warm-up round, far above the 10 ms resolution of the `/proc` CPU times.
 */
export async function timeFlushRounds(
  analytics: ThreadedAnalytics,
  producers: readonly ClickProducer[],
  { rounds, roundCpuMs }: FlushRounds,
): Promise<FlushCpu[]> {
  const inputs = Array.from({ length: 100_000 }, (_, i) => benchClick(i));
  let next = 0;
  const variants = producers.map((transport) => ({
    emitter: new ClickEmitter({
      transport,
      secret: BENCH_SECRET,
      maxBatchSize: 1_000,
      flushIntervalMs: 1e9,
    }),
    flushes: 0,
    perRound: [] as number[],
    totalUs: 0,
  }));
  /** µs of this thread's CPU for `count` flushes of 1,000 clicks, the thread idle before. */
  const run = async (emitter: ClickEmitter, count: number): Promise<number> => {
    while (analytics.counters().backlog > 0) await sleep(1);
    const start = mainThreadCpuUs();
    for (let f = 0; f < count; f++) {
      for (let i = 0; i < 1_000; i++) emitter.emit(inputs[next++ % inputs.length]!);
      await emitter.flush();
    }
    return mainThreadCpuUs() - start;
  };
  // Warm-up, which also sizes the rounds (to within a tick of CPU).
  for (const variant of variants) {
    const us = Math.max(await run(variant.emitter, WARMUP_FLUSHES), 1e6 / TICKS_PER_SECOND);
    variant.flushes = Math.ceil((roundCpuMs * 1_000 * WARMUP_FLUSHES) / us);
  }
  for (let round = 0; round < rounds; round++) {
    for (const variant of round % 2 === 0 ? variants : [...variants].reverse()) {
      const us = await run(variant.emitter, variant.flushes);
      variant.perRound.push(us / variant.flushes);
      variant.totalUs += us;
    }
  }
  for (const { emitter } of variants) await emitter.close();
  return variants.map((variant) => ({
    us: median(variant.perRound),
    flushes: variant.flushes,
    totalCpuMs: variant.totalUs / 1_000,
  }));
}

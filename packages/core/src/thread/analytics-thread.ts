import { isMainThread, type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { createInProcessAnalytics, type InProcessAnalytics } from '../analytics.js';
import type { ClickEvent } from '../clicks/click-event.js';
import type { ClickSink } from '../sinks/click-sink.js';
import type { ClickProducer } from '../transport/transport.js';
import {
  type ClickWorkerOptions,
  type WorkerCounters,
  zeroWorkerCounters,
} from '../worker/click-worker.js';
import { type PackedBatch, unpackBatch } from './batch-codec.js';
import { ClickEventBuilder } from './clicks-codec.js';
import {
  type FromThread,
  THREAD_PROTOCOL,
  type ThreadInit,
  type ToThread,
  toWireError,
} from './protocol.js';

/** What the analytics thread runs, built by its module's {@link AnalyticsThreadSetup}. */
export interface AnalyticsThreadConfig {
  /** Sinks the thread's worker writes; closed when the thread closes. */
  sinks: readonly ClickSink[];
  /** Tuning of the thread's worker; its errors go to the main thread's `onError`. */
  worker?: Omit<ClickWorkerOptions, 'consumer' | 'sinks' | 'onError'>;
  /** Releases what the setup opened besides the sinks; called after the sinks are closed. */
  close?: () => void | Promise<void>;
}

/**
 * A thread that only ships clicks: it builds the events of the clicks it is sent and sends
 * them to `forward` (a Kafka or Redis Streams producer), so that neither visitor hashing
 * nor the transport's client runs on the thread serving requests. Workers elsewhere consume
 * the transport. A send on the main thread resolves once `forward.send` resolved, and
 * rejects (the emitter retries) when it rejected (or threw); a batch sent again keeps the
 * ids its events got the first time, so the sinks' dedupe by id holds (the thread keeps the
 * events of the 16 batches refused last: an emitter retries one batch at a time).
 */
export interface ForwardingThreadConfig {
  /** Where the events go; closed when the thread closes. */
  forward: ClickProducer;
  /** Releases what the setup opened besides `forward`; called after it is closed. */
  close?: () => void | Promise<void>;
}

/** What the setup of an analytics thread can do besides building its config. */
export interface AnalyticsThreadContext {
  /** Hands a problem to the main thread's `onError`, with `stage` as its context's stage. */
  reportError(error: unknown, stage: string): void;
}

/**
 * Builds the sinks (and worker options) of an analytics thread from the `data` given to
 * `createThreadedAnalytics`, which arrives structured-cloned. Throwing (or rejecting)
 * makes `createThreadedAnalytics` reject with the error.
 */
export type AnalyticsThreadSetup<Data = unknown> = (
  data: Data,
  context: AnalyticsThreadContext,
) =>
  | AnalyticsThreadConfig
  | ForwardingThreadConfig
  | Promise<AnalyticsThreadConfig | ForwardingThreadConfig>;

/**
 * The body of an analytics thread's module: call it once, at the top level of the module
 * named to `createThreadedAnalytics`. It runs `setup`, then a {@link MemoryTransport}
 * and {@link ClickWorker} over the sinks it returned: batches posted by the main thread
 * are accepted into the transport, progress (events handled, the worker's counters) is
 * reported back after every batch, and on close the transport is drained, the worker
 * stopped, the sinks closed and `close` called, after which the thread exits.
 *
 * ```ts
 * // clicks-thread.ts
 * import { runAnalyticsThread } from '@linkpulse/core';
 * import { SqliteSink } from '@linkpulse/sinks/sqlite';
 *
 * runAnalyticsThread((data: { dbPath: string }) => ({
 *   sinks: [new SqliteSink({ database: data.dbPath })],
 * }));
 * ```
 *
 * A setup that returns {@link ForwardingThreadConfig} (`forward`) runs no worker: the
 * thread builds the events of the clicks it is sent and sends them to that producer.
 *
 * Throws when not called in a thread started by `createThreadedAnalytics`.
 */
export function runAnalyticsThread<Data = unknown>(setup: AnalyticsThreadSetup<Data>): void {
  const init = workerData as Partial<ThreadInit> | null;
  if (isMainThread || parentPort === null || init?.protocol !== THREAD_PROTOCOL) {
    throw new Error('runAnalyticsThread must run in a thread started by createThreadedAnalytics');
  }
  const port = parentPort;
  const post = (message: FromThread): void => port.postMessage(message);
  const report = (error: unknown, stage: string): void =>
    post({ type: 'error', error: toWireError(error), context: { stage } });
  void start(port, post, report, async () => setup(init.data as Data, { reportError: report }));
}

function isPacked(events: PackedBatch | readonly ClickEvent[]): events is PackedBatch {
  return !Array.isArray(events);
}

/** Batches of clicks whose events are kept after a failed send, so a retry keeps their ids. */
const RETAINED_BATCHES = 16;

async function start(
  port: MessagePort,
  post: (message: FromThread) => void,
  report: AnalyticsThreadContext['reportError'],
  configure: () => Promise<AnalyticsThreadConfig | ForwardingThreadConfig>,
): Promise<void> {
  let pipeline: ThreadPipeline;
  try {
    const config = await configure();
    pipeline =
      'forward' in config ? forwardingPipeline(config, post) : await sinkPipeline(config, post);
  } catch (error) {
    post({ type: 'failed', error: toWireError(error) });
    return;
  }
  let builder: ClickEventBuilder | undefined;
  const retained = new Map<number, ClickEvent[]>();
  const onMessage = async (message: ToThread): Promise<void> => {
    if (message.type === 'close') {
      port.off('message', onMessage);
      await pipeline.close(message.timeoutMs, report);
      post({ type: 'closed', counters: pipeline.counters() });
      return;
    }
    if (message.type === 'clicks' && message.secret !== undefined) {
      builder = new ClickEventBuilder(message.secret);
    }
    let events: readonly ClickEvent[] = [];
    try {
      events = eventsOf(message, builder, retained);
      await pipeline.take(events);
      post({ type: 'accepted', seq: message.seq });
      pipeline.settled(events.length, true);
    } catch (error) {
      if (message.type === 'clicks' && events.length > 0) {
        if (retained.size >= RETAINED_BATCHES) retained.delete(retained.keys().next().value!);
        retained.set(message.key, events as ClickEvent[]);
      }
      post({ type: 'rejected', seq: message.seq, error: toWireError(error) });
      pipeline.settled(sizeOf(message), false);
    }
  };
  port.on('message', onMessage);
  post({ type: 'ready' });
}

/**
 * The events of a posted batch: unpacked, or built from clicks (those of a batch refused
 * before keep the events, and so the ids, they got then).
 */
function eventsOf(
  message: Extract<ToThread, { type: 'batch' | 'clicks' }>,
  builder: ClickEventBuilder | undefined,
  retained: Map<number, ClickEvent[]>,
): readonly ClickEvent[] {
  if (message.type === 'batch') {
    return isPacked(message.events) ? unpackBatch(message.events) : message.events;
  }
  const kept = retained.get(message.key);
  if (kept !== undefined) {
    retained.delete(message.key);
    return kept;
  }
  if (builder === undefined) throw new Error('clicks were sent without the visitor-id secret');
  return builder.build(message.clicks);
}

/** How many events the main thread counts in a posted batch. */
function sizeOf(message: Extract<ToThread, { type: 'batch' | 'clicks' }>): number {
  if (message.type === 'clicks') return message.clicks.times.length;
  return isPacked(message.events) ? message.events.ts.length : message.events.length;
}

/** What the thread does with the events it is posted. */
interface ThreadPipeline {
  /** Takes one batch: resolves once the main thread may count it accepted, rejects if not. */
  take(events: readonly ClickEvent[]): Promise<void>;
  /**
   * Told after the main thread was told the outcome of a batch of `count` events, so that
   * progress reaches it after the batch's answer.
   */
  settled(count: number, accepted: boolean): void;
  /** Drains for at most `timeoutMs`, then releases what the setup opened. */
  close(timeoutMs: number, report: AnalyticsThreadContext['reportError']): Promise<void>;
  /** The worker's counters (zero without a worker). */
  counters(): WorkerCounters;
}

/** The setup's `close`, its failure reported. */
async function closeSetup(
  config: { close?: () => void | Promise<void> },
  report: AnalyticsThreadContext['reportError'],
): Promise<void> {
  try {
    await config.close?.();
  } catch (error) {
    report(error, 'close');
  }
}

/** A memory transport feeding a worker that writes the sinks; progress after every batch. */
async function sinkPipeline(
  config: AnalyticsThreadConfig,
  post: (message: FromThread) => void,
): Promise<ThreadPipeline> {
  let handled = 0;
  const analytics: InProcessAnalytics = await createInProcessAnalytics({
    sinks: [...config.sinks],
    worker: {
      ...config.worker,
      onError: (error, context) => post({ type: 'error', error: toWireError(error), context }),
    },
    onBatch: (records, acknowledged) => {
      if (acknowledged) handled += records;
      post({ type: 'progress', handled, counters: analytics.worker.counters() });
    },
  });
  return {
    take: (events) => analytics.transport.send(events),
    settled(count, accepted) {
      // The worker reports what it handled; a batch the transport refused never reaches it.
      if (accepted) return;
      handled += count;
      post({ type: 'progress', handled, counters: analytics.worker.counters() });
    },
    async close(timeoutMs, report) {
      await analytics.close({ timeoutMs }).catch((error) => report(error, 'close'));
      await closeSetup(config, report);
    },
    counters: () => analytics.worker.counters(),
  };
}

/** Sends every batch to the setup's producer; progress once each send settled. */
function forwardingPipeline(
  config: ForwardingThreadConfig,
  post: (message: FromThread) => void,
): ThreadPipeline {
  const counters = zeroWorkerCounters();
  const sending = new Set<Promise<void>>();
  let handled = 0;
  return {
    take(events) {
      let send: Promise<void>;
      try {
        send = Promise.resolve(config.forward.send(events));
      } catch (error) {
        send = Promise.reject(error);
      }
      const settled: Promise<void> = send.then(
        () => {
          sending.delete(settled);
        },
        () => {
          sending.delete(settled);
        },
      );
      sending.add(settled);
      return send;
    },
    settled(count) {
      handled += count;
      post({ type: 'progress', handled, counters });
    },
    async close(timeoutMs, report) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled(sending),
        new Promise((resolve) => {
          timer = setTimeout(resolve, timeoutMs);
        }),
      ]);
      clearTimeout(timer);
      await config.forward.close().catch((error) => report(error, 'close'));
      await closeSetup(config, report);
    },
    counters: () => counters,
  };
}

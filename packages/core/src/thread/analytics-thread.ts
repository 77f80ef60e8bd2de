import { isMainThread, type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { createInProcessAnalytics, type InProcessAnalytics } from '../analytics.js';
import type { ClickEvent } from '../clicks/click-event.js';
import type { ClickSink } from '../sinks/click-sink.js';
import type { ClickWorkerOptions } from '../worker/click-worker.js';
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
) => AnalyticsThreadConfig | Promise<AnalyticsThreadConfig>;

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

async function start(
  port: MessagePort,
  post: (message: FromThread) => void,
  report: AnalyticsThreadContext['reportError'],
  configure: () => Promise<AnalyticsThreadConfig>,
): Promise<void> {
  let config: AnalyticsThreadConfig;
  let analytics: InProcessAnalytics;
  let handled = 0;
  try {
    config = await configure();
    analytics = await createInProcessAnalytics({
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
  } catch (error) {
    post({ type: 'failed', error: toWireError(error) });
    return;
  }
  let builder: ClickEventBuilder | undefined;
  const onMessage = async (message: ToThread): Promise<void> => {
    if (message.type === 'batch') {
      const { events } = message;
      await analytics.transport.send(isPacked(events) ? unpackBatch(events) : events);
      post({ type: 'accepted', seq: message.seq });
      return;
    }
    if (message.type === 'clicks') {
      if (message.secret !== undefined) builder = new ClickEventBuilder(message.secret);
      await analytics.transport.send(builder!.build(message.clicks));
      post({ type: 'accepted', seq: message.seq });
      return;
    }
    port.off('message', onMessage);
    await analytics
      .close({ timeoutMs: message.timeoutMs })
      .catch((error) => report(error, 'close'));
    try {
      await config.close?.();
    } catch (error) {
      report(error, 'close');
    }
    post({ type: 'closed', counters: analytics.worker.counters() });
  };
  port.on('message', onMessage);
  post({ type: 'ready' });
}

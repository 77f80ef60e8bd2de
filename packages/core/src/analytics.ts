import type { ClickSink } from './sinks/click-sink.js';
import { MemorySink } from './sinks/memory-sink.js';
import type { StatsReader } from './sinks/stats.js';
import { MemoryTransport } from './transport/memory-transport.js';
import type { ClickConsumer, ClickProducer } from './transport/transport.js';
import { ClickWorker, type ClickWorkerOptions } from './worker/click-worker.js';

/**
 * Where a shortener's clicks go and where its stats come from. The shortener closes it
 * after its emitter has drained.
 */
export interface Analytics {
  /** Receives the emitter's batches (a transport's producer side). */
  producer: ClickProducer;
  /** Answers `Shortener.stats`; without one, `stats()` throws `unavailable`. */
  stats?: StatsReader;
  /**
   * Stops whatever runs in-process (workers, after they finished what is queued, for at
   * most `timeoutMs`) and releases transports and sinks.
   */
  close(options?: { timeoutMs?: number }): Promise<void>;
}

/** Options of {@link createInProcessAnalytics}. */
export interface InProcessAnalyticsOptions {
  /** Sinks the embedded worker writes; default one {@link MemorySink}. */
  sinks?: ClickSink[];
  /** Stats source; default the first sink when it is also a {@link StatsReader}. */
  stats?: StatsReader;
  /**
   * Tuning of the embedded worker (retries, concurrency, dead letters, enrichment).
   * `dedupeWindow` defaults to 0 here: the memory transport delivers a batch again only
   * when its write failed, and the worker forgets the ids of a failed write anyway.
   */
  worker?: Omit<ClickWorkerOptions, 'consumer' | 'sinks'>;
  /**
   * Told after every batch the worker finished with: how many records it held and whether
   * it was acknowledged (a failed one is delivered again). For publishing progress, e.g.
   * the worker's counters; what it throws is ignored.
   */
  onBatch?: (records: number, acknowledged: boolean) => void;
}

/** {@link Analytics} running in this process, with its parts exposed for metrics and tests. */
export interface InProcessAnalytics extends Analytics {
  transport: MemoryTransport;
  worker: ClickWorker;
  sinks: readonly ClickSink[];
}

/** `transport` as the worker's consumer, telling `onBatch` how each batch ended. */
function observed(
  transport: MemoryTransport,
  onBatch: InProcessAnalyticsOptions['onBatch'],
): ClickConsumer {
  if (onBatch === undefined) return transport;
  return {
    consume: (handler, consumeOptions) =>
      transport.consume(async (batch) => {
        let acknowledged = false;
        try {
          await handler(batch);
          acknowledged = true;
        } finally {
          try {
            onBatch(batch.records.length, acknowledged);
          } catch {
            // A throwing callback must not turn a written batch into a redelivered one.
          }
        }
      }, consumeOptions),
  };
}

function isStatsReader(value: ClickSink): value is ClickSink & StatsReader {
  return typeof (value as Partial<StatsReader>).stats === 'function';
}

/**
 * The one-process pipeline: a {@link MemoryTransport} feeding a {@link ClickWorker} that
 * enriches clicks and writes the sinks, all in this process. Closing it lets the worker
 * finish what the transport holds, then closes the sinks.
 */
export async function createInProcessAnalytics(
  options: InProcessAnalyticsOptions = {},
): Promise<InProcessAnalytics> {
  const sinks = options.sinks ?? [new MemorySink()];
  const stats = options.stats ?? sinks.find(isStatsReader);
  const transport = new MemoryTransport();
  const worker = new ClickWorker({
    dedupeWindow: 0,
    ...options.worker,
    consumer: observed(transport, options.onBatch),
    sinks,
  });
  await worker.start();
  return {
    producer: transport,
    stats,
    transport,
    worker,
    sinks,
    async close(closeOptions) {
      await transport.drain({ timeoutMs: closeOptions?.timeoutMs ?? 5_000 });
      await worker.stop();
      await transport.close();
      await Promise.all(sinks.map((sink) => sink.close()));
    },
  };
}

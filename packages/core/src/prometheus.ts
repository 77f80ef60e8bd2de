/**
 * Prometheus bindings of LinkPulse's counters, through `prom-client` (an optional peer
 * dependency of `@linkpulse/core`).
 * @module @linkpulse/core/prometheus
 */

import { Counter, Gauge, Histogram, type Registry, register } from 'prom-client';
import type { EmitterCounters } from './emitter/click-emitter.js';
import type { ClickSink } from './sinks/click-sink.js';
import type { ClickConsumer } from './transport/transport.js';
import type { WorkerCounters } from './worker/click-worker.js';

/** Where and under which prefix metrics are registered. */
export interface MetricsOptions {
  /** Default prom-client's global registry. */
  registry?: Registry;
  /** Prepended to every metric name. Default `linkpulse_`. */
  prefix?: string;
}

/** How one field of a counters object is exposed. */
export interface CounterMetric<K extends string> {
  /** Field of the counters object. */
  key: K;
  /** Metric name, without the prefix. */
  name: string;
  help: string;
  /** `counter` for totals that only grow, `gauge` for levels. */
  type: 'counter' | 'gauge';
}

/** Metrics registered by {@link bindCounters}. */
export interface MetricsBinding {
  /** Removes the metrics from the registry (e.g. before binding a new instance). */
  unregister(): void;
}

/** One labelled source of counters for {@link bindLabelledCounters}. */
export interface LabelledCounters<K extends string> {
  /** Labels of this source's series. All sources of one binding use the same label names. */
  labels: Readonly<Record<string, string>>;
  /** Reads the counters, at scrape time. */
  read: () => Readonly<Record<K, number>>;
}

/**
 * Exposes a synchronous counters function as Prometheus metrics, read at scrape time
 * (nothing is recorded between scrapes). Works for any LinkPulse component with
 * `counters()`, given the fields to expose.
 */
export function bindCounters<K extends string>(
  read: () => Readonly<Record<K, number>>,
  metrics: readonly CounterMetric<K>[],
  options: MetricsOptions = {},
): MetricsBinding {
  return bindLabelledCounters([{ labels: {}, read }], metrics, options);
}

/**
 * {@link bindCounters} for several instances of a component in one process (say, two
 * workers in different consumer groups): each metric gets one series per source, told
 * apart by the source's labels. Throws `TypeError` when the sources' label names differ.
 */
export function bindLabelledCounters<K extends string>(
  sources: readonly LabelledCounters<K>[],
  metrics: readonly CounterMetric<K>[],
  options: MetricsOptions = {},
): MetricsBinding {
  const registry = options.registry ?? register;
  const prefix = options.prefix ?? 'linkpulse_';
  const labelNames = Object.keys(sources[0]?.labels ?? {}).sort();
  for (const { labels } of sources) {
    if (Object.keys(labels).sort().join() !== labelNames.join()) {
      throw new TypeError(`every source needs the labels [${labelNames.join(', ')}]`);
    }
  }
  const names: string[] = [];
  for (const { key, name, help, type } of metrics) {
    const fullName = prefix + name;
    const settings = { name: fullName, help, labelNames, registers: [registry] };
    if (type === 'counter') {
      new Counter({
        ...settings,
        collect() {
          this.reset();
          for (const source of sources) this.inc({ ...source.labels }, source.read()[key]);
        },
      });
    } else {
      new Gauge({
        ...settings,
        collect() {
          for (const source of sources) this.set({ ...source.labels }, source.read()[key]);
        },
      });
    }
    names.push(fullName);
  }
  return {
    unregister() {
      for (const name of names) registry.removeSingleMetric(name);
    },
  };
}

/** The metrics of {@link registerEmitterMetrics}. */
export const EMITTER_METRICS: readonly CounterMetric<keyof EmitterCounters>[] = [
  {
    key: 'queueDepth',
    name: 'emitter_queue_depth',
    help: 'Clicks buffered by the emitter, not yet in a batch.',
    type: 'gauge',
  },
  {
    key: 'inFlight',
    name: 'emitter_in_flight',
    help: 'Clicks in the batch being sent or waiting to be retried.',
    type: 'gauge',
  },
  {
    key: 'emitted',
    name: 'emitter_events_emitted_total',
    help: 'Clicks handed to the emitter.',
    type: 'counter',
  },
  {
    key: 'dropped',
    name: 'emitter_events_dropped_total',
    help: 'Clicks the emitter gave up on (buffer full, malformed, emitted after close, close timeout).',
    type: 'counter',
  },
  {
    key: 'sent',
    name: 'emitter_events_sent_total',
    help: 'Clicks the transport accepted.',
    type: 'counter',
  },
  {
    key: 'failedSends',
    name: 'emitter_send_failures_total',
    help: 'Batch sends that failed or timed out (each is retried).',
    type: 'counter',
  },
];

/**
 * Registers the emitter's counters (`linkpulse_emitter_queue_depth`,
 * `…_events_emitted_total`, `…_events_dropped_total`, `…_events_sent_total`,
 * `…_send_failures_total`, `…_in_flight`), read from `emitter.counters()` at scrape time.
 */
export function registerEmitterMetrics(
  emitter: { counters(): EmitterCounters },
  options: MetricsOptions = {},
): MetricsBinding {
  return bindCounters(() => emitter.counters(), EMITTER_METRICS, options);
}

/** The metrics of {@link registerWorkerMetrics}. */
export const WORKER_METRICS: readonly CounterMetric<keyof WorkerCounters>[] = [
  {
    key: 'batches',
    name: 'worker_batches_total',
    help: 'Batches handled and acknowledged.',
    type: 'counter',
  },
  {
    key: 'failedBatches',
    name: 'worker_failed_batches_total',
    help: 'Batches that failed and are redelivered.',
    type: 'counter',
  },
  {
    key: 'events',
    name: 'worker_events_total',
    help: 'Click records received by the worker.',
    type: 'counter',
  },
  {
    key: 'written',
    name: 'worker_events_written_total',
    help: 'Clicks written to every sink.',
    type: 'counter',
  },
  {
    key: 'duplicates',
    name: 'worker_duplicates_total',
    help: 'Redelivered clicks skipped.',
    type: 'counter',
  },
  {
    key: 'deadLettered',
    name: 'worker_dead_lettered_total',
    help: 'Malformed click records, dead-lettered or dropped.',
    type: 'counter',
  },
  {
    key: 'sinkErrors',
    name: 'worker_sink_errors_total',
    help: 'Failed sink write attempts, retries included.',
    type: 'counter',
  },
];

/** A worker with the labels of its series, for {@link registerWorkerMetrics}. */
export interface LabelledWorker {
  /** E.g. `{ group: 'linkpulse-workers' }`; every worker of one call uses the same names. */
  labels: Readonly<Record<string, string>>;
  worker: { counters(): WorkerCounters };
}

/**
 * Registers a worker's counters ({@link WORKER_METRICS}: `linkpulse_worker_batches_total`,
 * `…_events_total`, `…_events_written_total`, `…_duplicates_total`,
 * `…_dead_lettered_total`, `…_failed_batches_total`, `…_sink_errors_total`), read from
 * `counters()` at scrape time. Pass a list of labelled workers when one process runs
 * several (one series per worker).
 */
export function registerWorkerMetrics(
  workers: { counters(): WorkerCounters } | readonly LabelledWorker[],
  options: MetricsOptions = {},
): MetricsBinding {
  const sources = isWorkerList(workers)
    ? workers.map(({ labels, worker }) => ({ labels, read: () => worker.counters() }))
    : [{ labels: {}, read: () => workers.counters() }];
  return bindLabelledCounters(sources, WORKER_METRICS, options);
}

function isWorkerList(
  workers: { counters(): WorkerCounters } | readonly LabelledWorker[],
): workers is readonly LabelledWorker[] {
  return Array.isArray(workers);
}

/** Bucket bounds in seconds of the latency histograms: 0.5 ms to 10 s. */
export const LATENCY_BUCKETS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** Options of the histogram helpers. */
export interface HistogramOptions extends MetricsOptions {
  /** Bucket upper bounds in seconds. Default {@link LATENCY_BUCKETS}. */
  buckets?: readonly number[];
}

/** Records redirects; made by {@link registerRedirectMetrics}. */
export interface RedirectObserver {
  /** Records one redirect request that took `seconds` and answered `status`. */
  observe(seconds: number, status: number): void;
}

/**
 * Registers `linkpulse_redirect_duration_seconds`, a histogram of redirect requests by
 * HTTP status (its `_count` is the redirect rate). The caller times the requests, e.g. in
 * its framework's response hook, and calls `observe` for the redirect route only.
 */
export function registerRedirectMetrics(options: HistogramOptions = {}): RedirectObserver {
  const histogram = new Histogram({
    name: `${options.prefix ?? 'linkpulse_'}redirect_duration_seconds`,
    help: 'Time from request to response of redirect requests, by HTTP status.',
    labelNames: ['status'],
    buckets: [...(options.buckets ?? LATENCY_BUCKETS)],
    registers: [options.registry ?? register],
  });
  return {
    observe(seconds, status) {
      histogram.observe({ status: String(status) }, seconds);
    },
  };
}

/** Wraps a worker's consumer and sinks to time them; made by {@link createPipelineMetrics}. */
export interface PipelineMetrics {
  /**
   * The consumer, with every batch handler call timed into
   * `linkpulse_worker_batch_duration_seconds{group, outcome}` (`outcome`: `ok` or
   * `failed`) and its records counted in `linkpulse_worker_batch_records`.
   */
  consumer(consumer: ClickConsumer): ClickConsumer;
  /**
   * The sink, with every write attempt timed into
   * `linkpulse_sink_write_duration_seconds{sink, outcome}`, failed attempts counted in
   * `linkpulse_sink_write_errors_total{sink}` and the events of successful writes in
   * `linkpulse_sink_events_written_total{sink}`, all labelled `sink: name`.
   */
  sink(sink: ClickSink, name: string): ClickSink;
}

/**
 * Creates the batch and sink metrics of a worker process once, for any number of
 * consumers and sinks to be wrapped with them. Counters start at zero for each sink as
 * soon as it is wrapped.
 */
export function createPipelineMetrics(options: HistogramOptions = {}): PipelineMetrics {
  const prefix = options.prefix ?? 'linkpulse_';
  const registers = [options.registry ?? register];
  const buckets = [...(options.buckets ?? LATENCY_BUCKETS)];
  const batchDuration = new Histogram({
    name: `${prefix}worker_batch_duration_seconds`,
    help: 'Time to handle one batch (decode, enrich, write every sink), by consumer group and outcome.',
    labelNames: ['group', 'outcome'],
    buckets,
    registers,
  });
  const batchRecords = new Histogram({
    name: `${prefix}worker_batch_records`,
    help: 'Records per batch handed to the worker, by consumer group.',
    labelNames: ['group'],
    buckets: [1, 10, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000],
    registers,
  });
  const writeDuration = new Histogram({
    name: `${prefix}sink_write_duration_seconds`,
    help: 'Time of one sink write attempt, by sink and outcome.',
    labelNames: ['sink', 'outcome'],
    buckets,
    registers,
  });
  const writeErrors = new Counter({
    name: `${prefix}sink_write_errors_total`,
    help: 'Sink write attempts that failed (each is retried or fails the batch).',
    labelNames: ['sink'],
    registers,
  });
  const eventsWritten = new Counter({
    name: `${prefix}sink_events_written_total`,
    help: 'Events in successful sink writes (a sink may still skip ones it already holds).',
    labelNames: ['sink'],
    registers,
  });

  return {
    consumer: (consumer) => ({
      consume: (handler, consumeOptions) =>
        consumer.consume(async (batch) => {
          const group = consumeOptions.group;
          batchRecords.observe({ group }, batch.records.length);
          const stop = batchDuration.startTimer({ group });
          try {
            await handler(batch);
            stop({ outcome: 'ok' });
          } catch (error) {
            stop({ outcome: 'failed' });
            throw error;
          }
        }, consumeOptions),
      // The worker's early write needs the bound of the consumer it wraps.
      ...(consumer.concurrentBatches === undefined
        ? {}
        : { concurrentBatches: consumer.concurrentBatches }),
    }),
    sink(sink, name) {
      writeErrors.inc({ sink: name }, 0);
      eventsWritten.inc({ sink: name }, 0);
      return {
        async write(batch) {
          const stop = writeDuration.startTimer({ sink: name });
          try {
            await sink.write(batch);
          } catch (error) {
            stop({ outcome: 'failed' });
            writeErrors.inc({ sink: name });
            throw error;
          }
          stop({ outcome: 'ok' });
          eventsWritten.inc({ sink: name }, batch.length);
        },
        close: () => sink.close(),
      };
    },
  };
}

/** How far a consumer group is behind on one partition. */
export interface PartitionLag {
  group: string;
  topic: string;
  partition: number;
  /** Records between the group's committed offset and the end of the partition. */
  lag: number;
}

/** Options of {@link registerConsumerLag}. */
export interface ConsumerLagOptions extends MetricsOptions {
  /** Told when reading the lag failed; the scrape then shows no lag series. */
  onError?: (error: unknown) => void;
}

/**
 * Registers `linkpulse_consumer_lag{group, topic, partition}`, read with `read` at scrape
 * time (e.g. committed offsets against high watermarks from the broker's admin API). A
 * failing read never fails the scrape: the gauge is then empty, which an alert on
 * `absent(linkpulse_consumer_lag)` catches.
 */
export function registerConsumerLag(
  read: () => Promise<readonly PartitionLag[]>,
  options: ConsumerLagOptions = {},
): MetricsBinding {
  const registry = options.registry ?? register;
  const name = `${options.prefix ?? 'linkpulse_'}consumer_lag`;
  new Gauge({
    name,
    help: 'Records a consumer group has yet to handle, per partition.',
    labelNames: ['group', 'topic', 'partition'],
    registers: [registry],
    async collect() {
      let lags: readonly PartitionLag[] = [];
      try {
        lags = await read();
      } catch (error) {
        options.onError?.(error);
      }
      this.reset();
      for (const { group, topic, partition, lag } of lags) {
        this.set({ group, topic, partition: String(partition) }, lag);
      }
    },
  });
  return {
    unregister() {
      registry.removeSingleMetric(name);
    },
  };
}

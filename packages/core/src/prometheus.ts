/**
 * Prometheus bindings of LinkPulse's counters, through `prom-client` (an optional peer
 * dependency of `@linkpulse/core`).
 * @module @linkpulse/core/prometheus
 */

import { Counter, Gauge, type Registry, register } from 'prom-client';
import type { EmitterCounters } from './emitter/click-emitter.js';

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
  const registry = options.registry ?? register;
  const prefix = options.prefix ?? 'linkpulse_';
  const names: string[] = [];
  for (const { key, name, help, type } of metrics) {
    const fullName = prefix + name;
    const settings = { name: fullName, help, registers: [registry] };
    if (type === 'counter') {
      new Counter({
        ...settings,
        collect() {
          this.reset();
          this.inc(read()[key]);
        },
      });
    } else {
      new Gauge({
        ...settings,
        collect() {
          this.set(read()[key]);
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

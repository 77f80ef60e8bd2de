import { bindCounters, registerEmitterMetrics } from '@linkpulse/core/prometheus';
import type { EmbeddedShortener } from '@linkpulse/embedded';
import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * A Prometheus registry with the process metrics, the click emitter's counters and the
 * in-process worker's counters, all read at scrape time.
 */
export function createMetrics(shortener: EmbeddedShortener): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  registerEmitterMetrics(shortener.emitter, { registry });
  const { worker } = shortener.analytics;
  bindCounters(
    () => worker.counters(),
    [
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
        help: 'Malformed click records.',
        type: 'counter',
      },
      {
        key: 'failedBatches',
        name: 'worker_failed_batches_total',
        help: 'Batches that failed and are redelivered.',
        type: 'counter',
      },
    ],
    { registry },
  );
  return registry;
}

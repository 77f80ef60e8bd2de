import { registerEmitterMetrics, registerWorkerMetrics } from '@linkpulse/core/prometheus';
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
  registerWorkerMetrics(shortener.analytics.worker, { registry });
  return registry;
}

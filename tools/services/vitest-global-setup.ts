import type { TestProject } from 'vitest/node';
import { startServices } from './services.js';
import type {} from './test-services.js';

/**
 * Vitest global setup: starts the harness services once per run (or takes `REDIS_URL`,
 * `KAFKA_BROKERS`, `CLICKHOUSE_URL` from the environment) and hands their URLs to tests, which read them
 * with `requireService` from `tools/services/test-services.ts`.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const services = await startServices({ reuseEnv: true });
  for (const [name, status] of Object.entries(services.status)) {
    if (status.error) console.warn(`[services] ${name} unavailable: ${status.error}`);
  }
  project.provide('linkpulseServices', services.status);
  return () => services.stop();
}

import { inject } from 'vitest';
import type { ServiceName, ServiceStatus } from './services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** What `tools/services/vitest-global-setup.ts` started or found in the environment. */
    linkpulseServices: Partial<Record<ServiceName, ServiceStatus>>;
  }
}

/**
 * The URL (or broker list) of a service started by the global setup. When the service is
 * missing: under `CI=true` this throws, so the test file fails loudly; elsewhere it
 * prints a SKIP banner and returns `undefined` — use it with `describe.skipIf(!url)`.
 */
export function requireService(name: ServiceName): string | undefined {
  const status = inject('linkpulseServices')?.[name];
  if (status?.value) return status.value;
  return missingService(
    name,
    status?.error ?? 'not started (is tools/services/vitest-global-setup.ts wired in?)',
  );
}

/**
 * What {@link requireService} does for a missing service, for things a test needs that
 * the global setup does not start (say, the nginx binary): throws under `CI=true`,
 * otherwise prints a SKIP banner and returns `undefined`.
 */
export function missingService(name: string, reason: string): undefined {
  if (process.env.CI === 'true') {
    throw new Error(`service ${name} is required under CI=true but unavailable: ${reason}`);
  }
  console.warn(
    `\n${'!'.repeat(72)}\n!! SKIP: ${name} unavailable, its tests are skipped: ${reason}\n${'!'.repeat(72)}\n`,
  );
  return undefined;
}

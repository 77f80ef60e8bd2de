import { startClickHouse } from './clickhouse.js';
import { startKafkaMock } from './kafka.js';
import { startRedis } from './redis.js';

/** A service started for development or a test run. */
export interface RunningService {
  /** What clients connect to: a URL or a broker list. */
  value: string;
  stop(): Promise<void>;
}

/** One service the harness knows how to start. */
export interface ServiceDefinition {
  /** Short name used by `requireService` and on the command line. */
  name: string;
  /** Environment variable that carries {@link RunningService.value} (and, when set, replaces starting one). */
  envVar: string;
  start(): Promise<RunningService>;
}

/** Every service of the harness. Adding a service is one line here. */
export const SERVICES = [
  {
    name: 'redis',
    envVar: 'REDIS_URL',
    start: () => startRedis().then((redis) => ({ value: redis.url, stop: redis.stop })),
  },
  {
    name: 'kafka',
    envVar: 'KAFKA_BROKERS',
    start: () =>
      startKafkaMock().then((kafka) => ({ value: kafka.brokers.join(','), stop: kafka.stop })),
  },
  {
    name: 'clickhouse',
    envVar: 'CLICKHOUSE_URL',
    start: () =>
      startClickHouse().then((clickhouse) => ({ value: clickhouse.url, stop: clickhouse.stop })),
  },
] as const satisfies readonly ServiceDefinition[];

/** Names of the services in {@link SERVICES}. */
export type ServiceName = (typeof SERVICES)[number]['name'];

/** Where a service came from, or why it is missing. */
export interface ServiceStatus {
  /** The URL / broker list, when the service is available. */
  value?: string;
  /** `env` when taken from the environment, `started` when started here. */
  source?: 'env' | 'started';
  /** Why the service is unavailable. */
  error?: string;
}

/** The outcome of {@link startServices}. */
export interface StartedServices {
  status: Record<ServiceName, ServiceStatus>;
  /** Stops the services started here (not those taken from the environment). */
  stop(): Promise<void>;
}

/** Options of {@link startServices}. */
export interface StartServicesOptions {
  /** Use `REDIS_URL`, `KAFKA_BROKERS`, … when set instead of starting the service. */
  reuseEnv: boolean;
  /** Give up on a service that has not started after this long (default 60 s). */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * Starts every service in parallel. A service that fails or does not start in time is
 * reported in `status[name].error`; the others still run.
 */
export async function startServices(options: StartServicesOptions): Promise<StartedServices> {
  const running: RunningService[] = [];
  const entries = await Promise.all(
    SERVICES.map(async (service): Promise<[ServiceName, ServiceStatus]> => {
      const fromEnv = options.reuseEnv ? process.env[service.envVar] : undefined;
      if (fromEnv) return [service.name, { value: fromEnv, source: 'env' }];
      try {
        const started = await withTimeout(service.start(), options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
        running.push(started);
        return [service.name, { value: started.value, source: 'started' }];
      } catch (error) {
        return [service.name, { error: error instanceof Error ? error.message : String(error) }];
      }
    }),
  );
  return {
    status: Object.fromEntries(entries) as Record<ServiceName, ServiceStatus>,
    stop: async () => {
      await Promise.allSettled(running.map((service) => service.stop()));
    },
  };
}

/** Rejects after `ms`; a service that starts later anyway is stopped right away. */
function withTimeout(start: Promise<RunningService>, ms: number): Promise<RunningService> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`did not start within ${ms} ms`));
      start.then((late) => late.stop()).catch(() => {});
    }, ms);
    start.then(
      (service) => {
        clearTimeout(timer);
        resolve(service);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

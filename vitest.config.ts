import { defineConfig } from 'vitest/config';

// Tests import workspace packages through their `source` export condition, so they run
// against the TypeScript sources without a build.
export default defineConfig({
  resolve: { conditions: ['@linkpulse/source'] },
  ssr: { resolve: { conditions: ['@linkpulse/source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 20_000,
    hookTimeout: 60_000,
    // Starts Redis, the Kafka-protocol broker and ClickHouse over HTTP unless REDIS_URL /
    // KAFKA_BROKERS / CLICKHOUSE_URL are set.
    globalSetup: ['tools/services/vitest-global-setup.ts'],
  },
});

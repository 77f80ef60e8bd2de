/** Connections to Redis and ClickHouse, with the settings this deployment runs with. */
import { type ClickHouseClient, createClient } from '@clickhouse/client';
import { FAIL_FAST_REDIS_OPTIONS } from '@linkpulse/stores/redis';
import { Redis } from 'ioredis';

/**
 * A Redis connection that fails fast while Redis is down (no offline queue, 1 s command
 * timeout): redirects of cached links go on, others answer 503 at once, worker batches
 * fail and are redelivered. Resolves once connected; rejects when Redis is unreachable.
 */
export async function connectRedis(url: string, connectionName: string): Promise<Redis> {
  const redis = new Redis(url, { ...FAIL_FAST_REDIS_OPTIONS, lazyConnect: true, connectionName });
  await redis.connect();
  return redis;
}

type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>;

/**
 * A ClickHouse client: over HTTP to `url` with the settings the sink's README recommends,
 * or, given `chdbPath`, through in-process chDB on that data directory (one process per
 * directory; chdb is a development dependency, loaded only here).
 */
export async function openClickHouse(
  target: { url: string } | { chdbPath: string },
): Promise<ClickHouseClient> {
  if ('url' in target) {
    return createClient({
      url: target.url,
      keep_alive: { enabled: true, idle_socket_ttl: 2_500 },
      compression: { request: true, response: true },
      request_timeout: 30_000,
      max_open_connections: 10,
    });
  }
  const { createChdbConnection } = await import('chdb/connection');
  // chdb types its connection against its own copy of @clickhouse/client-common.
  const connection = createChdbConnection({
    path: target.chdbPath,
  }) as unknown as ClientConnection;
  return createClient({ connection });
}

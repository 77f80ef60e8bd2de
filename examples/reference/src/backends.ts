/** Connections to Redis and ClickHouse, with the settings this deployment runs with. */
import { type ClickHouseClient, createClient } from '@clickhouse/client';
import { FAIL_FAST_REDIS_OPTIONS, type RedisClient } from '@linkpulse/stores/redis';
import { Cluster, Redis } from 'ioredis';
import type { RedisTarget } from './config.js';

/**
 * A Redis client that fails fast while Redis is down (no offline queue, 1 s command
 * timeout): redirects of cached links go on, others answer 503 at once, worker batches
 * fail and are redelivered. A `Redis` connection for a URL, a `Cluster` for cluster
 * nodes. Resolves once connected (a Cluster: once it has the slot map and reports
 * `cluster_state:ok`); rejects when Redis is unreachable.
 */
export async function connectRedis(
  target: RedisTarget,
  connectionName: string,
): Promise<RedisClient> {
  // A Cluster takes the offline-queue option itself; its node connections take the rest.
  const { enableOfflineQueue, ...nodeOptions } = FAIL_FAST_REDIS_OPTIONS;
  const redis =
    'url' in target
      ? new Redis(target.url, { ...FAIL_FAST_REDIS_OPTIONS, lazyConnect: true, connectionName })
      : new Cluster(target.clusterNodes, {
          enableOfflineQueue,
          lazyConnect: true,
          redisOptions: { ...nodeOptions, connectionName, password: target.password },
        });
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect(); // no reconnecting in the background
    throw error;
  }
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

import type { Cluster, Redis, RedisOptions } from 'ioredis';

/** An ioredis client: a `Redis` connection or a `Cluster` (see the prefix note of each driver). */
export type RedisClient = Redis | Cluster;

/**
 * ioredis options that make a link store fail fast while Redis is down, so the resolver
 * answers from its cache or with `unavailable` (503) instead of hanging:
 * no offline queue (a command fails at once when there is no connection, rather than
 * waiting for a reconnect), one retry per request, and a 1 s command timeout.
 *
 * Without the offline queue, commands fail until the first connection is up: wait for
 * the client's `ready` event (or `await redis.connect()` with `lazyConnect`) at startup.
 *
 * @example
 * ```ts
 * const redis = new Redis(process.env.REDIS_URL!, { ...FAIL_FAST_REDIS_OPTIONS, lazyConnect: true });
 * await redis.connect();
 * ```
 */
export const FAIL_FAST_REDIS_OPTIONS = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  commandTimeout: 1_000,
} as const satisfies Partial<RedisOptions>;

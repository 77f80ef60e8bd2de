import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe } from 'vitest';
import { requireService } from '../../../tools/services/test-services.js';
import { describeRedisCounterSink } from './redis-counter-sink-suite.js';

const url = requireService('redis');

describe.skipIf(!url)('RedisCounterSink on a single server', () => {
  let redis: Redis;
  let prefixed: Redis;
  beforeAll(() => {
    redis = new Redis(url!);
    prefixed = new Redis(url!, { keyPrefix: 'kp:' });
  });
  afterAll(() => {
    redis.disconnect();
    prefixed.disconnect();
  });

  describeRedisCounterSink('RedisCounterSink', () => redis, { partialWrites: false });
  // ioredis puts keyPrefix before the keys of commands, not before those a script builds.
  describeRedisCounterSink('RedisCounterSink on a client with a keyPrefix', () => prefixed, {
    partialWrites: false,
  });
});

import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe } from 'vitest';
import { requireService } from '../../../tools/services/test-services.js';
import { describeRedisCounterSink } from './redis-counter-sink-suite.js';

const url = requireService('redis');

describe.skipIf(!url)('RedisCounterSink on a single server', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(url!);
  });
  afterAll(() => {
    redis.disconnect();
  });

  describeRedisCounterSink('RedisCounterSink', () => redis, { partialWrites: false });
});

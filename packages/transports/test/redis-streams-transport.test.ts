import { randomUUID } from 'node:crypto';
import { describeTransport } from '@linkpulse/core/testing';
import { RedisStreamsTransport } from '@linkpulse/transports/redis';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe } from 'vitest';
import { requireService } from '../../../tools/services/test-services.js';

const url = requireService('redis');

describe.skipIf(!url)('RedisStreamsTransport', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(url!);
  });
  afterAll(() => {
    redis.disconnect();
  });

  describeTransport('RedisStreamsTransport', async () => {
    const stream = `t:${randomUUID()}`;
    return {
      transport: new RedisStreamsTransport({ redis, stream, blockMs: 100, retryDelayMs: 20 }),
      cleanup: async () => {
        await redis.del(stream);
      },
    };
  });
});

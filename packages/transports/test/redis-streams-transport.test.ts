import { randomUUID } from 'node:crypto';
import { RedisStreamsTransport } from '@linkpulse/transports/redis';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { startRedis } from '../../../tools/services/redis.js';
import { requireService } from '../../../tools/services/test-services.js';
import { describeRedisStreamsTransport, events, idsOf } from './redis-streams-suite.js';

const url = requireService('redis');

describe.skipIf(!url)('RedisStreamsTransport on a single server', () => {
  describeRedisStreamsTransport(
    'RedisStreamsTransport',
    (options = {}) => new Redis(url!, options),
  );

  it('takes a dead-letter stream in any hash slot on a single server', () => {
    const redis = new Redis(url!, { lazyConnect: true });
    const transport = new RedisStreamsTransport({
      redis,
      stream: 'clicks',
      deadLetterStream: 'clicks.dlq',
    });
    expect(transport.deadLetterStream).toBe('clicks.dlq');
    redis.disconnect();
  });

  it('refuses a client with a keyPrefix, whose stream and group would be on different keys', () => {
    const redis = new Redis(url!, { lazyConnect: true, keyPrefix: 'app:' });
    expect(() => new RedisStreamsTransport({ redis })).toThrow(/keyPrefix/);
    redis.disconnect();
  });

  it('keeps consuming across a Redis restart, losing nothing acknowledged', async () => {
    const server = await startRedis({ appendonly: true });
    const own = new Redis(server.url, { maxRetriesPerRequest: null, retryStrategy: () => 50 });
    const transport = new RedisStreamsTransport({
      redis: own,
      stream: `t:${randomUUID()}`,
      blockMs: 50,
    });
    try {
      const received = new Set<string>();
      await transport.consume(
        async (batch) => {
          for (const id of idsOf(batch)) received.add(id);
        },
        { group: 'g' },
      );
      await transport.send(events(10, 'before'));
      await expect.poll(() => received.size, { timeout: 5_000 }).toBe(10);

      await server.kill();
      await server.restart();
      await transport.send(events(10, 'after'));
      await expect.poll(() => received.size, { timeout: 10_000 }).toBe(20);
    } finally {
      await transport.close();
      own.disconnect();
      await server.stop();
    }
  });
});

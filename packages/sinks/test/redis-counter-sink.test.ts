import { randomUUID } from 'node:crypto';
import { describeClickSink, makeClick } from '@linkpulse/core/testing';
import { RedisCounterSink } from '@linkpulse/sinks/redis';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireService } from '../../../tools/services/test-services.js';

const url = requireService('redis');

describe.skipIf(!url)('RedisCounterSink', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(url!);
  });
  afterAll(() => {
    redis.disconnect();
  });

  // The suite's fixtures are from 2024: keep buckets for a century. Unique visitors are
  // HyperLogLog estimates (0.81 % standard error): allow 3 %.
  describeClickSink(
    'RedisCounterSink',
    async () => {
      const prefix = `t:${randomUUID()}:`;
      const sink = new RedisCounterSink({ redis, prefix, hourlyTtlDays: 36_500 });
      return { sink, reader: sink };
    },
    { uniqueRelativeError: 0.03 },
  );

  const HOUR = 3_600_000;
  const range = (from: number, to: number, interval: 'hour' | 'day' = 'hour') => ({
    from: new Date(from),
    to: new Date(to),
    interval,
    top: 10,
  });

  it('reads top lists of hours within partly covered days from the hourly keys', async () => {
    const sink = new RedisCounterSink({
      redis,
      prefix: `t:${randomUUID()}:`,
      hourlyTtlDays: 36_500,
    });
    const midnight = Date.UTC(2024, 4, 2);
    await sink.write([
      makeClick({ code: 'x', ts: midnight - 3 * HOUR, refererHost: 'early.example' }),
      makeClick({ code: 'x', ts: midnight - HOUR, refererHost: 'late.example', visitorId: 'a' }),
      makeClick({ code: 'x', ts: midnight + HOUR, refererHost: 'late.example', visitorId: 'b' }),
      makeClick({ code: 'x', ts: midnight + 5 * HOUR, refererHost: 'later.example' }),
    ]);
    const stats = await sink.stats('x', range(midnight - 2 * HOUR, midnight + 2 * HOUR));
    expect([stats.total, stats.unique]).toEqual([2, 2]);
    expect(stats.top.referrers).toEqual([{ value: 'late.example', clicks: 2 }]);
    expect(stats.series.map((point) => point.clicks)).toEqual([0, 1, 0, 1]);
  });

  it('answers "clicks so far" right after a write; keeps buckets hourlyTtlDays', async () => {
    const prefix = `t:${randomUUID()}:`;
    const sink = new RedisCounterSink({ redis, prefix, hourlyTtlDays: 2 });
    const now = Date.now();
    await sink.write([
      makeClick({ code: 'y', ts: now }),
      makeClick({ code: 'y', ts: now - 5 * 24 * HOUR }),
      makeClick({ code: 'y', ts: now, bot: true }),
    ]);
    const stats = await sink.stats('y', range(now - 7 * 24 * HOUR, now + HOUR, 'day'));
    expect([stats.total, stats.unique, stats.bots]).toEqual([1, 1, 1]);
    const keys = await redis.keys(`${prefix}*`);
    expect(keys.length).toBeGreaterThan(3);
    for (const key of keys) {
      const ttl = await redis.ttl(key);
      expect(ttl, key).toBeGreaterThan(0);
      // At most the retention after the end of today, or the dedupe TTL of 7 days.
      expect(ttl, key).toBeLessThanOrEqual(key.includes(':seen:') ? 7 * 86_400 : 4 * 86_400);
    }
  });
});

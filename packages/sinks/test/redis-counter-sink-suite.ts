import { randomUUID } from 'node:crypto';
import { describeClickSink, makeClick } from '@linkpulse/core/testing';
import { RedisCounterSink } from '@linkpulse/sinks/redis';
import type { Cluster, Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { CounterKeys } from '../src/redis/counter-layout.js';

/**
 * The keys matching `pattern` on a server, or on every master of a cluster, as the client
 * names them (ioredis puts its `keyPrefix` before keys but not before a KEYS pattern).
 */
export async function keysMatching(redis: Redis | Cluster, pattern: string): Promise<string[]> {
  const keyPrefix = redis.options.keyPrefix ?? '';
  const nodes = redis.isCluster ? (redis as Cluster).nodes('master') : [redis as Redis];
  const perNode = await Promise.all(nodes.map((node) => node.keys(keyPrefix + pattern)));
  return perNode.flat().map((key) => key.slice(keyPrefix.length));
}

/** Options of {@link describeRedisCounterSink}. */
export interface RedisCounterSinkSuiteOptions {
  /**
   * Whether a batch can be written in part: on a Cluster each code is a call of its own,
   * so the codes of a batch whose calls succeeded are counted although another failed.
   */
  partialWrites: boolean;
}

const HOUR = 3_600_000;
const range = (from: number, to: number, interval: 'hour' | 'day' = 'hour') => ({
  from: new Date(from),
  to: new Date(to),
  interval,
  top: 10,
});

/**
 * The tests of {@link RedisCounterSink} on the client `redis()` returns (called in each
 * test, after the caller's `beforeAll`): the shared ClickSink contract and the sink's own.
 */
export function describeRedisCounterSink(
  name: string,
  redis: () => Redis | Cluster,
  options: RedisCounterSinkSuiteOptions,
): void {
  const newSink = (hourlyTtlDays = 36_500) =>
    new RedisCounterSink({ redis: redis(), prefix: `t:${randomUUID()}:`, hourlyTtlDays });

  describe(name, () => {
    // The suite's fixtures are from 2024: keep buckets for a century. Unique visitors are
    // HyperLogLog estimates (0.81 % standard error): allow 3 %.
    describeClickSink(
      name,
      async () => {
        const sink = newSink();
        return { sink, reader: sink };
      },
      { uniqueRelativeError: 0.03 },
    );

    it('reads top lists of hours within partly covered days from the hourly keys', async () => {
      const sink = newSink();
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
      const sink = new RedisCounterSink({ redis: redis(), prefix, hourlyTtlDays: 2 });
      const now = Date.now();
      await sink.write([
        makeClick({ code: 'y', ts: now }),
        makeClick({ code: 'y', ts: now - 5 * 24 * HOUR }),
        makeClick({ code: 'y', ts: now, bot: true }),
      ]);
      const stats = await sink.stats('y', range(now - 7 * 24 * HOUR, now + HOUR, 'day'));
      expect([stats.total, stats.unique, stats.bots]).toEqual([1, 1, 1]);
      const keys = await keysMatching(redis(), `${prefix}*`);
      expect(keys.length).toBeGreaterThan(3);
      for (const key of keys) {
        const ttl = await redis().ttl(key);
        expect(ttl, key).toBeGreaterThan(0);
        // At most the retention after the end of today, or the dedupe TTL of 7 days.
        expect(ttl, key).toBeLessThanOrEqual(key.includes(':seen:') ? 7 * 86_400 : 4 * 86_400);
      }
    });

    it('writes a batch of 20,000 events of one code, more arguments than a call can spread', async () => {
      const sink = newSink();
      const noon = Date.UTC(2024, 5, 1, 12);
      const batch = Array.from({ length: 20_000 }, (_, i) =>
        makeClick({ id: `bulk-${i}`, code: 'hot', ts: noon + (i % 48) * HOUR, country: 'NL' }),
      );
      await sink.write(batch);
      const stats = await sink.stats('hot', range(noon, noon + 48 * HOUR, 'day'));
      expect([stats.total, stats.top.countries]).toEqual([
        20_000,
        [{ value: 'NL', clicks: 20_000 }],
      ]);
    });

    it(`counts every event of a batch retried after a failed write exactly once (${
      options.partialWrites ? 'the other codes were counted' : 'nothing was written'
    })`, async () => {
      const prefix = `t:${randomUUID()}:`;
      const sink = new RedisCounterSink({ redis: redis(), prefix, hourlyTtlDays: 36_500 });
      const noon = Date.UTC(2024, 5, 1, 12);
      const codes = Array.from({ length: 8 }, (_, i) => `retry${i}`);
      const batch = codes.flatMap((code) =>
        Array.from({ length: 5 }, (_, i) =>
          makeClick({ code, ts: noon + i * HOUR, visitorId: `v${i % 3}`, bot: i === 4 }),
        ),
      );
      const counts = async (code: string) => {
        const stats = await sink.stats(code, range(noon, noon + 24 * HOUR, 'day'));
        return [stats.total, stats.unique, stats.bots];
      };
      // A real fault: a key the script writes for one code holds a string, not a hash.
      const broken = new CounterKeys(prefix, 'retry3').clicks(Math.floor(noon / (24 * HOUR)));
      await redis().set(broken, 'not a hash');

      await expect(sink.write(batch)).rejects.toThrow(/WRONGTYPE/);
      await redis().del(broken);
      expect(await counts('retry3')).toEqual([0, 0, 0]);
      const others = codes.filter((code) => code !== 'retry3');
      const written = options.partialWrites ? [4, 3, 1] : [0, 0, 0];
      for (const code of others) expect(await counts(code), code).toEqual(written);

      await sink.write(batch);
      for (const code of codes) expect(await counts(code), code).toEqual([4, 3, 1]);
    });
  });
}

import { randomUUID } from 'node:crypto';
import { makeClick } from '@linkpulse/core/testing';
import { RedisCounterSink } from '@linkpulse/sinks/redis';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisCluster, startRedisCluster } from '../../../tools/services/redis.js';
import { requireService } from '../../../tools/services/test-services.js';
import { describeRedisCounterSink } from './redis-counter-sink-suite.js';

// The global setup's redis-server tells whether the binary is here; the cluster is this
// file's own.
const url = requireService('redis');

describe.skipIf(!url)('RedisCounterSink on a Redis Cluster of three masters', () => {
  let cluster: RedisCluster | undefined;
  let redis: Cluster;
  beforeAll(async () => {
    cluster = await startRedisCluster(3);
    redis = new Cluster([...cluster.nodes]);
  }, 60_000);
  afterAll(async () => {
    redis?.disconnect();
    await cluster?.stop();
  });

  describeRedisCounterSink('RedisCounterSink (Cluster)', () => redis, { partialWrites: true });

  it('keeps the keys of a code in one slot and spreads the codes over the masters', async () => {
    const prefix = `t:${randomUUID()}:`;
    const sink = new RedisCounterSink({ redis, prefix, hourlyTtlDays: 36_500 });
    // Codes LinkPulse accepts, and strings with braces, which must not split a code's keys.
    const codes = [...Array.from({ length: 12 }, (_, i) => `c${i}`), '}x', 'a}b', 'x{y}', '{', ''];
    const ts = Date.UTC(2024, 2, 3, 4);
    await sink.write(
      codes.flatMap((code) => [
        makeClick({ code, ts, refererHost: 'ref.example', country: 'NL' }),
        makeClick({ code, ts: ts + 25 * 3_600_000, visitorId: 'other' }),
      ]),
    );

    const slotsOfCode = new Map<string, Set<number>>();
    const mastersWithKeys = await Promise.all(
      redis.nodes('master').map(async (node) => {
        const keys = await node.keys(`${prefix}*`);
        for (const key of keys) {
          const code = codes.find((c) => key.startsWith(`${prefix}{c:${c}}:`));
          expect(code, key).toBeDefined();
          const slots = slotsOfCode.get(code!) ?? new Set();
          slots.add(Number(await node.cluster('KEYSLOT', key)));
          slotsOfCode.set(code!, slots);
        }
        return keys.length > 0;
      }),
    );
    expect(mastersWithKeys.filter(Boolean).length).toBeGreaterThan(1);
    expect([...slotsOfCode.keys()].sort()).toEqual([...codes].sort());
    for (const [code, slots] of slotsOfCode) expect(slots.size, code).toBe(1);

    // The reads' multi-key PFCOUNT and ZUNION stay within the code's slot.
    for (const code of codes) {
      const stats = await sink.stats(code, {
        from: new Date(ts - 3_600_000),
        to: new Date(ts + 26 * 3_600_000),
        interval: 'day',
        top: 10,
      });
      expect([stats.total, stats.unique, stats.top.countries], code).toEqual([
        2,
        2,
        [{ value: 'NL', clicks: 1 }],
      ]);
    }
  });
});

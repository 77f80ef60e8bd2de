import { bucketStart, type EnrichedClick, type LinkStats } from '@linkpulse/core';
import { makeClick, seededRandom } from '@linkpulse/core/testing';
import { ClickHouseSink, migrate } from '@linkpulse/sinks/clickhouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends } from './clickhouse-backend.js';

const EVENTS = 100_000;
const BATCH = 2_000;
const DAYS = 30;
const DAY = 86_400_000;
const CODES = ['hot', 'warm', 'cool', 'cold'] as const;

/**
 * 100,000 clicks over the 30 days before today (inside every default retention), sorted
 * by time as a stream delivers them: 60 % on `hot` from ~30,000 distinct visitors, 5 %
 * bots.
 */
function fixture(today: number): EnrichedClick[] {
  const next = seededRandom(7);
  const start = today - DAYS * DAY;
  const clicks: EnrichedClick[] = [];
  for (let i = 0; i < EVENTS; i++) {
    const r = next();
    const code = r < 0.6 ? 'hot' : r < 0.85 ? 'warm' : r < 0.97 ? 'cool' : 'cold';
    clicks.push(
      makeClick({
        code,
        ts: start + Math.floor(next() * DAYS * DAY),
        visitorId: `visitor-${Math.floor(next() * 40_000)}`,
        bot: next() < 0.05,
        refererHost: next() < 0.3 ? null : `site${Math.floor(next() * 50)}.example`,
        country: ['US', 'DE', 'FR', 'JP', null][Math.floor(next() * 5)]!,
      }),
    );
  }
  return clicks.sort((a, b) => a.ts - b.ts);
}

const batches = (clicks: EnrichedClick[], size: number, offset = 0): EnrichedClick[][] => {
  const result = [clicks.slice(0, offset)];
  for (let i = offset; i < clicks.length; i += size) result.push(clicks.slice(i, i + size));
  return result.filter((b) => b.length > 0);
};

const today = bucketStart(Date.now(), 'day');
const range = {
  from: new Date(today - DAYS * DAY),
  to: new Date(today),
  interval: 'day',
  top: 10,
} as const;

for (const backend of testBackends('bulk')) {
  describe(`100,000 clicks through ClickHouseSink (${backend.kind})`, () => {
    let sink: ClickHouseSink;
    const clicks = fixture(today);
    const read = async () => {
      const stats: Record<string, LinkStats> = {};
      for (const code of CODES) stats[code] = await sink.stats(code, range);
      return stats;
    };

    beforeAll(async () => {
      const client = backend.client();
      await migrate(client, { database: backend.database });
      sink = new ClickHouseSink({ client, database: backend.database });
    });

    afterAll(async () => {
      await sink?.close();
      await backend.cleanup();
    });

    it('counts exactly, unique visitors within 2 %, and redelivery changes nothing', async () => {
      const started = performance.now();
      for (const batch of batches(clicks, BATCH)) await sink.write(batch);
      const seconds = (performance.now() - started) / 1000;
      console.info(
        `[clickhouse-bulk] ${EVENTS} events in ${EVENTS / BATCH} batches: ${seconds.toFixed(2)} s, ` +
          `${Math.round(EVENTS / seconds)} rows/s`,
      );

      const stats = await read();
      for (const code of CODES) {
        const humans = clicks.filter((c) => c.code === code && !c.bot);
        const perDay = new Map<string, { clicks: number; visitors: Set<string> }>();
        for (const click of humans) {
          const key = new Date(bucketStart(click.ts, 'day')).toISOString();
          const day = perDay.get(key) ?? { clicks: 0, visitors: new Set() };
          day.clicks += 1;
          day.visitors.add(click.visitorId);
          perDay.set(key, day);
        }
        const s = stats[code]!;
        expect(s.total, code).toBe(humans.length);
        expect(s.bots, code).toBe(clicks.filter((c) => c.code === code && c.bot).length);
        expect(s.series).toHaveLength(DAYS);
        expect(s.series.map((p) => p.clicks)).toEqual(
          s.series.map((p) => perDay.get(p.t)?.clicks ?? 0),
        );
        const visitors = new Set(humans.map((c) => c.visitorId)).size;
        const error = Math.abs(s.unique - visitors) / visitors;
        console.info(
          `[clickhouse-bulk] ${code}: ${visitors} visitors, read ${s.unique} (error ${(error * 100).toFixed(3)} %)`,
        );
        expect(error, code).toBeLessThan(0.02);
        for (const point of s.series) {
          const truth = perDay.get(point.t)?.visitors.size ?? 0;
          expect(Math.abs(point.unique - truth), point.t).toBeLessThanOrEqual(truth * 0.02);
        }
      }
      expect(stats.hot!.unique).toBeGreaterThan(25_000);

      // The same batches again, then a redelivery split differently (offset by half a
      // batch, then everything in 5,000-event batches): nothing may change.
      const again = performance.now();
      for (const batch of batches(clicks, BATCH)) await sink.write(batch);
      console.info(
        `[clickhouse-bulk] same batches again: ${((performance.now() - again) / 1000).toFixed(2)} s`,
      );
      expect(await read()).toEqual(stats);
      for (const batch of batches(clicks, BATCH, BATCH / 2)) await sink.write(batch);
      for (const batch of batches(clicks, 5_000)) await sink.write(batch);
      expect(await read()).toEqual(stats);
      // Not even unmerged duplicates in the raw table: every redelivered event was left out.
      const client = backend.client();
      const [raw] = await (
        await client.query({
          query: 'SELECT count() AS n, uniqExact(id) AS ids FROM {db:Identifier}.clicks',
          query_params: { db: backend.database },
          format: 'JSONEachRow',
        })
      ).json<{ n: string; ids: string }>();
      await client.close();
      expect([Number(raw!.n), Number(raw!.ids)]).toEqual([EVENTS, EVENTS]);
    }, 120_000);
  });
}

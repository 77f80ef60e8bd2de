import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EnrichedClick } from '../clicks/click-event.js';
import { createUlid } from '../clicks/ulid.js';
import type { ClickSink } from '../sinks/click-sink.js';
import type { LinkStats, StatsInterval, StatsReader, TopEntry } from '../sinks/stats.js';

/** What {@link describeClickSink}'s factory returns: a fresh sink and its reader. */
export interface ClickSinkSubject {
  sink: ClickSink;
  /** Reads what `sink` wrote (often the same object). */
  reader: StatsReader;
  /** Runs after `sink.close()`, e.g. to remove a temporary database. */
  cleanup?: () => Promise<void>;
}

const fixtureId = createUlid();

/**
 * An {@link EnrichedClick} for tests: a human desktop Chrome/Windows GET click on code
 * `fixture` at 2024-01-01T00:00Z with a fresh id, changed by `overrides` (a bot defaults
 * to device `bot`).
 */
export function makeClick(overrides: Partial<EnrichedClick> = {}): EnrichedClick {
  const ts = overrides.ts ?? Date.UTC(2024, 0, 1);
  return {
    v: 1,
    id: fixtureId(ts),
    code: 'fixture',
    ts,
    visitorId: 'visitor-1',
    ipPrefix: null,
    ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36',
    referer: null,
    method: 'GET',
    utm: null,
    device: overrides.bot ? 'bot' : 'desktop',
    browser: 'Chrome',
    os: 'Windows',
    bot: false,
    country: null,
    refererHost: null,
    ...overrides,
  };
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const at = (iso: string) => Date.parse(iso);
const range = (from: string, to: string, interval: StatsInterval, top = 10) => ({
  from: new Date(from),
  to: new Date(to),
  interval,
  top,
});
const points = (stats: LinkStats) => stats.series.map((p) => [p.t, p.clicks, p.unique]);
const entries = (list: TopEntry[]) => list.map((e) => [e.value, e.clicks]);

/**
 * Seven human clicks on `code` from 2024-01-31 22:10 to 2024-02-02 12:00 UTC by four
 * visitors, two bot clicks and one click on another code. Expected values in the tests
 * below are counted by hand from this list.
 */
function smallFixture(code: string): EnrichedClick[] {
  const safari = { device: 'mobile', browser: 'Mobile Safari', os: 'iOS' } as const;
  return [
    makeClick({
      code,
      ts: at('2024-01-31T22:10:00Z'),
      visitorId: 'v1',
      refererHost: 'google.com',
      country: 'US',
    }),
    makeClick({
      code,
      ts: at('2024-01-31T22:20:00Z'),
      visitorId: 'v1',
      refererHost: 'google.com',
      country: 'US',
    }),
    makeClick({
      code,
      ts: at('2024-01-31T23:10:00Z'),
      visitorId: 'v2',
      refererHost: 't.co',
      country: 'DE',
      ...safari,
    }),
    makeClick({
      code,
      ts: at('2024-02-01T00:00:00Z'),
      visitorId: 'v3',
      country: 'US',
      device: 'mobile',
      os: 'Android',
    }),
    makeClick({
      code,
      ts: at('2024-02-01T00:40:00Z'),
      visitorId: 'v2',
      refererHost: 'google.com',
      country: 'FR',
      ...safari,
      device: 'tablet',
    }),
    makeClick({
      code,
      ts: at('2024-02-01T05:00:00Z'),
      visitorId: 'v4',
      refererHost: 'news.ycombinator.com',
      browser: 'Firefox',
      os: 'Linux',
    }),
    makeClick({
      code,
      ts: at('2024-02-02T12:00:00Z'),
      visitorId: 'v1',
      refererHost: 'google.com',
      country: 'US',
    }),
    makeClick({
      code,
      ts: at('2024-01-31T22:30:00Z'),
      visitorId: 'v5',
      bot: true,
      browser: 'unknown',
      os: 'unknown',
      country: 'US',
    }),
    makeClick({
      code,
      ts: at('2024-02-01T00:15:00Z'),
      visitorId: 'v1',
      bot: true,
      method: 'HEAD',
      refererHost: 'google.com',
    }),
    makeClick({
      code: `${code}-other`,
      ts: at('2024-02-01T01:00:00Z'),
      visitorId: 'v9',
      refererHost: 'google.com',
      country: 'US',
    }),
  ];
}

/**
 * A small deterministic PRNG (mulberry32): numbers in [0, 1), the same sequence for the
 * same seed, so generated fixtures are the same every run.
 */
export function seededRandom(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Ten days from 2024-02-25 (across the end of February), bucket keys known up front. */
const BULK_START = Date.UTC(2024, 1, 25);
const BULK_EVENTS = 4_000;

interface BulkClick {
  click: EnrichedClick;
  keys: Record<StatsInterval, string>;
}

function bulkFixture(code: string): BulkClick[] {
  const next = seededRandom(42);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)]!;
  const result: BulkClick[] = [];
  for (let i = 0; i < BULK_EVENTS; i++) {
    const day = Math.floor(next() * 10);
    const hour = Math.floor(next() * 24);
    const dayStart = BULK_START + day * DAY;
    const bot = next() < 0.08;
    const click = makeClick({
      code,
      ts: dayStart + hour * HOUR + Math.floor(next() * HOUR),
      visitorId: `visitor-${Math.floor(next() * 300)}`,
      bot,
      refererHost: pick([null, 'google.com', 't.co', 'news.ycombinator.com', 'example.org']),
      country: pick([null, 'US', 'DE', 'FR', 'GB', 'JP', 'BR']),
      device: bot ? 'bot' : pick(['desktop', 'mobile', 'tablet', 'other'] as const),
      browser: pick(['Chrome', 'Firefox', 'Safari', 'Edge', 'unknown']),
      os: pick(['Windows', 'Mac OS', 'iOS', 'Android', 'Linux', 'unknown']),
    });
    const monthKey = day < 5 ? '2024-02-01T00:00:00.000Z' : '2024-03-01T00:00:00.000Z';
    result.push({
      click,
      keys: {
        hour: new Date(dayStart + hour * HOUR).toISOString(),
        day: new Date(dayStart).toISOString(),
        month: monthKey,
      },
    });
  }
  return result;
}

/** Checks a top list against plain counts: right counts, right order, right cut. */
function expectRanked(list: TopEntry[], counts: Map<string, number>, top: number): void {
  expect(list).toHaveLength(Math.min(top, counts.size));
  list.forEach((entry, i) => {
    expect(entry.clicks).toBe(counts.get(entry.value));
    const previous = list[i - 1];
    if (previous) {
      const ordered =
        previous.clicks > entry.clicks ||
        (previous.clicks === entry.clicks && previous.value < entry.value);
      expect(ordered, `${previous.value} before ${entry.value}`).toBe(true);
    }
  });
  const last = list[list.length - 1];
  if (!last) return;
  const listed = new Set(list.map((e) => e.value));
  for (const [value, clicks] of counts) {
    if (listed.has(value)) continue;
    const after = clicks < last.clicks || (clicks === last.clicks && value > last.value);
    expect(after, `${value} (${clicks}) left out of the top list`).toBe(true);
  }
}

let suiteCounter = 0;

/** Options of {@link describeClickSink}. */
export interface ClickSinkSuiteOptions {
  /**
   * Relative error allowed on the unique-visitor counts of the bulk test (up to hundreds
   * of visitors per bucket), for readers that estimate them, e.g. with HyperLogLog; an
   * error of 1 is then always allowed. Default 0: exact. The small fixtures (a handful
   * of visitors) are compared exactly either way.
   */
  uniqueRelativeError?: number;
}

/**
 * The contract every {@link ClickSink} + {@link StatsReader} pair must meet: human and bot
 * counts, unique visitors, zero-filled hourly/daily/monthly series, ranked and limited top
 * lists, half-open ranges widened to whole buckets, idempotent writes (the same batch
 * twice changes nothing) and batches of thousands of events. `factory` is called before
 * each test and must return a fresh (or freshly emptied) sink; each test uses its own code.
 */
export function describeClickSink(
  name: string,
  factory: () => Promise<ClickSinkSubject>,
  options: ClickSinkSuiteOptions = {},
): void {
  const uniqueRelativeError = options.uniqueRelativeError ?? 0;
  const expectUnique = (actual: number, exact: number, label: string) => {
    const allowed =
      uniqueRelativeError > 0 ? Math.max(1, Math.ceil(exact * uniqueRelativeError)) : 0;
    expect(
      Math.abs(actual - exact),
      `${label}: unique ${actual}, exactly ${exact}`,
    ).toBeLessThanOrEqual(allowed);
  };

  describe(`ClickSink contract: ${name}`, () => {
    let subject: ClickSinkSubject;
    let code: string;

    beforeEach(async () => {
      subject = await factory();
      code = `suite${++suiteCounter}${Math.random().toString(36).slice(2, 8)}`;
    });

    afterEach(async () => {
      await subject.sink.close();
      await subject.cleanup?.();
    });

    it('counts human clicks, unique visitors and bots apart, per day', async () => {
      await subject.sink.write(smallFixture(code));
      const stats = await subject.reader.stats(code, range('2024-01-31', '2024-02-03', 'day'));
      expect(stats.code).toBe(code);
      expect([stats.total, stats.unique, stats.bots]).toEqual([7, 4, 2]);
      expect(points(stats)).toEqual([
        ['2024-01-31T00:00:00.000Z', 3, 2],
        ['2024-02-01T00:00:00.000Z', 3, 3],
        ['2024-02-02T00:00:00.000Z', 1, 1],
      ]);
    });

    it('zero-fills an hourly series', async () => {
      await subject.sink.write(smallFixture(code));
      const stats = await subject.reader.stats(
        code,
        range('2024-01-31T22:00:00Z', '2024-02-01T02:00:00Z', 'hour'),
      );
      expect([stats.total, stats.unique, stats.bots]).toEqual([5, 3, 2]);
      expect(points(stats)).toEqual([
        ['2024-01-31T22:00:00.000Z', 2, 1],
        ['2024-01-31T23:00:00.000Z', 1, 1],
        ['2024-02-01T00:00:00.000Z', 2, 2],
        ['2024-02-01T01:00:00.000Z', 0, 0],
      ]);
    });

    it('buckets by month', async () => {
      await subject.sink.write(smallFixture(code));
      const stats = await subject.reader.stats(code, range('2024-01-01', '2024-04-01', 'month'));
      expect([stats.total, stats.unique, stats.bots]).toEqual([7, 4, 2]);
      expect(points(stats)).toEqual([
        ['2024-01-01T00:00:00.000Z', 3, 2],
        ['2024-02-01T00:00:00.000Z', 4, 4],
        ['2024-03-01T00:00:00.000Z', 0, 0],
      ]);
    });

    it('ranks top lists by clicks, ties by value, and leaves out unknown values', async () => {
      await subject.sink.write(smallFixture(code));
      for (const interval of ['hour', 'day', 'month'] as const) {
        const { top } = await subject.reader.stats(
          code,
          range('2024-01-01', '2024-03-01', interval),
        );
        expect(entries(top.referrers), interval).toEqual([
          ['google.com', 4],
          ['news.ycombinator.com', 1],
          ['t.co', 1],
        ]);
        expect(entries(top.countries), interval).toEqual([
          ['US', 4],
          ['DE', 1],
          ['FR', 1],
        ]);
        expect(entries(top.devices), interval).toEqual([
          ['desktop', 4],
          ['mobile', 2],
          ['tablet', 1],
        ]);
        expect(entries(top.browsers), interval).toEqual([
          ['Chrome', 4],
          ['Mobile Safari', 2],
          ['Firefox', 1],
        ]);
        expect(entries(top.os), interval).toEqual([
          ['Windows', 3],
          ['iOS', 2],
          ['Android', 1],
          ['Linux', 1],
        ]);
      }
    });

    it('cuts top lists at `top`', async () => {
      await subject.sink.write(smallFixture(code));
      const one = await subject.reader.stats(code, range('2024-01-31', '2024-02-03', 'day', 1));
      expect(entries(one.top.referrers)).toEqual([['google.com', 4]]);
      expect(entries(one.top.os)).toEqual([['Windows', 3]]);
      const two = await subject.reader.stats(code, range('2024-01-31', '2024-02-03', 'day', 2));
      expect(entries(two.top.os)).toEqual([
        ['Windows', 3],
        ['iOS', 2],
      ]);
      expect(one.total).toBe(7);
    });

    it('reads [from, to): from included, to excluded', async () => {
      await subject.sink.write(smallFixture(code));
      const feb1 = await subject.reader.stats(code, range('2024-02-01', '2024-02-02', 'day'));
      expect([feb1.total, feb1.unique, feb1.bots]).toEqual([3, 3, 1]);
      expect(entries(feb1.top.referrers)).toEqual([
        ['google.com', 1],
        ['news.ycombinator.com', 1],
      ]);
      const jan31 = await subject.reader.stats(code, range('2024-01-31', '2024-02-01', 'day'));
      expect([jan31.total, jan31.unique, jan31.bots]).toEqual([3, 2, 1]);
      const lastHour = await subject.reader.stats(
        code,
        range('2024-01-31T23:00:00Z', '2024-02-01T00:00:00Z', 'hour'),
      );
      expect(points(lastHour)).toEqual([['2024-01-31T23:00:00.000Z', 1, 1]]);
    });

    it('widens a range to whole buckets', async () => {
      await subject.sink.write(smallFixture(code));
      const stats = await subject.reader.stats(
        code,
        range('2024-01-31T22:30:00Z', '2024-01-31T23:30:00Z', 'hour'),
      );
      expect(points(stats)).toEqual([
        ['2024-01-31T22:00:00.000Z', 2, 1],
        ['2024-01-31T23:00:00.000Z', 1, 1],
      ]);
      expect(stats.bots).toBe(1);
    });

    it('is idempotent: the same events again change nothing', async () => {
      const batch = smallFixture(code);
      await subject.sink.write(batch);
      const query = range('2024-01-01', '2024-03-01', 'day');
      const before = await subject.reader.stats(code, query);
      await subject.sink.write(batch);
      await subject.sink.write([batch[0]!, batch[0]!, batch[7]!]);
      expect(await subject.reader.stats(code, query)).toEqual(before);

      const late = makeClick({ code, ts: at('2024-02-02T13:00:00Z'), visitorId: 'v6' });
      await subject.sink.write([batch[1]!, late, late]);
      const after = await subject.reader.stats(code, query);
      expect([after.total, after.unique, after.bots]).toEqual([8, 5, 2]);
      expect(after.series.find((p) => p.t.startsWith('2024-02-02'))).toMatchObject({
        clicks: 2,
        unique: 2,
      });
    });

    it('answers zeros with a zero-filled series for an unknown code', async () => {
      await subject.sink.write([]);
      await subject.sink.write(smallFixture(code));
      const stats = await subject.reader.stats(
        `${code}x`,
        range('2024-01-31', '2024-02-03', 'day'),
      );
      expect(stats).toEqual({
        code: `${code}x`,
        total: 0,
        unique: 0,
        bots: 0,
        series: ['2024-01-31', '2024-02-01', '2024-02-02'].map((d) => ({
          t: `${d}T00:00:00.000Z`,
          clicks: 0,
          unique: 0,
        })),
        top: { referrers: [], countries: [], devices: [], browsers: [], os: [] },
      });
    });

    it(`counts ${BULK_EVENTS} events written in large batches exactly`, async () => {
      const bulk = bulkFixture(code);
      const clicks = bulk.map((b) => b.click);
      const half = BULK_EVENTS / 2;
      await subject.sink.write(clicks.slice(0, half));
      await subject.sink.write(clicks.slice(half));
      await subject.sink.write(clicks);
      const humans = bulk.filter((b) => !b.click.bot);
      const visitors = new Set(humans.map((b) => b.click.visitorId));
      for (const interval of ['hour', 'day', 'month'] as const) {
        const top = 3;
        const from = interval === 'month' ? '2024-02-01' : '2024-02-25';
        const to = interval === 'month' ? '2024-04-01' : '2024-03-06';
        const stats = await subject.reader.stats(code, range(from, to, interval, top));
        expect([stats.total, stats.bots], interval).toEqual([
          humans.length,
          BULK_EVENTS - humans.length,
        ]);
        expectUnique(stats.unique, visitors.size, interval);
        const perBucket = new Map<string, { clicks: number; visitors: Set<string> }>();
        for (const { click, keys } of humans) {
          const bucket = perBucket.get(keys[interval]) ?? { clicks: 0, visitors: new Set() };
          bucket.clicks += 1;
          bucket.visitors.add(click.visitorId);
          perBucket.set(keys[interval], bucket);
        }
        expect(stats.series).toHaveLength({ hour: 240, day: 10, month: 2 }[interval]);
        for (const point of stats.series) {
          const bucket = perBucket.get(point.t);
          expect(point.clicks, point.t).toBe(bucket?.clicks ?? 0);
          expectUnique(point.unique, bucket?.visitors.size ?? 0, point.t);
        }
        const fields = {
          referrers: 'refererHost',
          countries: 'country',
          devices: 'device',
          browsers: 'browser',
          os: 'os',
        } as const;
        for (const [dimension, field] of Object.entries(fields)) {
          const counts = new Map<string, number>();
          for (const { click } of humans) {
            const value = click[field];
            if (value !== null) counts.set(value, (counts.get(value) ?? 0) + 1);
          }
          expectRanked(stats.top[dimension as keyof typeof fields], counts, top);
        }
      }
    });
  });
}

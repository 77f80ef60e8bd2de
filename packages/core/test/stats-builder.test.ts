import {
  bucketStart,
  bucketsBetween,
  buildLinkStats,
  isLinkPulseError,
  normalizeStatsQuery,
  rankTop,
} from '@linkpulse/core';
import { describe, expect, it } from 'vitest';

const t = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

function invalid(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (isLinkPulseError(error, 'invalid_query')) return error.message;
    throw error;
  }
  throw new Error('expected invalid_query');
}

describe('buckets', () => {
  it('starts UTC hours, days and months', () => {
    const ts = t('2024-02-29T23:59:59.999Z');
    expect(iso(bucketStart(ts, 'hour'))).toBe('2024-02-29T23:00:00.000Z');
    expect(iso(bucketStart(ts, 'day'))).toBe('2024-02-29T00:00:00.000Z');
    expect(iso(bucketStart(ts, 'month'))).toBe('2024-02-01T00:00:00.000Z');
    expect(iso(bucketStart(t('1969-12-31T23:30:00Z'), 'hour'))).toBe('1969-12-31T23:00:00.000Z');
  });

  it('lists every bucket that overlaps [from, to)', () => {
    const d = (s: string) => new Date(s);
    expect(bucketsBetween(d('2024-11-15'), d('2025-02-01'), 'month')).toEqual([
      '2024-11-01T00:00:00.000Z',
      '2024-12-01T00:00:00.000Z',
      '2025-01-01T00:00:00.000Z',
    ]);
    expect(bucketsBetween(d('2024-01-01T10:30Z'), d('2024-01-01T12:00Z'), 'hour')).toEqual([
      '2024-01-01T10:00:00.000Z',
      '2024-01-01T11:00:00.000Z',
    ]);
    expect(bucketsBetween(d('2024-01-01'), d('2025-02-23'), 'day')).toHaveLength(419);
    expect(invalid(() => bucketsBetween(d('2020-01-01'), d('2022-01-01'), 'hour'))).toMatch(
      /more than 10000 hour buckets/,
    );
  });
});

describe('normalizeStatsQuery', () => {
  const now = t('2024-06-15T12:34:56Z');

  it('defaults to the last 30 days by day with the top 10, widened to whole days', () => {
    expect(normalizeStatsQuery(undefined, now)).toEqual({
      from: new Date('2024-05-16T00:00:00Z'),
      to: new Date('2024-06-16T00:00:00Z'),
      interval: 'day',
      top: 10,
    });
  });

  it('widens to whole buckets and is idempotent', () => {
    const query = normalizeStatsQuery(
      {
        from: new Date('2024-01-15T10:00Z'),
        to: new Date('2024-03-01T00:00Z'),
        interval: 'month',
        top: 3,
      },
      now,
    );
    expect(query).toEqual({
      from: new Date('2024-01-01T00:00Z'),
      to: new Date('2024-03-01T00:00Z'),
      interval: 'month',
      top: 3,
    });
    expect(normalizeStatsQuery(query, 0)).toEqual(query);
  });

  it('rejects bad queries with invalid_query', () => {
    const from = new Date('2024-01-02');
    const to = new Date('2024-01-01');
    expect(invalid(() => normalizeStatsQuery({ from, to }, now))).toBe('from must be before to');
    expect(invalid(() => normalizeStatsQuery({ from: to, to }, now))).toBe(
      'from must be before to',
    );
    expect(invalid(() => normalizeStatsQuery({ from: new Date('nope') }, now))).toMatch(/^from/);
    expect(
      invalid(() => normalizeStatsQuery({ to: '2024-01-01' as unknown as Date }, now)),
    ).toMatch(/^to/);
    expect(
      invalid(() => normalizeStatsQuery({ interval: 'week' as unknown as 'day' }, now)),
    ).toMatch(/^interval/);
    for (const top of [0, 101, 2.5, Number.NaN]) {
      expect(invalid(() => normalizeStatsQuery({ top }, now))).toMatch(/^top/);
    }
    expect(normalizeStatsQuery({ top: 100 }, now).top).toBe(100);
  });
});

describe('rankTop', () => {
  it('sorts by clicks, breaks ties by value, cuts at n and skips zeros', () => {
    const counts = new Map([
      ['b', 2],
      ['c', 5],
      ['a', 2],
      ['z', 0],
      ['d', 1],
    ]);
    expect(rankTop(counts, 3)).toEqual([
      { value: 'c', clicks: 5 },
      { value: 'a', clicks: 2 },
      { value: 'b', clicks: 2 },
    ]);
    expect(rankTop(counts, 10)).toHaveLength(4);
  });
});

describe('buildLinkStats', () => {
  it('adds rows up, zero-fills the series and ignores rows outside the range', () => {
    const query = normalizeStatsQuery({
      from: new Date('2024-01-01'),
      to: new Date('2024-01-04'),
      interval: 'day',
      top: 2,
    });
    const stats = buildLinkStats('abc', query, {
      series: [
        { bucket: t('2024-01-01T05:00Z'), clicks: 2, unique: 1, bots: 1 },
        { bucket: t('2024-01-01T00:00Z'), clicks: 1, unique: 1, bots: 0 },
        { bucket: t('2024-01-03T23:59Z'), clicks: 4, unique: 3, bots: 2 },
        { bucket: t('2024-01-04T00:00Z'), clicks: 100, unique: 100, bots: 100 },
      ],
      unique: 4,
      top: [
        { dimension: 'countries', value: 'US', clicks: 3 },
        { dimension: 'countries', value: 'DE', clicks: 2 },
        { dimension: 'countries', value: 'US', clicks: 1 },
        { dimension: 'os', value: 'iOS', clicks: 7 },
        { dimension: 'countries', value: 'FR', clicks: 1 },
      ],
    });
    expect(stats).toEqual({
      code: 'abc',
      total: 7,
      unique: 4,
      bots: 3,
      series: [
        { t: '2024-01-01T00:00:00.000Z', clicks: 3, unique: 2 },
        { t: '2024-01-02T00:00:00.000Z', clicks: 0, unique: 0 },
        { t: '2024-01-03T00:00:00.000Z', clicks: 4, unique: 3 },
      ],
      top: {
        referrers: [],
        countries: [
          { value: 'US', clicks: 4 },
          { value: 'DE', clicks: 2 },
        ],
        devices: [],
        browsers: [],
        os: [{ value: 'iOS', clicks: 7 }],
      },
    });
  });
});

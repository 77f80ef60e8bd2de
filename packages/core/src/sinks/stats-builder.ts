import type { EnrichedClick } from '../clicks/click-event.js';
import { LinkPulseError } from '../errors.js';
import {
  type LinkStats,
  STATS_INTERVALS,
  type StatsInterval,
  type StatsQuery,
  type TopDimensions,
  type TopEntry,
} from './stats.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** Most buckets one stats query may span; longer ranges throw `invalid_query`. */
export const MAX_STATS_BUCKETS = 10_000;
/** Range of a stats query without `from`: the 30 days before `to`. */
export const DEFAULT_STATS_RANGE_MS = 30 * DAY_MS;
/** Entries per top list when the query does not say. */
export const DEFAULT_STATS_TOP = 10;
/** Most entries a top list may ask for. */
export const MAX_STATS_TOP = 100;

/** A top-list dimension: the keys of {@link TopDimensions}. */
export type StatsDimension = keyof TopDimensions;

/** Every {@link StatsDimension}, in the order of {@link TopDimensions}. */
export const STATS_DIMENSIONS: readonly StatsDimension[] = [
  'referrers',
  'countries',
  'devices',
  'browsers',
  'os',
];

/**
 * The value a click contributes to a top list, or `null` when it contributes none: clicks
 * without a referrer (direct) or without a known country are left out of those lists.
 */
export function dimensionValue(click: EnrichedClick, dimension: StatsDimension): string | null {
  switch (dimension) {
    case 'referrers':
      return click.refererHost;
    case 'countries':
      return click.country;
    case 'devices':
      return click.device;
    case 'browsers':
      return click.browser;
    case 'os':
      return click.os;
  }
}

/** Start (epoch ms) of the UTC hour, day or month that contains `ts`. */
export function bucketStart(ts: number, interval: StatsInterval): number {
  switch (interval) {
    case 'hour':
      return Math.floor(ts / HOUR_MS) * HOUR_MS;
    case 'day':
      return Math.floor(ts / DAY_MS) * DAY_MS;
    case 'month': {
      const date = new Date(ts);
      return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
    }
  }
}

/** Start (epoch ms) of the bucket after the one that starts at `start`. */
export function nextBucketStart(start: number, interval: StatsInterval): number {
  if (interval === 'hour') return start + HOUR_MS;
  if (interval === 'day') return start + DAY_MS;
  const date = new Date(start);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
}

/**
 * Starts (ISO-8601 UTC) of every bucket that overlaps `[from, to)`, oldest first. Throws
 * `invalid_query` beyond {@link MAX_STATS_BUCKETS} buckets.
 */
export function bucketsBetween(from: Date, to: Date, interval: StatsInterval): string[] {
  const end = to.getTime();
  const keys: string[] = [];
  for (let t = bucketStart(from.getTime(), interval); t < end; t = nextBucketStart(t, interval)) {
    if (keys.length === MAX_STATS_BUCKETS) {
      throw new LinkPulseError(
        'invalid_query',
        `the range spans more than ${MAX_STATS_BUCKETS} ${interval} buckets`,
      );
    }
    keys.push(new Date(t).toISOString());
  }
  return keys;
}

function validDate(value: unknown, name: string): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new LinkPulseError('invalid_query', `${name} must be a valid date`);
  }
  return value;
}

/**
 * Completes and validates a stats query. Defaults: `to` = `now`, `from` = 30 days before
 * `to`, interval `day`, top 10. Throws `invalid_query` unless `from < to`, the interval is
 * one of {@link STATS_INTERVALS}, `top` is an integer in 1..100 and the range spans at most
 * {@link MAX_STATS_BUCKETS} buckets. The range is then widened to whole buckets of the
 * interval (`from` down to its bucket start, `to` up to the next bucket start), so that
 * every reader answers alike whether it keeps raw events or only aggregates. Readers call
 * it on the query they get; it leaves a normalised query as it is.
 */
export function normalizeStatsQuery(
  query: Partial<StatsQuery> = {},
  now: number = Date.now(),
): StatsQuery {
  const to = validDate(query.to ?? new Date(now), 'to');
  const from = validDate(query.from ?? new Date(to.getTime() - DEFAULT_STATS_RANGE_MS), 'from');
  const interval = query.interval ?? 'day';
  if (!STATS_INTERVALS.includes(interval)) {
    throw new LinkPulseError(
      'invalid_query',
      `interval must be one of ${STATS_INTERVALS.join(', ')}`,
    );
  }
  const top = query.top ?? DEFAULT_STATS_TOP;
  if (!Number.isInteger(top) || top < 1 || top > MAX_STATS_TOP) {
    throw new LinkPulseError('invalid_query', `top must be an integer from 1 to ${MAX_STATS_TOP}`);
  }
  if (from.getTime() >= to.getTime()) {
    throw new LinkPulseError('invalid_query', 'from must be before to');
  }
  const buckets = bucketsBetween(from, to, interval);
  const last = Date.parse(buckets[buckets.length - 1]!);
  return {
    from: new Date(Date.parse(buckets[0]!)),
    to: new Date(nextBucketStart(last, interval)),
    interval,
    top,
  };
}

/** The `n` entries with the most clicks, most first; ties in ascending order of value. */
export function rankTop(counts: ReadonlyMap<string, number>, n: number): TopEntry[] {
  return [...counts]
    .filter(([, clicks]) => clicks > 0)
    .sort(([va, ca], [vb, cb]) => cb - ca || (va < vb ? -1 : va > vb ? 1 : 0))
    .slice(0, n)
    .map(([value, clicks]) => ({ value, clicks }));
}

/** One bucket's counts as a reader found them; `bucket` is any instant inside the bucket. */
export interface BucketRow {
  bucket: number;
  /** Human clicks. */
  clicks: number;
  /** Distinct human visitors within the bucket. */
  unique: number;
  /** Bot clicks. */
  bots: number;
}

/** Human clicks of one value of one dimension (any number of rows per value). */
export interface TopRow {
  dimension: StatsDimension;
  value: string;
  clicks: number;
}

/** What a reader aggregated for one link over a normalised query's range. */
export interface StatsRows {
  /** Per-bucket counts; rows of one bucket are added up, missing buckets count zero. */
  series: Iterable<BucketRow>;
  /** Distinct human visitors over the whole range. */
  unique: number;
  /** Top-list counts; rows of one dimension and value are added up, then ranked. */
  top: Iterable<TopRow>;
}

/**
 * Builds {@link LinkStats} from aggregated rows: the one place where the series is
 * zero-filled, totals are summed and top lists are ranked, shared by every
 * stats reader (memory, SQLite, Redis, ClickHouse). `query` must be normalised
 * ({@link normalizeStatsQuery}); rows outside its range are ignored.
 */
export function buildLinkStats(code: string, query: StatsQuery, rows: StatsRows): LinkStats {
  const series = new Map(
    bucketsBetween(query.from, query.to, query.interval).map((t) => [
      t,
      { t, clicks: 0, unique: 0 },
    ]),
  );
  let total = 0;
  let bots = 0;
  for (const row of rows.series) {
    const point = series.get(new Date(bucketStart(row.bucket, query.interval)).toISOString());
    if (point === undefined) continue;
    point.clicks += row.clicks;
    point.unique += row.unique;
    total += row.clicks;
    bots += row.bots;
  }
  const counts = new Map(STATS_DIMENSIONS.map((d) => [d, new Map<string, number>()]));
  for (const row of rows.top) {
    const values = counts.get(row.dimension)!;
    values.set(row.value, (values.get(row.value) ?? 0) + row.clicks);
  }
  const top = Object.fromEntries(
    STATS_DIMENSIONS.map((d) => [d, rankTop(counts.get(d)!, query.top)]),
  ) as unknown as TopDimensions;
  return { code, total, unique: rows.unique, bots, series: [...series.values()], top };
}

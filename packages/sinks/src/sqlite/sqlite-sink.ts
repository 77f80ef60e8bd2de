import {
  type BucketRow,
  bucketStart,
  buildLinkStats,
  type ClickSink,
  dimensionValue,
  type EnrichedClick,
  type LinkStats,
  nextBucketStart,
  normalizeStatsQuery,
  STATS_DIMENSIONS,
  type StatsDimension,
  type StatsInterval,
  type StatsQuery,
  type StatsReader,
  type TopRow,
} from '@linkpulse/core';
import {
  migrate,
  resolveSqliteDatabase,
  type SqliteDatabaseOption,
} from '@linkpulse/stores/sqlite';
import type { Database, Statement } from 'better-sqlite3';
import { CLICK_MIGRATIONS } from './schema.js';

/** How long the SQLite sink keeps what; monthly aggregates are kept forever. */
export interface SqliteRetention {
  /** Raw events and hourly aggregates, in days. Default 90. */
  rawDays?: number;
  /** Daily aggregates (counts and top lists), in days. Default 730. */
  dailyDays?: number;
}

/** Options of {@link SqliteSink}. */
export interface SqliteSinkOptions {
  /**
   * A file path (opened in WAL mode with a busy timeout, closed by `close()`), or an open
   * better-sqlite3 database shared with other components (left open by `close()`).
   */
  database: SqliteDatabaseOption;
  /** What {@link SqliteSink.prune} keeps. */
  retention?: SqliteRetention;
}

/** Rows {@link SqliteSink.prune} deleted. */
export interface PruneResult {
  /** Raw events. */
  raw: number;
  /** Hourly aggregate rows. */
  hourly: number;
  /** Daily aggregate rows (counts and top-list rows). */
  daily: number;
}

const DAY_MS = 86_400_000;
/** Aggregate granularities, finest first (a visitor new to a month is new to its day and hour). */
const GRANULARITIES: readonly StatsInterval[] = ['hour', 'day', 'month'];
/** Granularities with top-list aggregates; hourly top lists are counted from raw events. */
const TOP_GRANULARITIES: readonly StatsInterval[] = ['day', 'month'];
/** The raw-event column behind each top-list dimension. */
const RAW_COLUMNS: Record<StatsDimension, string> = {
  referrers: 'referer_host',
  countries: 'country',
  devices: 'device',
  browsers: 'browser',
  os: 'os',
};

interface RawRow {
  id: string;
  code: string;
  ts: number;
  visitor_id: string;
  bot: number;
  device: string;
  browser: string;
  os: string;
  country: string | null;
  referer_host: string | null;
  method: string;
  utm_source: string | null;
  utm_medium: string | null;
  utm_campaign: string | null;
  utm_term: string | null;
  utm_content: string | null;
}

interface CountRow {
  code: string;
  granularity: StatsInterval;
  bucket: number;
  clicks: number;
  uniques: number;
  bots: number;
}

interface TopCountRow {
  code: string;
  granularity: StatsInterval;
  bucket: number;
  dimension: StatsDimension;
  value: string;
  clicks: number;
}

interface RangeParams {
  code: string;
  granularity: StatsInterval;
  from: number;
  to: number;
}

function toRawRow(click: EnrichedClick): RawRow {
  const utm = click.utm;
  return {
    id: click.id,
    code: click.code,
    ts: click.ts,
    visitor_id: click.visitorId,
    bot: click.bot ? 1 : 0,
    device: click.device,
    browser: click.browser,
    os: click.os,
    country: click.country,
    referer_host: click.refererHost,
    method: click.method,
    utm_source: utm?.source ?? null,
    utm_medium: utm?.medium ?? null,
    utm_campaign: utm?.campaign ?? null,
    utm_term: utm?.term ?? null,
    utm_content: utm?.content ?? null,
  };
}

/** The `top` highest rows per dimension of `source` (columns dimension, value, clicks). */
function ranked(source: string): string {
  return `SELECT dimension, value, clicks FROM (
      SELECT dimension, value, clicks,
        ROW_NUMBER() OVER (PARTITION BY dimension ORDER BY clicks DESC, value) AS position
      FROM (${source})
    ) WHERE position <= @top`;
}

function retentionDays(value: number | undefined, fallback: number, name: string): number {
  const days = value ?? fallback;
  if (!(Number.isFinite(days) && days > 0)) {
    throw new RangeError(`retention.${name} must be a positive number of days`);
  }
  return days;
}

/**
 * A {@link ClickSink} and {@link StatsReader} in SQLite (better-sqlite3). Each batch is one
 * transaction: raw events are inserted with `ON CONFLICT (id) DO NOTHING` (unlike `INSERT OR
 * IGNORE`, a row breaking another constraint fails the batch instead of vanishing) and only
 * rows actually inserted update the aggregates, so a redelivered batch changes nothing.
 * Per-bucket unique visitors are counted at write time (a visitor counts for a bucket
 * when the raw table holds no earlier human click of theirs in it), so they outlive the
 * raw events. Stats: series from the aggregates of the query's interval; top lists from
 * the daily or monthly aggregates, for hourly queries from the raw events; the range-wide
 * `unique` from the raw events, so for a range reaching past the raw retention it counts
 * only the visitors still in the raw table.
 *
 * Retention is applied by {@link SqliteSink.prune}, which the owner schedules (the
 * embedded package runs it on a timer). Idempotency holds for as long as the raw event is
 * kept: an event replayed after its raw row was pruned would be counted again.
 */
export class SqliteSink implements ClickSink, StatsReader {
  readonly #db: Database;
  readonly #owned: boolean;
  readonly #rawMs: number;
  readonly #dailyMs: number;
  readonly #insert: Statement<[RawRow]>;
  readonly #seen: Statement<[string, string, number, number, string]>;
  readonly #addCount: Statement<[CountRow]>;
  readonly #addTop: Statement<[TopCountRow]>;
  readonly #series: Statement<[RangeParams], BucketRow>;
  readonly #unique: Statement<[Omit<RangeParams, 'granularity'>], { unique: number }>;
  readonly #rawTop: Statement<[Omit<RangeParams, 'granularity'> & { top: number }], TopRow>;
  readonly #aggregateTop: Statement<[RangeParams & { top: number }], TopRow>;
  readonly #writeBatch: (batch: readonly EnrichedClick[]) => void;
  readonly #prune: (now: number) => PruneResult;

  constructor(options: SqliteSinkOptions) {
    const rawDays = retentionDays(options.retention?.rawDays, 90, 'rawDays');
    const dailyDays = retentionDays(options.retention?.dailyDays, 730, 'dailyDays');
    this.#rawMs = rawDays * DAY_MS;
    this.#dailyMs = dailyDays * DAY_MS;
    const { db, owned } = resolveSqliteDatabase(options.database);
    this.#db = db;
    this.#owned = owned;
    migrate(db, 'clicks', CLICK_MIGRATIONS);

    this.#insert = db.prepare(
      `INSERT INTO linkpulse_clicks (id, code, ts, visitor_id, bot, device, browser, os,
         country, referer_host, method, utm_source, utm_medium, utm_campaign, utm_term, utm_content)
       VALUES (@id, @code, @ts, @visitor_id, @bot, @device, @browser, @os, @country,
         @referer_host, @method, @utm_source, @utm_medium, @utm_campaign, @utm_term, @utm_content)
       ON CONFLICT (id) DO NOTHING`,
    );
    this.#seen = db.prepare(
      `SELECT 1 FROM linkpulse_clicks
       WHERE code = ? AND visitor_id = ? AND ts >= ? AND ts < ? AND bot = 0 AND id <> ? LIMIT 1`,
    );
    this.#addCount = db.prepare(
      `INSERT INTO linkpulse_click_counts (code, granularity, bucket, clicks, uniques, bots)
       VALUES (@code, @granularity, @bucket, @clicks, @uniques, @bots)
       ON CONFLICT (code, granularity, bucket) DO UPDATE SET clicks = clicks + excluded.clicks,
         uniques = uniques + excluded.uniques, bots = bots + excluded.bots`,
    );
    this.#addTop = db.prepare(
      `INSERT INTO linkpulse_click_tops (code, granularity, bucket, dimension, value, clicks)
       VALUES (@code, @granularity, @bucket, @dimension, @value, @clicks)
       ON CONFLICT (code, granularity, bucket, dimension, value)
         DO UPDATE SET clicks = clicks + excluded.clicks`,
    );
    this.#series = db.prepare(
      `SELECT bucket, clicks, uniques AS "unique", bots FROM linkpulse_click_counts
       WHERE code = @code AND granularity = @granularity AND bucket >= @from AND bucket < @to`,
    );
    this.#unique = db.prepare(
      `SELECT COUNT(DISTINCT visitor_id) AS "unique" FROM linkpulse_clicks
       WHERE code = @code AND ts >= @from AND ts < @to AND bot = 0`,
    );
    this.#rawTop = db.prepare(
      ranked(
        STATS_DIMENSIONS.map((dimension) => {
          const column = RAW_COLUMNS[dimension];
          return `SELECT '${dimension}' AS dimension, ${column} AS value, COUNT(*) AS clicks
            FROM linkpulse_clicks
            WHERE code = @code AND ts >= @from AND ts < @to AND bot = 0 AND ${column} IS NOT NULL
            GROUP BY ${column}`;
        }).join(' UNION ALL '),
      ),
    );
    this.#aggregateTop = db.prepare(
      ranked(
        `SELECT dimension, value, SUM(clicks) AS clicks FROM linkpulse_click_tops
         WHERE code = @code AND granularity = @granularity AND bucket >= @from AND bucket < @to
         GROUP BY dimension, value`,
      ),
    );
    this.#writeBatch = db.transaction((batch: readonly EnrichedClick[]) => this.#apply(batch));
    this.#prune = this.#preparePrune();
  }

  /** Writes the batch in one transaction; events already stored are skipped. */
  async write(batch: readonly EnrichedClick[]): Promise<void> {
    if (batch.length > 0) this.#writeBatch(batch);
  }

  /** Stats of `code` (see {@link SqliteSink} for where each part comes from). */
  async stats(code: string, query: StatsQuery): Promise<LinkStats> {
    const range = normalizeStatsQuery(query);
    const params = {
      code,
      granularity: range.interval,
      from: range.from.getTime(),
      to: range.to.getTime(),
    };
    const { granularity, ...raw } = params;
    const read = this.#db.transaction(() => ({
      series: this.#series.all(params),
      unique: this.#unique.get(raw)?.unique ?? 0,
      top:
        granularity === 'hour'
          ? this.#rawTop.all({ ...raw, top: range.top })
          : this.#aggregateTop.all({ ...params, top: range.top }),
    }));
    return buildLinkStats(code, range, read());
  }

  /**
   * Applies the retention at `now`: deletes raw events and hourly aggregates older than
   * `rawDays`, daily aggregates older than `dailyDays`; monthly aggregates stay. Runs in one
   * transaction; schedule it yourself (for example hourly).
   */
  prune(now: number = Date.now()): PruneResult {
    return this.#prune(now);
  }

  /** Closes the database when the sink opened it from a path. */
  async close(): Promise<void> {
    if (this.#owned && this.#db.open) this.#db.close();
  }

  #apply(batch: readonly EnrichedClick[]): void {
    const counts = new Map<string, CountRow>();
    const tops = new Map<string, TopCountRow>();
    for (const click of batch) {
      if (this.#insert.run(toRawRow(click)).changes !== 1) continue;
      let newVisitor = !click.bot;
      for (const granularity of GRANULARITIES) {
        const bucket = bucketStart(click.ts, granularity);
        const key = `${click.code}\u0000${granularity}\u0000${bucket}`;
        let count = counts.get(key);
        if (count === undefined) {
          count = { code: click.code, granularity, bucket, clicks: 0, uniques: 0, bots: 0 };
          counts.set(key, count);
        }
        if (click.bot) {
          count.bots += 1;
          continue;
        }
        count.clicks += 1;
        const end = nextBucketStart(bucket, granularity);
        newVisitor &&=
          this.#seen.get(click.code, click.visitorId, bucket, end, click.id) === undefined;
        if (newVisitor) count.uniques += 1;
        if (!TOP_GRANULARITIES.includes(granularity)) continue;
        for (const dimension of STATS_DIMENSIONS) {
          const value = dimensionValue(click, dimension);
          if (value === null) continue;
          const topKey = `${key}\u0000${dimension}\u0000${value}`;
          const top = tops.get(topKey);
          if (top) top.clicks += 1;
          else
            tops.set(topKey, {
              code: click.code,
              granularity,
              bucket,
              dimension,
              value,
              clicks: 1,
            });
        }
      }
    }
    for (const row of counts.values()) this.#addCount.run(row);
    for (const row of tops.values()) this.#addTop.run(row);
  }

  #preparePrune(): (now: number) => PruneResult {
    const db = this.#db;
    const raw = db.prepare<[number]>('DELETE FROM linkpulse_clicks WHERE ts < ?');
    const counts = db.prepare<[StatsInterval, number]>(
      'DELETE FROM linkpulse_click_counts WHERE granularity = ? AND bucket < ?',
    );
    const tops = db.prepare<[StatsInterval, number]>(
      'DELETE FROM linkpulse_click_tops WHERE granularity = ? AND bucket < ?',
    );
    return db.transaction((now: number) => {
      const rawCutoff = now - this.#rawMs;
      const dailyCutoff = bucketStart(now - this.#dailyMs, 'day');
      return {
        raw: raw.run(rawCutoff).changes,
        hourly: counts.run('hour', bucketStart(rawCutoff, 'hour')).changes,
        daily: counts.run('day', dailyCutoff).changes + tops.run('day', dailyCutoff).changes,
      };
    });
  }
}

import {
  bucketStart,
  buildLinkStats,
  type ClickSink,
  type EnrichedClick,
  type LinkStats,
  normalizeStatsQuery,
  STATS_INTERVALS,
  type StatsInterval,
  type StatsQuery,
  type StatsReader,
  type StatsRows,
} from '@linkpulse/core';
import {
  migrate,
  resolveSqliteDatabase,
  type SqliteDatabaseOption,
} from '@linkpulse/stores/sqlite';
import type { Database } from 'better-sqlite3';
import { BatchWriter, DEFAULT_FOLD_THRESHOLD } from './batch-writer.js';
import { CLICK_MIGRATIONS } from './schema.js';
import { prepareStatsReader } from './stats-queries.js';

/** How long the SQLite sink keeps what; monthly aggregates are kept forever. */
export interface SqliteRetention {
  /** Raw events, hourly aggregates and the per-bucket visitor sets, in days. Default 90. */
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
  /**
   * Raw events not folded into the aggregates yet after which a write folds them. A larger
   * fold upserts each aggregate row once for more events and touches each page of the
   * visitor sets once for more new visitors (cheaper writes); stats reads scan the
   * unfolded events, so they pay for a larger backlog. Default 20,000.
   */
  foldThreshold?: number;
}

/** Rows {@link SqliteSink.prune} deleted. */
export interface PruneResult {
  /** Raw events. */
  raw: number;
  /** Hourly aggregate rows (counts and top-list rows). */
  hourly: number;
  /** Daily aggregate rows (counts and top-list rows). */
  daily: number;
}

const DAY_MS = 86_400_000;

function retentionDays(value: number | undefined, fallback: number, name: string): number {
  const days = value ?? fallback;
  if (!(Number.isFinite(days) && days > 0)) {
    throw new RangeError(`retention.${name} must be a positive number of days`);
  }
  return days;
}

/**
 * A {@link ClickSink} and {@link StatsReader} in SQLite (better-sqlite3), exact and
 * idempotent by event id.
 *
 * Each batch is one immediate transaction that appends the raw events, inserted with `ON
 * CONFLICT (id) DO NOTHING` (unlike `INSERT OR IGNORE`, a row breaking another constraint
 * fails the batch instead of vanishing): a redelivered event is skipped, and only events
 * actually inserted are ever counted. Every `foldThreshold` events, the write also folds
 * the events not folded yet into the hourly, daily and monthly aggregates (counts, top
 * lists, and the set of visitors of each bucket, which decides who is new to it), a few
 * set-wise statements for thousands of events. Per-bucket unique visitors are counted
 * when folded, so they outlive the raw events. All tables are laid out so that writing
 * recent clicks touches few pages: that, not the statements, is what a click used to
 * cost.
 *
 * Stats add the code's unfolded events to the aggregates of the query's interval, in one
 * read transaction. The range-wide `unique` comes from the per-bucket visitor sets, kept
 * as long as raw events: for a range reaching past the raw retention it counts only the
 * visitors of the buckets still kept.
 *
 * Several sinks may share the file, each with its own connection (for example a writer in
 * a worker thread and a reader on the main thread): writes, folds and pruning are
 * immediate transactions that wait for each other (busy timeout), and a read sees one
 * consistent snapshot, so a fold committed meanwhile can neither hide an event nor count
 * it twice.
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
  readonly #writer: BatchWriter;
  readonly #read: (code: string, query: StatsQuery) => StatsRows;
  readonly #prune: (now: number) => PruneResult;

  constructor(options: SqliteSinkOptions) {
    const rawDays = retentionDays(options.retention?.rawDays, 90, 'rawDays');
    const dailyDays = retentionDays(options.retention?.dailyDays, 730, 'dailyDays');
    const foldThreshold = options.foldThreshold ?? DEFAULT_FOLD_THRESHOLD;
    if (!(Number.isInteger(foldThreshold) && foldThreshold >= 1)) {
      throw new RangeError('foldThreshold must be a positive integer');
    }
    this.#rawMs = rawDays * DAY_MS;
    this.#dailyMs = dailyDays * DAY_MS;
    const { db, owned } = resolveSqliteDatabase(options.database);
    this.#db = db;
    this.#owned = owned;
    migrate(db, 'clicks', CLICK_MIGRATIONS);
    this.#writer = new BatchWriter(db, foldThreshold);
    this.#read = prepareStatsReader(db);
    this.#prune = this.#preparePrune();
  }

  /** Writes the batch in one transaction; events already stored are skipped. */
  async write(batch: readonly EnrichedClick[]): Promise<void> {
    if (batch.length > 0) this.#writer.write(batch);
  }

  /** Stats of `code` (see {@link SqliteSink} for where each part comes from). */
  async stats(code: string, query: StatsQuery): Promise<LinkStats> {
    const range = normalizeStatsQuery(query);
    return buildLinkStats(code, range, this.#read(code, range));
  }

  /**
   * Applies the retention at `now`: folds the events not folded yet, then deletes raw
   * events, hourly aggregates and the visitor sets older than `rawDays`, daily aggregates
   * older than `dailyDays`; monthly aggregates stay. Runs in one transaction; schedule it
   * yourself (for example hourly).
   */
  prune(now: number = Date.now()): PruneResult {
    return this.#prune(now);
  }

  /** Closes the database when the sink opened it from a path. */
  async close(): Promise<void> {
    if (this.#owned && this.#db.open) this.#db.close();
  }

  #preparePrune(): (now: number) => PruneResult {
    const db = this.#db;
    const raw = db.prepare<[number]>('DELETE FROM linkpulse_clicks WHERE ts < ?');
    const older = (table: string) =>
      db.prepare<[StatsInterval, number]>(
        `DELETE FROM ${table} WHERE granularity = ? AND bucket < ?`,
      );
    const counts = older('linkpulse_click_counts');
    const tops = older('linkpulse_click_tops');
    const visitors = older('linkpulse_click_visitors');
    const aggregates = (granularity: StatsInterval, cutoff: number) =>
      counts.run(granularity, cutoff).changes + tops.run(granularity, cutoff).changes;
    const prune = db.transaction((now: number): PruneResult => {
      this.#writer.foldAll();
      const rawCutoff = now - this.#rawMs;
      for (const granularity of STATS_INTERVALS) {
        visitors.run(granularity, bucketStart(rawCutoff, granularity));
      }
      return {
        raw: raw.run(rawCutoff).changes,
        hourly: aggregates('hour', bucketStart(rawCutoff, 'hour')),
        daily: aggregates('day', bucketStart(now - this.#dailyMs, 'day')),
      };
    });
    return (now) => prune.immediate(now);
  }
}

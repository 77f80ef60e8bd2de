import type { LinkStats, StatsQuery, StatsReader } from '@linkpulse/core';

const DAY_MS = 86_400_000;

/** Options of {@link TieredStatsReader}. */
export interface TieredStatsOptions {
  /** Near-real-time counters that keep the last `recentDays` (the Redis counter sink). */
  recent: StatsReader;
  /** The long history (ClickHouse aggregates). */
  history: StatsReader;
  /** How far back `recent` reaches. */
  recentDays: number;
  /** Clock; default `Date.now`. */
  now?: () => number;
}

/**
 * Answers from the Redis counters when the whole range lies within their retention (they
 * are current within a second of a redirect), and from ClickHouse otherwise (exact over
 * years, a few seconds behind: the worker's batch interval).
 */
export class TieredStatsReader implements StatsReader {
  readonly #options: TieredStatsOptions;

  constructor(options: TieredStatsOptions) {
    this.#options = options;
  }

  /** Stats of `code` from the tier that holds the whole range. */
  stats(code: string, query: StatsQuery): Promise<LinkStats> {
    const { recent, history, recentDays, now = Date.now } = this.#options;
    const recentFrom = now() - recentDays * DAY_MS;
    const reader = query.from.getTime() >= recentFrom ? recent : history;
    return reader.stats(code, query);
  }
}

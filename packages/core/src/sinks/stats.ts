/** Time-series bucket size. */
export type StatsInterval = 'hour' | 'day' | 'month';

/** The intervals accepted by {@link StatsQuery.interval}. */
export const STATS_INTERVALS: readonly StatsInterval[] = ['hour', 'day', 'month'];

/** What to read: `[from, to)`, bucketed by `interval`, with the `top` entries per dimension. */
export interface StatsQuery {
  from: Date;
  to: Date;
  interval: StatsInterval;
  top: number;
}

/** One bucket of the time series; `t` is the bucket start as an ISO-8601 UTC string. */
export interface SeriesPoint {
  t: string;
  clicks: number;
  unique: number;
}

/** One entry of a top-N list. */
export interface TopEntry {
  value: string;
  clicks: number;
}

/** The top-N dimensions of {@link LinkStats}. */
export interface TopDimensions {
  referrers: TopEntry[];
  countries: TopEntry[];
  devices: TopEntry[];
  browsers: TopEntry[];
  os: TopEntry[];
}

/**
 * Stats of one link over a range. `total`, `unique`, `series` and `top` count human
 * clicks only; bot clicks (crawlers, HEAD requests) are counted in `bots` alone.
 */
export interface LinkStats {
  code: string;
  total: number;
  unique: number;
  bots: number;
  /** Every bucket of the range, zero-filled, oldest first. */
  series: SeriesPoint[];
  top: TopDimensions;
}

/** Reads stats back from a sink's storage. */
export interface StatsReader {
  stats(code: string, query: StatsQuery): Promise<LinkStats>;
}

import type { MigrationStep } from '@linkpulse/stores/sqlite';

/**
 * Schema of the SQLite sink, migrated as component `clicks` (see `migrate` in
 * `@linkpulse/stores/sqlite`), so it can share one file with the link store.
 *
 * - `linkpulse_clicks`: one row per event (primary key: the event id, which makes writes
 *   idempotent), kept for the raw retention. Serves range-wide unique visitors and the
 *   top lists of hourly queries. Indexed by (code, ts) for ranges, (code, visitor_id, ts)
 *   for "has this visitor been seen in this bucket" and (ts) for pruning.
 * - `linkpulse_click_counts`: one row per (code, granularity, bucket) with human clicks,
 *   distinct human visitors of the bucket and bot clicks. `granularity` is `hour`, `day`
 *   or `month` (a `StatsInterval`); `bucket` is the bucket start in epoch ms.
 * - `linkpulse_click_tops`: human clicks per (code, granularity `day` | `month`, bucket,
 *   dimension, value) for the top lists; `dimension` is a key of `TopDimensions`.
 *
 * One table per kind with a granularity column instead of a table per interval keeps the
 * statements and the pruning the same for every interval. All tables are WITHOUT ROWID:
 * the primary key is the only lookup path besides the listed indexes.
 */
export const CLICK_MIGRATIONS: readonly MigrationStep[] = [
  `CREATE TABLE linkpulse_clicks (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL,
    ts INTEGER NOT NULL,
    visitor_id TEXT NOT NULL,
    bot INTEGER NOT NULL,
    device TEXT NOT NULL,
    browser TEXT NOT NULL,
    os TEXT NOT NULL,
    country TEXT,
    referer_host TEXT,
    method TEXT NOT NULL,
    utm_source TEXT,
    utm_medium TEXT,
    utm_campaign TEXT,
    utm_term TEXT,
    utm_content TEXT
  ) WITHOUT ROWID;
  CREATE INDEX linkpulse_clicks_code_ts ON linkpulse_clicks (code, ts);
  CREATE INDEX linkpulse_clicks_code_visitor ON linkpulse_clicks (code, visitor_id, ts);
  CREATE INDEX linkpulse_clicks_ts ON linkpulse_clicks (ts);
  CREATE TABLE linkpulse_click_counts (
    code TEXT NOT NULL,
    granularity TEXT NOT NULL,
    bucket INTEGER NOT NULL,
    clicks INTEGER NOT NULL,
    uniques INTEGER NOT NULL,
    bots INTEGER NOT NULL,
    PRIMARY KEY (code, granularity, bucket)
  ) WITHOUT ROWID;
  CREATE INDEX linkpulse_click_counts_age ON linkpulse_click_counts (granularity, bucket);
  CREATE TABLE linkpulse_click_tops (
    code TEXT NOT NULL,
    granularity TEXT NOT NULL,
    bucket INTEGER NOT NULL,
    dimension TEXT NOT NULL,
    value TEXT NOT NULL,
    clicks INTEGER NOT NULL,
    PRIMARY KEY (code, granularity, bucket, dimension, value)
  ) WITHOUT ROWID;
  CREATE INDEX linkpulse_click_tops_age ON linkpulse_click_tops (granularity, bucket);`,
];

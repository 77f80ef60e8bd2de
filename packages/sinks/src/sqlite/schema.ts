import { STATS_INTERVALS } from '@linkpulse/core';
import type { MigrationStep } from '@linkpulse/stores/sqlite';
import { bucketSql, dimensionRowsSql, TOP_COLUMNS } from './levels.js';

/**
 * Version 1 (first release): raw events keyed by id with three indexes led by the code,
 * aggregates keyed by code first. Kept as released; version 2 rebuilds it.
 */
const V1 = `CREATE TABLE linkpulse_clicks (
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
  CREATE INDEX linkpulse_click_tops_age ON linkpulse_click_tops (granularity, bucket);`;

/** The columns of the raw table in both versions. */
const RAW_EVENT_COLUMNS = `id, code, ts, visitor_id, bot, device, browser, os, country, referer_host,
  method, utm_source, utm_medium, utm_campaign, utm_term, utm_content`;

/** Rebuilds `table` as `create` (with `columns` of the old one), copying its rows in `order`. */
function rebuild(table: string, create: string, columns: string, order: string): string {
  return `ALTER TABLE ${table} RENAME TO ${table}_v1;
  ${create};
  INSERT INTO ${table} (${columns}) SELECT ${columns} FROM ${table}_v1 ORDER BY ${order};
  DROP TABLE ${table}_v1;`;
}

/**
 * Version 2: every table is laid out so that a batch of recent clicks writes to few pages
 * (a click used to touch a page per code in each of five indexes and tables).
 *
 * - `linkpulse_clicks` is rebuilt with an insertion sequence `seq` as its key, `id` unique
 *   beside it and the time index; the per-code indexes go. Events past `folded_seq` in
 *   `linkpulse_click_state` are not folded into the aggregates yet; all events kept at
 *   the migration are (version 1 counted them at write time).
 * - `linkpulse_click_counts` and `linkpulse_click_tops` are rebuilt keyed by time first
 *   (granularity, bucket, code, ...), so the rows of the current hour, day and month sit
 *   together; readers seek each bucket of a range. Top lists gain `hour` rows, built from
 *   the raw events kept (version 1 counted hourly top lists from raw events).
 * - `linkpulse_click_visitors` holds the distinct human visitors of each (granularity,
 *   bucket, code) while raw events are kept, built from the raw events kept (version 1
 *   looked them up in the raw events).
 */
const V2 = `${rebuild(
  'linkpulse_clicks',
  `CREATE TABLE linkpulse_clicks (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
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
  )`,
  RAW_EVENT_COLUMNS,
  'ts, id',
)}
  CREATE INDEX linkpulse_clicks_ts ON linkpulse_clicks (ts);
  CREATE TABLE linkpulse_click_state (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
  INSERT INTO linkpulse_click_state (name, value)
    SELECT 'folded_seq', IFNULL(MAX(seq), 0) FROM linkpulse_clicks;

  ${rebuild(
    'linkpulse_click_counts',
    `CREATE TABLE linkpulse_click_counts (
    granularity TEXT NOT NULL,
    bucket INTEGER NOT NULL,
    code TEXT NOT NULL,
    clicks INTEGER NOT NULL,
    uniques INTEGER NOT NULL,
    bots INTEGER NOT NULL,
    PRIMARY KEY (granularity, bucket, code)
  ) WITHOUT ROWID`,
    'granularity, bucket, code, clicks, uniques, bots',
    'granularity, bucket, code',
  )}

  ${rebuild(
    'linkpulse_click_tops',
    `CREATE TABLE linkpulse_click_tops (
    granularity TEXT NOT NULL,
    bucket INTEGER NOT NULL,
    code TEXT NOT NULL,
    dimension TEXT NOT NULL,
    value TEXT NOT NULL,
    clicks INTEGER NOT NULL,
    PRIMARY KEY (granularity, bucket, code, dimension, value)
  ) WITHOUT ROWID`,
    'granularity, bucket, code, dimension, value, clicks',
    'granularity, bucket, code, dimension, value',
  )}
  INSERT INTO linkpulse_click_tops (granularity, bucket, code, dimension, value, clicks)
    WITH h AS (
      SELECT ${bucketSql('hour', 'ts')} AS bucket, code, ${TOP_COLUMNS}
      FROM linkpulse_clicks WHERE bot = 0
    )
    SELECT 'hour', bucket, code, dimension, value, COUNT(*)
    FROM (${dimensionRowsSql('h', 'bucket, code')})
    GROUP BY bucket, code, dimension, value ORDER BY bucket, code, dimension, value;

  CREATE TABLE linkpulse_click_visitors (
    granularity TEXT NOT NULL,
    bucket INTEGER NOT NULL,
    code TEXT NOT NULL,
    visitor_id TEXT NOT NULL,
    PRIMARY KEY (granularity, bucket, code, visitor_id)
  ) WITHOUT ROWID;
  ${STATS_INTERVALS.map(
    (interval) => `INSERT INTO linkpulse_click_visitors (granularity, bucket, code, visitor_id)
    SELECT DISTINCT '${interval}', ${bucketSql(interval, 'ts')} AS bucket, code, visitor_id
    FROM linkpulse_clicks WHERE bot = 0 ORDER BY 2, 3, 4;`,
  ).join('\n  ')}`;

/**
 * Schema of the SQLite sink, migrated as component `clicks` (see `migrate` in
 * `@linkpulse/stores/sqlite`), so it can share one file with the link store. Version 1
 * is the first release; version 2 is the layout below.
 *
 * - `linkpulse_clicks`: one row per event, in insertion order (`seq`), unique by event id
 *   (which makes writes idempotent), kept for the raw retention, indexed by time.
 * - `linkpulse_click_state`: `folded_seq`, the last raw event folded into the aggregates.
 * - `linkpulse_click_counts`: human clicks, visitors new to the bucket and bot clicks per
 *   (granularity, bucket, code). `granularity` is `hour`, `day` or `month` (a
 *   `StatsInterval`); `bucket` is the bucket start in epoch ms.
 * - `linkpulse_click_tops`: human clicks per (granularity, bucket, code, dimension, value);
 *   `dimension` is a key of `TopDimensions`.
 * - `linkpulse_click_visitors`: distinct human visitors per (granularity, bucket, code),
 *   kept for the raw retention.
 *
 * One table per kind with a granularity column instead of a table per interval keeps the
 * statements and the pruning the same for every interval. Aggregates and visitor sets are
 * keyed by time first, so writing the current buckets touches few pages.
 */
export const CLICK_MIGRATIONS: readonly MigrationStep[] = [V1, V2];

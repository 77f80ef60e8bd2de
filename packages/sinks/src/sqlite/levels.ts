import { STATS_DIMENSIONS, type StatsDimension, type StatsInterval } from '@linkpulse/core';

// SQL shared by the schema's version 2, the fold and the stats reads. A released
// migration must not change: edit these only in ways that leave its SQL as it is.

/** The raw-event column behind each top-list dimension. */
const RAW_COLUMNS: Readonly<Record<StatsDimension, string>> = {
  referrers: 'referer_host',
  countries: 'country',
  devices: 'device',
  browsers: 'browser',
  os: 'os',
};

/** The raw-event columns of every top-list dimension, comma-separated. */
export const TOP_COLUMNS = STATS_DIMENSIONS.map((dimension) => RAW_COLUMNS[dimension]).join(', ');

/**
 * SQL for the start (epoch ms) of the bucket containing the epoch-ms expression `ts`,
 * computed as `bucketStart` in `@linkpulse/core` does (floor of a float division; the UTC
 * month start).
 */
export function bucketSql(interval: StatsInterval, ts: string): string {
  switch (interval) {
    case 'hour':
      return `CAST(floor((${ts}) / 3600000.0) AS INTEGER) * 3600000`;
    case 'day':
      return `CAST(floor((${ts}) / 86400000.0) AS INTEGER) * 86400000`;
    case 'month':
      return `unixepoch((${ts}) / 1000.0, 'unixepoch', 'start of month') * 1000`;
  }
}

/**
 * The granularities, coarsest first, with their depth: a visitor new to a month is new to
 * its day and hour, and one new to a day is new to its hour. A subquery with columns
 * `granularity` and `depth`.
 */
export const LEVELS = `(SELECT 'month' AS granularity, 1 AS depth
  UNION ALL SELECT 'day', 2 UNION ALL SELECT 'hour', 3)`;

/** The bucket of a level (alias `level`) of a row with `hour`, `day` and `month` columns. */
export function levelBucket(level: string): string {
  return `CASE ${level}.depth WHEN 1 THEN month WHEN 2 THEN day ELSE hour END`;
}

/**
 * Columns `hour`, `day` and `month` for each distinct `hour` of `rows` (a table or
 * subquery with an `hour` column of hour starts): each hour lies in one day and month.
 */
export function hourBuckets(rows: string): string {
  return `(SELECT hour, ${bucketSql('day', 'hour')} AS day, ${bucketSql('month', 'hour')} AS month
    FROM (SELECT DISTINCT hour FROM ${rows}))`;
}

/**
 * One row (the columns listed in `columns`, then `dimension` and `value`) per top-list
 * value of each row of `source`, whose top-list columns are named as in the raw table.
 */
export function dimensionRowsSql(source: string, columns: string): string {
  return STATS_DIMENSIONS.map((dimension) => {
    const column = RAW_COLUMNS[dimension];
    return `SELECT ${columns}, '${dimension}' AS dimension, ${column} AS value
      FROM ${source} WHERE ${column} IS NOT NULL`;
  }).join(' UNION ALL ');
}

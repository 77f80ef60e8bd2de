import type { ClickHouseClient } from '@clickhouse/client';
import {
  type BucketRow,
  STATS_DIMENSIONS,
  type StatsDimension,
  type StatsQuery,
  type StatsRows,
  type TopRow,
} from '@linkpulse/core';
import { dateTimeText } from './rows.js';
import { ROLLUP_TABLES } from './tables.js';

// Every value reaches ClickHouse as a query parameter: the code, the range, the top-N
// limit, and the database and table names (as `Identifier` parameters, the table picked
// from ROLLUP_TABLES by the already validated interval).

const RANGE = `FROM {db:Identifier}.{table:Identifier}
WHERE code = {code:String}
  AND bucket >= {from:DateTime('UTC')} AND bucket < {to:DateTime('UTC')}`;

/** Per-bucket counts, unique visitors merged per bucket. */
const SERIES_SQL = `SELECT toUnixTimestamp(bucket) AS t,
  sum(clicks) AS clicks,
  sum(bots) AS bots,
  uniqCombined64Merge(visitors) AS unique
${RANGE}
GROUP BY bucket
ORDER BY bucket`;

/** Unique visitors of the whole range: every bucket's state merged into one. */
const UNIQUE_SQL = `SELECT uniqCombined64Merge(visitors) AS unique
${RANGE}`;

/** The `top` values with most human clicks per dimension (ties by value). */
const TOP_SQL = `SELECT dim, value, sum(clicks) AS clicks
${RANGE}
GROUP BY dim, value
ORDER BY dim, clicks DESC, value
LIMIT {top:UInt32} BY dim`;

/** `UInt64` arrives as a JSON number or, on servers quoting 64-bit integers, a string. */
type Count = number | string;

const isDimension = (value: string): value is StatsDimension =>
  (STATS_DIMENSIONS as readonly string[]).includes(value);

/**
 * Reads one link's rows for `buildLinkStats` from the aggregate tables of the query's
 * interval only, merging the unique-visitor states. `range` must be normalised (whole
 * buckets), so the aggregates answer it exactly.
 */
export async function readStatsRows(
  client: ClickHouseClient,
  database: string,
  code: string,
  range: StatsQuery,
): Promise<StatsRows> {
  const tables = ROLLUP_TABLES[range.interval];
  const where = {
    db: database,
    code,
    from: dateTimeText(range.from.getTime(), false),
    to: dateTimeText(range.to.getTime(), false),
  };
  const read = async <T>(query: string, params: Record<string, unknown>): Promise<T[]> => {
    const result = await client.query({
      query,
      query_params: { ...where, ...params },
      format: 'JSONEachRow',
    });
    return result.json<T>();
  };
  const [series, unique, top] = await Promise.all([
    read<{ t: Count; clicks: Count; bots: Count; unique: Count }>(SERIES_SQL, {
      table: tables.totals,
    }),
    read<{ unique: Count }>(UNIQUE_SQL, { table: tables.totals }),
    read<{ dim: string; value: string; clicks: Count }>(TOP_SQL, {
      table: tables.top,
      top: range.top,
    }),
  ]);
  return {
    series: series.map(
      (row): BucketRow => ({
        bucket: Number(row.t) * 1000,
        clicks: Number(row.clicks),
        unique: Number(row.unique),
        bots: Number(row.bots),
      }),
    ),
    unique: Number(unique[0]?.unique ?? 0),
    top: top.flatMap((row): TopRow[] =>
      isDimension(row.dim)
        ? [{ dimension: row.dim, value: row.value, clicks: Number(row.clicks) }]
        : [],
    ),
  };
}

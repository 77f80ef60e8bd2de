import {
  type BucketRow,
  nextBucketStart,
  STATS_INTERVALS,
  type StatsInterval,
  type StatsQuery,
  type StatsRows,
  type TopRow,
} from '@linkpulse/core';
import type { Database, Statement } from 'better-sqlite3';
import { bucketSql, dimensionRowsSql } from './levels.js';

interface ReadParams {
  code: string;
  /** JSON array of the bucket starts of the range. */
  buckets: string;
  from: number;
  to: number;
}

interface IntervalStatements {
  series: Statement<[ReadParams], BucketRow>;
  unique: Statement<[ReadParams], number>;
  top: Statement<[ReadParams & { top: number }], TopRow>;
}

/**
 * The rows of `table` for `@code` in each bucket of `@buckets`, as a subquery aliased `t`:
 * one primary-key seek per bucket, as the tables are keyed by (granularity, bucket, code,
 * ...). `CROSS JOIN` keeps the bucket list the outer loop.
 */
function perBucket(table: string, interval: StatsInterval): string {
  return `(SELECT r.* FROM json_each(@buckets) AS b CROSS JOIN ${table} AS r
    WHERE r.granularity = '${interval}' AND r.bucket = b.value AND r.code = @code) AS t`;
}

/**
 * The raw events of `@code` past `folded_seq` (not in the aggregates yet) whose bucket
 * (column `bucket`) lies in the range. They are found by `seq`, at most a fold's worth.
 */
function unfolded(interval: StatsInterval): string {
  return `SELECT * FROM (
      SELECT ${bucketSql(interval, 'ts')} AS bucket, * FROM linkpulse_clicks
      WHERE seq > (SELECT value FROM linkpulse_click_state WHERE name = 'folded_seq')
        AND code = @code
    ) WHERE bucket >= @from AND bucket < @to`;
}

/** The `top` highest rows per dimension of `source` (columns dimension, value, clicks). */
function ranked(source: string): string {
  return `SELECT dimension, value, clicks FROM (
      SELECT dimension, value, clicks,
        ROW_NUMBER() OVER (PARTITION BY dimension ORDER BY clicks DESC, value) AS position
      FROM (${source})
    ) WHERE position <= @top`;
}

function prepareInterval(db: Database, interval: StatsInterval): IntervalStatements {
  return {
    // Unfolded events add their clicks, and their visitors not yet in the bucket's set.
    series: db.prepare(
      `WITH u AS MATERIALIZED (${unfolded(interval)})
       SELECT t.bucket, t.clicks, t.uniques AS "unique", t.bots
       FROM ${perBucket('linkpulse_click_counts', interval)}
       UNION ALL
       SELECT bucket, SUM(bot = 0), 0, SUM(bot) FROM u GROUP BY bucket
       UNION ALL
       SELECT bucket, 0, COUNT(*), 0
       FROM (SELECT DISTINCT bucket, visitor_id FROM u WHERE bot = 0) AS v
       WHERE NOT EXISTS (
         SELECT 1 FROM linkpulse_click_visitors AS s WHERE s.granularity = '${interval}'
           AND s.bucket = v.bucket AND s.code = @code AND s.visitor_id = v.visitor_id
       )
       GROUP BY bucket`,
    ),
    unique: db
      .prepare(
        `SELECT COUNT(DISTINCT visitor_id) FROM (
           SELECT t.visitor_id FROM ${perBucket('linkpulse_click_visitors', interval)}
           UNION ALL
           SELECT visitor_id FROM (${unfolded(interval)}) WHERE bot = 0
         )`,
      )
      .pluck() as Statement<[ReadParams], number>,
    top: db.prepare(
      `WITH u AS MATERIALIZED (SELECT * FROM (${unfolded(interval)}) WHERE bot = 0)
       ${ranked(
         `SELECT dimension, value, SUM(clicks) AS clicks FROM (
            SELECT t.dimension, t.value, t.clicks
            FROM ${perBucket('linkpulse_click_tops', interval)}
            UNION ALL
            SELECT dimension, value, 1 FROM (${dimensionRowsSql('u', 'bucket')})
          ) GROUP BY dimension, value`,
       )}`,
    ),
  };
}

/**
 * Prepares the stats reads of the SQLite sink: the series, the range-wide unique count
 * and the top lists of a normalised query, each from the aggregates (one seek per bucket
 * of the range) plus the code's raw events not folded yet, in one read transaction, so
 * that a fold committed in between cannot count an event twice or miss it.
 */
export function prepareStatsReader(db: Database): (code: string, query: StatsQuery) => StatsRows {
  const statements = new Map(
    STATS_INTERVALS.map((interval) => [interval, prepareInterval(db, interval)]),
  );
  const read = db.transaction((code: string, query: StatsQuery): StatsRows => {
    const { series, unique, top } = statements.get(query.interval)!;
    const from = query.from.getTime();
    const to = query.to.getTime();
    const starts: number[] = [];
    for (let t = from; t < to; t = nextBucketStart(t, query.interval)) starts.push(t);
    const params = { code, buckets: JSON.stringify(starts), from, to };
    return {
      series: series.all(params),
      unique: unique.get(params) ?? 0,
      top: top.all({ ...params, top: query.top }),
    };
  });
  return (code, query) => read(code, query);
}

import type { Database } from 'better-sqlite3';
import {
  bucketSql,
  dimensionRowsSql,
  hourBuckets,
  LEVELS,
  levelBucket,
  TOP_COLUMNS,
} from './levels.js';

/** Raw events not yet folded, between two `seq` values (parameters `@from`, `@to`). */
const TAIL = 'SELECT * FROM linkpulse_clicks WHERE seq > @from AND seq <= @to';
const HOUR = bucketSql('hour', 'ts');
const BUCKET = levelBucket('l');

/** Folds the raw events with `from < seq <= to` into the aggregates. */
export type Fold = (range: { from: number; to: number }) => void;

/**
 * "The visitor set of granularity `granularity` holds the visitor of row `v` in `v`'s
 * bucket (column `granularity`) for `v`'s code".
 */
function known(granularity: string): string {
  return `EXISTS (SELECT 1 FROM linkpulse_click_visitors AS s WHERE s.granularity = '${granularity}'
    AND s.bucket = v.${granularity} AND s.code = v.code AND s.visitor_id = v.visitor_id)`;
}

/**
 * Prepares the fold: adds the raw events of a `seq` range to the counts, top lists and
 * visitor sets of their hour, day and month in a few set-wise statements, each upserting
 * a (granularity, bucket, code, ...) row once for all its events, in key order. The
 * caller runs it inside a write transaction and moves `folded_seq`.
 *
 * A visitor is new to a bucket when its visitor set does not hold them yet. The sets nest
 * (whoever is in an hour's set is in its day's and month's), so each distinct (code,
 * visitor, hour) looks up the month first; a visitor the month knows, the hour next (if
 * it knows them too, so does the day), then the day. `new_from` is the depth of the
 * coarsest bucket the visitor is new to (see `LEVELS`), 4 for none.
 */
export function prepareFold(db: Database): Fold {
  db.exec(
    `CREATE TEMP TABLE IF NOT EXISTS linkpulse_fold_visitors (
      granularity TEXT NOT NULL,
      bucket INTEGER NOT NULL,
      code TEXT NOT NULL,
      visitor_id TEXT NOT NULL,
      PRIMARY KEY (granularity, bucket, code, visitor_id)
    ) WITHOUT ROWID`,
  );
  const findNewVisitors = db.prepare(
    `WITH d AS MATERIALIZED (
       SELECT DISTINCT code, visitor_id, ${HOUR} AS hour FROM (${TAIL}) WHERE bot = 0
     ),
     v AS (SELECT * FROM d JOIN ${hourBuckets('d')} USING (hour)),
     h AS MATERIALIZED (
       SELECT v.*, CASE WHEN NOT ${known('month')} THEN 1 WHEN ${known('hour')} THEN 4
         WHEN ${known('day')} THEN 3 ELSE 2 END AS new_from
       FROM v
     )
     INSERT INTO temp.linkpulse_fold_visitors (granularity, bucket, code, visitor_id)
     SELECT l.granularity, ${BUCKET}, code, visitor_id FROM h JOIN ${LEVELS} AS l
       ON l.depth >= h.new_from
     WHERE true ON CONFLICT DO NOTHING`, // new in two hours of one day: one visitor of the day
  );
  const addNewVisitors = db.prepare(
    `INSERT INTO linkpulse_click_visitors (granularity, bucket, code, visitor_id)
     SELECT granularity, bucket, code, visitor_id FROM temp.linkpulse_fold_visitors`,
  );
  const addCounts = db.prepare(
    `WITH h AS MATERIALIZED (
       SELECT code, ${HOUR} AS hour, SUM(bot = 0) AS clicks, SUM(bot) AS bots
       FROM (${TAIL}) GROUP BY code, hour
     ),
     parts AS (
       SELECT l.granularity, ${BUCKET} AS bucket, code, clicks, 0 AS uniques, bots
       FROM h JOIN ${hourBuckets('h')} USING (hour), ${LEVELS} AS l
       UNION ALL
       SELECT granularity, bucket, code, 0, COUNT(*), 0 FROM temp.linkpulse_fold_visitors
       GROUP BY granularity, bucket, code
     )
     INSERT INTO linkpulse_click_counts (granularity, bucket, code, clicks, uniques, bots)
     SELECT granularity, bucket, code, SUM(clicks), SUM(uniques), SUM(bots) FROM parts
     GROUP BY granularity, bucket, code ORDER BY granularity, bucket, code
     ON CONFLICT (granularity, bucket, code) DO UPDATE SET clicks = clicks + excluded.clicks,
       uniques = uniques + excluded.uniques, bots = bots + excluded.bots`,
  );
  // Human events grouped by hour and every top-list column first (few groups), then one
  // row per (hour, dimension, value), then per bucket.
  const addTops = db.prepare(
    `WITH e AS MATERIALIZED (
       SELECT code, ${HOUR} AS hour, ${TOP_COLUMNS}, COUNT(*) AS clicks
       FROM (${TAIL}) WHERE bot = 0 GROUP BY code, hour, ${TOP_COLUMNS}
     ),
     h AS MATERIALIZED (
       SELECT code, hour, dimension, value, SUM(clicks) AS clicks
       FROM (${dimensionRowsSql('e', 'code, hour, clicks')})
       GROUP BY code, hour, dimension, value
     )
     INSERT INTO linkpulse_click_tops (granularity, bucket, code, dimension, value, clicks)
     SELECT l.granularity, ${BUCKET} AS bucket, code, dimension, value, SUM(clicks)
     FROM h JOIN ${hourBuckets('h')} USING (hour), ${LEVELS} AS l
     GROUP BY l.granularity, bucket, code, dimension, value
     ORDER BY l.granularity, bucket, code, dimension, value
     ON CONFLICT (granularity, bucket, code, dimension, value)
       DO UPDATE SET clicks = clicks + excluded.clicks`,
  );
  const clearNewVisitors = db.prepare('DELETE FROM temp.linkpulse_fold_visitors');
  return (range) => {
    findNewVisitors.run(range);
    addNewVisitors.run();
    addCounts.run(range);
    addTops.run(range);
    clearNewVisitors.run();
  };
}

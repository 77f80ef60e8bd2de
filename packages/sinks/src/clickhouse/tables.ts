import type { StatsInterval } from '@linkpulse/core';

/** Database the schema lives in unless configured otherwise. */
export const DEFAULT_DATABASE = 'linkpulse';

/** Raw click events, one row per click. */
export const RAW_TABLE = 'clicks';

/** Applied schema versions. */
export const MIGRATIONS_TABLE = 'schema_migrations';

/** The two aggregate tables of one granularity: counts per bucket and top dimensions. */
export interface RollupTables {
  /** `(code, bucket)` → clicks, bots, unique-visitor state. */
  totals: string;
  /** `(code, bucket, dim, value)` → human clicks. */
  top: string;
}

/**
 * The aggregate tables per interval: the only table names a stats query can reach. A
 * query picks its tables from this map by interval, never from its input.
 */
export const ROLLUP_TABLES: Readonly<Record<StatsInterval, RollupTables>> = {
  hour: { totals: 'clicks_hourly', top: 'clicks_top_hourly' },
  day: { totals: 'clicks_daily', top: 'clicks_top_daily' },
  month: { totals: 'clicks_monthly', top: 'clicks_top_monthly' },
};

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * Checks a configured database name: letters, digits and `_`, not starting with a digit.
 * Throws a `RangeError` otherwise, so that a name can be placed in DDL as it is.
 */
export function checkDatabaseName(database: string): string {
  if (!IDENTIFIER.test(database)) {
    throw new RangeError(
      `ClickHouse database name must match ${IDENTIFIER.source}: ${JSON.stringify(database)}`,
    );
  }
  return database;
}

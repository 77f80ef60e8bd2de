/**
 * ClickHouse sink and stats reader for LinkPulse (`@clickhouse/client`): `migrate` creates
 * the raw `clicks` table and its hourly, daily and monthly aggregates; `ClickHouseSink`
 * writes one INSERT per worker batch, idempotent under redelivery, and reads stats from
 * the aggregates only. Schema, guarantees and recommended client settings: see the README.
 * @module @linkpulse/sinks/clickhouse
 */

export { ClickHouseSink, type ClickHouseSinkOptions } from './clickhouse-sink.js';
export { ClickHouseSinkError, isTransientError } from './errors.js';
export { type RawClickRow, toRawRow } from './rows.js';
export { type ClickHouseSchemaOptions, type MigrateResult, migrate } from './schema.js';
export {
  DEFAULT_DATABASE,
  MIGRATIONS_TABLE,
  RAW_TABLE,
  ROLLUP_TABLES,
  type RollupTables,
} from './tables.js';

import type { ClickHouseClient } from '@clickhouse/client';
import {
  checkDatabaseName,
  DEFAULT_DATABASE,
  MIGRATIONS_TABLE,
  RAW_TABLE,
  ROLLUP_TABLES,
  type RollupTables,
} from './tables.js';

/** Options of {@link migrate}. Retention in days; `null` keeps rows forever. */
export interface ClickHouseSchemaOptions {
  /** Database to create the tables in (created if missing). Default `linkpulse`. */
  database?: string;
  /** Raw events (`clicks`). Default 90 days. */
  rawTtlDays?: number | null;
  /** Hourly aggregates (`clicks_hourly`, `clicks_top_hourly`). Default 90 days. */
  hourlyTtlDays?: number | null;
  /** Daily aggregates (`clicks_daily`, `clicks_top_daily`). Default 730 days. */
  dailyTtlDays?: number | null;
  /** Monthly aggregates (`clicks_monthly`, `clicks_top_monthly`). Default `null` (forever). */
  monthlyTtlDays?: number | null;
  /**
   * Insert-block hashes each table remembers for insert deduplication
   * (`non_replicated_deduplication_window`). Default 10,000.
   */
  deduplicationWindow?: number;
}

/** {@link ClickHouseSchemaOptions} with every field set and checked. */
export interface SchemaSettings {
  /** The database, checked. */
  db: string;
  /** Retention of the raw table, days (`null`: forever). */
  rawTtlDays: number | null;
  /** Retention of the hourly aggregates, days (`null`: forever). */
  hourlyTtlDays: number | null;
  /** Retention of the daily aggregates, days (`null`: forever). */
  dailyTtlDays: number | null;
  /** Retention of the monthly aggregates, days (`null`: forever). */
  monthlyTtlDays: number | null;
  /** `non_replicated_deduplication_window` of every table. */
  deduplicationWindow: number;
}

/** What {@link migrate} did. */
export interface MigrateResult {
  /** Versions applied by this call, oldest first (empty when the schema was current). */
  applied: number[];
  /** Newest version of the schema now in place. */
  version: number;
}

/** One schema version: statements that are each safe to run again. */
export interface Migration {
  /** Its number: versions are applied in increasing order, each once. */
  version: number;
  /** What it does, recorded with the version. */
  name: string;
  /** Its DDL for a database and retention settings. */
  statements(settings: SchemaSettings): string[];
}

function ttlClause(column: string, days: number | null): string {
  return days === null ? '' : `\nTTL ${column} + INTERVAL ${days} DAY`;
}

/** Lets every table deduplicate retried inserts (and views take part, see the sink). */
function dedupSettings(s: SchemaSettings): string {
  return `SETTINGS non_replicated_deduplication_window = ${s.deduplicationWindow}`;
}

/** The raw table: a ReplacingMergeTree so that a row written twice collapses to one. */
function rawTable(s: SchemaSettings): string {
  return `CREATE TABLE IF NOT EXISTS \`${s.db}\`.${RAW_TABLE} (
  id String,
  code String,
  ts DateTime64(3, 'UTC'),
  visitor_id String,
  ip_prefix String,
  ua String,
  referer String,
  referer_host LowCardinality(String),
  method LowCardinality(String),
  device LowCardinality(String),
  browser LowCardinality(String),
  os LowCardinality(String),
  country LowCardinality(String),
  bot Bool,
  utm_source LowCardinality(String),
  utm_medium LowCardinality(String),
  utm_campaign String,
  utm_term String,
  utm_content String
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (code, ts, id)${ttlClause('toDateTime(ts)', s.rawTtlDays)}
${dedupSettings(s)}`;
}

/** One granularity of aggregates: its bucket function, partitioning and retention. */
interface Granularity {
  tables: RollupTables;
  bucket: string;
  partition: string;
  ttlDays(s: SchemaSettings): number | null;
}

const GRANULARITIES: readonly Granularity[] = [
  {
    tables: ROLLUP_TABLES.hour,
    bucket: 'toStartOfHour(ts)',
    partition: 'toYYYYMM(bucket)',
    ttlDays: (s) => s.hourlyTtlDays,
  },
  {
    tables: ROLLUP_TABLES.day,
    bucket: 'toStartOfDay(ts)',
    partition: 'toYear(bucket)',
    ttlDays: (s) => s.dailyTtlDays,
  },
  {
    tables: ROLLUP_TABLES.month,
    bucket: 'toStartOfMonth(ts)',
    partition: 'tuple()',
    ttlDays: (s) => s.monthlyTtlDays,
  },
];

/**
 * Aggregates of one granularity: a totals table (human clicks, bots, unique-visitor
 * state per code and bucket), a top table (human clicks per code, bucket, dimension and
 * value; unknown values left out) and the materialized views that fill both on insert.
 */
function rollup(s: SchemaSettings, g: Granularity): string[] {
  const db = `\`${s.db}\``;
  const ttl = ttlClause('bucket', g.ttlDays(s));
  const bucket = `toDateTime(${g.bucket}, 'UTC') AS bucket`;
  return [
    `CREATE TABLE IF NOT EXISTS ${db}.${g.tables.totals} (
  code String,
  bucket DateTime('UTC'),
  clicks SimpleAggregateFunction(sum, UInt64),
  bots SimpleAggregateFunction(sum, UInt64),
  visitors AggregateFunction(uniqCombined64, String)
)
ENGINE = AggregatingMergeTree
PARTITION BY ${g.partition}
ORDER BY (code, bucket)${ttl}
${dedupSettings(s)}`,
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.${g.tables.totals}_mv TO ${db}.${g.tables.totals} AS
SELECT code, ${bucket},
  countIf(NOT bot) AS clicks,
  countIf(bot) AS bots,
  uniqCombined64StateIf(visitor_id, NOT bot) AS visitors
FROM ${db}.${RAW_TABLE}
GROUP BY code, bucket`,
    `CREATE TABLE IF NOT EXISTS ${db}.${g.tables.top} (
  code String,
  bucket DateTime('UTC'),
  dim LowCardinality(String),
  value String,
  clicks SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY ${g.partition}
ORDER BY (code, bucket, dim, value)${ttl}
${dedupSettings(s)}`,
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.${g.tables.top}_mv TO ${db}.${g.tables.top} AS
SELECT code, ${bucket}, d.1 AS dim, toString(d.2) AS value, count() AS clicks
FROM ${db}.${RAW_TABLE}
ARRAY JOIN [
  ('referrers', referer_host), ('countries', country), ('devices', device),
  ('browsers', browser), ('os', os)
] AS d
WHERE NOT bot AND d.2 != ''
GROUP BY code, bucket, dim, value`,
  ];
}

/**
 * The raw table's `insert_token`: the `insert_deduplication_token` of the insert that wrote
 * each row, computed by the server (`MATERIALIZED`: an insert cannot send it, and
 * `SELECT *` leaves it out). Rows written before the column existed, or by an insert
 * without a token, read `''`. The sink looks an insert of unknown outcome up by it.
 */
function insertTokenColumn(s: SchemaSettings): string {
  return `ALTER TABLE \`${s.db}\`.${RAW_TABLE}
  ADD COLUMN IF NOT EXISTS insert_token LowCardinality(String)
  MATERIALIZED getSetting('insert_deduplication_token')`;
}

/** Every schema version, oldest first. Append new versions; never edit applied ones. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'raw clicks, hourly/daily/monthly aggregates and top dimensions',
    // The raw table comes first, each view right after its target, so every view sees
    // every insert from the moment it exists.
    statements: (s) => [rawTable(s), ...GRANULARITIES.flatMap((g) => rollup(s, g))],
  },
  {
    version: 2,
    name: 'raw clicks record the deduplication token of the insert that wrote them',
    statements: (s) => [insertTokenColumn(s)],
  },
];

function ttlDays(name: string, value: number | null | undefined, fallback: number | null) {
  if (value === undefined) return fallback;
  if (value !== null && !(Number.isInteger(value) && value > 0)) {
    throw new RangeError(`${name} must be a positive integer or null, got ${value}`);
  }
  return value;
}

/** Completes and checks {@link ClickHouseSchemaOptions}; throws a `RangeError` for nonsense. */
function schemaSettings(options: ClickHouseSchemaOptions): SchemaSettings {
  const deduplicationWindow = options.deduplicationWindow ?? 10_000;
  if (!Number.isInteger(deduplicationWindow) || deduplicationWindow < 1) {
    throw new RangeError(`deduplicationWindow must be a positive integer`);
  }
  return {
    db: checkDatabaseName(options.database ?? DEFAULT_DATABASE),
    rawTtlDays: ttlDays('rawTtlDays', options.rawTtlDays, 90),
    hourlyTtlDays: ttlDays('hourlyTtlDays', options.hourlyTtlDays, 90),
    dailyTtlDays: ttlDays('dailyTtlDays', options.dailyTtlDays, 730),
    monthlyTtlDays: ttlDays('monthlyTtlDays', options.monthlyTtlDays, null),
    deduplicationWindow,
  };
}

/**
 * Creates or upgrades the LinkPulse schema in `options.database`: the database, a
 * `schema_migrations` table, then every migration not recorded there yet. Each statement
 * is idempotent (`IF NOT EXISTS`), so concurrent or interrupted runs are harmless.
 * Retention options apply when a table is created; change them later with
 * `ALTER TABLE … MODIFY TTL`. Server errors are thrown as they come.
 */
export function migrate(
  client: ClickHouseClient,
  options: ClickHouseSchemaOptions = {},
): Promise<MigrateResult> {
  return applyMigrations(client, options, MIGRATIONS);
}

/**
 * {@link migrate} with the versions to apply given, oldest first: `MIGRATIONS.slice(0, n)`
 * makes the schema of version `n` (as an older release left it), for upgrade tests.
 */
export async function applyMigrations(
  client: ClickHouseClient,
  options: ClickHouseSchemaOptions,
  migrations: readonly Migration[],
): Promise<MigrateResult> {
  const settings = schemaSettings(options);
  const db = `\`${settings.db}\``;
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${db}` });
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${db}.${MIGRATIONS_TABLE} (
  version UInt32,
  name String,
  applied_at DateTime('UTC') DEFAULT now()
)
ENGINE = ReplacingMergeTree
ORDER BY version`,
  });
  const result = await client.query({
    query: `SELECT DISTINCT version FROM {db:Identifier}.{table:Identifier}`,
    query_params: { db: settings.db, table: MIGRATIONS_TABLE },
    format: 'JSONEachRow',
  });
  const done = new Set(
    (await result.json<{ version: number | string }>()).map((r) => Number(r.version)),
  );
  const applied: number[] = [];
  for (const migration of migrations) {
    if (done.has(migration.version)) continue;
    for (const query of migration.statements(settings)) await client.command({ query });
    await client.insert({
      table: `${db}.${MIGRATIONS_TABLE}`,
      values: [{ version: migration.version, name: migration.name }],
      columns: ['version', 'name'],
      format: 'JSONEachRow',
    });
    applied.push(migration.version);
  }
  return { applied, version: migrations[migrations.length - 1]!.version };
}

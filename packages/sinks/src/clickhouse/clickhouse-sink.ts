import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { ClickHouseClient } from '@clickhouse/client';
import {
  buildLinkStats,
  type ClickSink,
  type EnrichedClick,
  type LinkStats,
  normalizeStatsQuery,
  type SinkRetryOptions,
  type StatsQuery,
  type StatsReader,
  sinkRetryPolicy,
} from '@linkpulse/core';
import { ClickHouseSinkError, failedToConnect } from './errors.js';
import { withRetry } from './retry.js';
import {
  dateTimeText,
  deduplicationToken,
  distinctById,
  RAW_COLUMNS,
  rawColumnsText,
} from './rows.js';
import { readStatsRows } from './stats-queries.js';
import { checkDatabaseName, DEFAULT_DATABASE, RAW_TABLE } from './tables.js';
import { timeWindows } from './time-windows.js';

/** Options of {@link ClickHouseSink}. */
export interface ClickHouseSinkOptions {
  /**
   * The client to use; the sink owns it from now on and closes it in `close()`. Create
   * it with the settings recommended in the package README.
   */
  client: ClickHouseClient;
  /** Database holding the schema made by `migrate`. Default `linkpulse`. */
  database?: string;
  /**
   * Retries of transient failures (network, timeouts, `TOO_MANY_PARTS`, …) within one
   * call: exponential backoff with full jitter. Default 5 attempts, 100 ms, 5 s.
   */
  retry?: SinkRetryOptions;
}

/** Codes per duplicate-check query, which keeps its URL (query parameters) short. */
const CODES_PER_CHECK = 500;

/**
 * Gaps longer than this between the times of a batch's clicks split the duplicate check's
 * time range (see {@link timeWindows}).
 */
const CHECK_GAP_MS = 60_000;

/** Most time ranges per duplicate-check query. */
const CHECK_WINDOWS = 8;

/**
 * Ids in the raw table among the events of some codes within time ranges (`from0`/`to0`,
 * …), written by the insert whose token is `{token}` when `byToken`: the text for `n`
 * ranges at index `n - 1`.
 */
function rawIdsSql(byToken: boolean): readonly string[] {
  return Array.from({ length: CHECK_WINDOWS }, (_, last) => {
    const ranges = Array.from(
      { length: last + 1 },
      (_, i) => `ts BETWEEN {from${i}:DateTime64(3, 'UTC')} AND {to${i}:DateTime64(3, 'UTC')}`,
    );
    return `SELECT id
FROM {db:Identifier}.{table:Identifier}
WHERE code IN {codes:Array(String)}
  AND (${ranges.join('\n    OR ')})${byToken ? '\n  AND insert_token = {token:String}' : ''}`;
  });
}

/** The duplicate check's query: ids already in the raw table, whatever wrote them. */
const EXISTING_IDS_SQL = rawIdsSql(false);

/** Ids in the raw table written by one insert (column `insert_token`, schema version 2). */
const INSERTED_IDS_SQL = rawIdsSql(true);

/**
 * Queries running on the server whose id starts with `{token}`: the attempts of the insert
 * with that token (see {@link ClickHouseSink}'s `#insert`).
 */
const RUNNING_SQL = `SELECT count() AS n FROM system.processes
WHERE startsWith(query_id, {token:String})`;

/**
 * The INSERT of a batch whose `insert_deduplication_token` is `token` (hex, made by
 * `deduplicationToken`). The settings are part of the statement rather than
 * `clickhouse_settings`: over HTTP both are the same, but `chdb/connection` runs
 * `clickhouse_settings` as `SET …;` statements in front of the INSERT, and each of them
 * costs a scan of the whole inline data (about 2 µs per row and setting). The views run
 * in parallel (`parallel_view_processing`), and nothing is merged at insert
 * (`optimize_on_insert = 0`): the rows of an insert have distinct ids and the views
 * group their output, so there is nothing to merge.
 */
function insertSql(database: string, token: string): string {
  return `INSERT INTO \`${database}\`.${RAW_TABLE} (${RAW_COLUMNS.join(', ')})
SETTINGS async_insert = 0, insert_deduplicate = 1, insert_deduplication_token = '${token}',
  deduplicate_blocks_in_dependent_materialized_views = 1, parallel_view_processing = 1,
  optimize_on_insert = 0
FORMAT JSONCompactColumns`;
}

/**
 * The month of epoch milliseconds `ts` in UTC, as a number: the raw table's partition
 * (`PARTITION BY toYYYYMM(ts)`) of a click, `ts` truncated as {@link dateTimeText} does.
 */
function monthOf(ts: number): number {
  const date = new Date(Math.trunc(ts));
  return date.getUTCFullYear() * 12 + date.getUTCMonth();
}

/** One INSERT: its statement and rows, its deduplication token and its clicks. */
interface Insert {
  query: string;
  body: string;
  token: string;
  clicks: readonly EnrichedClick[];
}

/**
 * Writes enriched clicks to ClickHouse and reads stats back from its aggregates. Each
 * `write` sends ONE `INSERT … FORMAT JSONCompactColumns` of the batch into the raw `clicks`
 * table, whose materialized views fill the hourly, daily and monthly aggregates.
 *
 * Exactly-once counts under redelivery come from three layers (details in the README):
 * events already in the raw table are left out of the insert (so a batch redelivered
 * split or merged differently adds nothing); the insert carries an
 * `insert_deduplication_token` made from its event ids, so a retried insert that did
 * land is dropped by the server, views included; and the raw table is a
 * ReplacingMergeTree keyed by event id. Writes of one sink run one at a time.
 *
 * An insert whose outcome is unknown when `write` gives up (the connection failed, the
 * server went away mid-insert) may have reached the raw table and only some of the views.
 * A later write would find its events in the raw table and leave them out, so the views
 * would stay short: the sink therefore keeps that insert and, before anything else — in
 * the next `write` or in `close` — looks it up in the raw table (by the token each row
 * records), once none of its attempts still runs on the server. The months (partitions of
 * the raw table) where it is found are sent again, same rows and token (the server fills in
 * the views that missed them); the rest landed nowhere and is dropped, since another writer
 * may have written those events meanwhile, cut into other batches (other tokens), which
 * sending them again would count twice.
 *
 * Failures are retried with backoff when transient and thrown as `ClickHouseSinkError`
 * (`permanent: true` for bad credentials, a missing database or rejected data).
 */
export class ClickHouseSink implements ClickSink, StatsReader {
  readonly #client: ClickHouseClient;
  readonly #database: string;
  readonly #retry: Required<SinkRetryOptions>;
  #tail: Promise<unknown> = Promise.resolve();
  /** An insert that failed with an unknown outcome: sent again before any other. */
  #unfinished: Insert | undefined;

  constructor(options: ClickHouseSinkOptions) {
    this.#client = options.client;
    this.#database = checkDatabaseName(options.database ?? DEFAULT_DATABASE);
    this.#retry = sinkRetryPolicy(options.retry);
  }

  /** Writes the events of `batch` that are not in ClickHouse yet, in one INSERT. */
  write(batch: readonly EnrichedClick[]): Promise<void> {
    const run = this.#tail.then(() => this.#write(batch));
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /** Stats of `code`, read from the aggregate tables of the query's interval. */
  async stats(code: string, query: StatsQuery): Promise<LinkStats> {
    const range = normalizeStatsQuery(query);
    const rows = await withRetry('stats query', this.#retry, () =>
      readStatsRows(this.#client, this.#database, code, range),
    );
    return buildLinkStats(code, range, rows);
  }

  /**
   * Waits for the writes in progress, sends an insert that failed with an unknown outcome
   * once more (its failure is thrown, after the client is closed), then closes the client.
   */
  async close(): Promise<void> {
    await this.#tail;
    try {
      if (this.#unfinished) await this.#insert(this.#unfinished);
    } finally {
      await this.#client.close();
    }
  }

  async #write(batch: readonly EnrichedClick[]): Promise<void> {
    if (this.#unfinished) await this.#insert(this.#unfinished);
    const clicks = distinctById(batch);
    if (clicks.length === 0) return;
    const existing = await withRetry('duplicate check', this.#retry, () =>
      this.#existingIds(clicks),
    );
    const fresh = existing.size === 0 ? clicks : clicks.filter((click) => !existing.has(click.id));
    if (fresh.length === 0) return;
    const token = deduplicationToken(fresh);
    await this.#insert({
      query: insertSql(this.#database, token),
      body: rawColumnsText(fresh),
      token,
      clicks: fresh,
    });
  }

  /**
   * Sends one insert, retrying it. Retries send the same rows with the same token: if an
   * earlier attempt landed (in the raw table or in some of the views), the server drops it
   * there and fills in what is missing. An insert that still fails is kept as
   * {@link #unfinished} when an attempt (or an earlier call) may have reached the server:
   * not when every attempt failed to connect (nothing landed, and another sink may write
   * its events, cut into other batches, before this one writes again), nor when ClickHouse
   * refused it (a permanent error: sending it again cannot succeed).
   *
   * Of the kept insert, only what {@link #landedInRaw} returns is sent again; the rest is
   * dropped. Each attempt's query id starts with the token, which is how a later lookup
   * sees the attempts still running on the server.
   */
  async #insert(next: Insert): Promise<void> {
    const resend = next === this.#unfinished;
    const insert = resend ? await this.#landedInRaw(next) : next;
    if (insert === undefined) {
      this.#unfinished = undefined;
      return;
    }
    let reached = resend;
    try {
      await withRetry(
        resend ? 'resend of an insert of unknown outcome' : 'insert',
        this.#retry,
        async () => {
          try {
            const { stream } = await this.#client.exec({
              query: insert.query,
              values: Readable.from([insert.body]),
              query_id: `${insert.token}-${randomUUID()}`,
            });
            await finished(stream.resume());
          } catch (error) {
            reached ||= !failedToConnect(error);
            throw error;
          }
        },
      );
      this.#unfinished = undefined;
    } catch (error) {
      const permanent = error instanceof ClickHouseSinkError && error.permanent;
      this.#unfinished = reached && !permanent ? insert : undefined;
      throw error;
    }
  }

  /**
   * What of the kept `insert` reached the raw table: its clicks of the months (partitions of
   * the raw table) holding rows of its codes at its moments that its token wrote, as an
   * insert with the same statement and token (the insert itself when every month did), or
   * `undefined` when none did. ClickHouse commits an insert to the raw table before its
   * views, one part per month, so a month without its rows reached no table. Sent again
   * with the same token, each month's block is one the raw table already has (the server
   * derives its id from the token and the month, not from the other months): the raw table
   * drops it, and the views that missed it take it. Asked once no attempt of it runs on
   * the server any more (a client that timed out leaves its insert running, and it may
   * land after a lookup that found nothing); while one does, this fails as transient.
   * Retried with the sink's policy; its failure is thrown, and the insert stays kept.
   */
  async #landedInRaw(insert: Insert): Promise<Insert | undefined> {
    const found = await withRetry(
      'lookup of an insert of unknown outcome',
      this.#retry,
      async () => {
        const result = await this.#client.query({
          query: RUNNING_SQL,
          query_params: { token: insert.token },
          format: 'JSONEachRow',
        });
        const [running] = await result.json<{ n: string | number }>();
        if (Number(running?.n) > 0) {
          throw new Error('an earlier attempt of it is still running on the server');
        }
        return this.#existingIds(insert.clicks, insert.token);
      },
    );
    const months = new Set(
      insert.clicks.filter((click) => found.has(click.id)).map((click) => monthOf(click.ts)),
    );
    const clicks = insert.clicks.filter((click) => months.has(monthOf(click.ts)));
    if (clicks.length === 0) return undefined;
    if (clicks.length === insert.clicks.length) return insert;
    return { ...insert, body: rawColumnsText(clicks), clicks };
  }

  /**
   * Ids of `clicks` already in the raw table (written by the insert of `token` only, when
   * given), looked up by code and by the time ranges of the clicks, gaps left out: a batch
   * holding a few clicks of days ago reads the raw rows of those moments and of now, not
   * of every day between.
   */
  async #existingIds(clicks: readonly EnrichedClick[], token?: string): Promise<Set<string>> {
    const windows = timeWindows(
      clicks.map((click) => click.ts),
      CHECK_GAP_MS,
      CHECK_WINDOWS,
    );
    const ranges: Record<string, string> = {};
    windows.forEach(([from, to], i) => {
      ranges[`from${i}`] = dateTimeText(from, true);
      ranges[`to${i}`] = dateTimeText(to, true);
    });
    const codes = [...new Set(clicks.map((c) => c.code))];
    const existing = new Set<string>();
    for (let i = 0; i < codes.length; i += CODES_PER_CHECK) {
      const result = await this.#client.query({
        query: (token === undefined ? EXISTING_IDS_SQL : INSERTED_IDS_SQL)[windows.length - 1]!,
        query_params: {
          db: this.#database,
          table: RAW_TABLE,
          codes: codes.slice(i, i + CODES_PER_CHECK),
          ...ranges,
          ...(token === undefined ? {} : { token }),
        },
        format: 'JSONEachRow',
      });
      for (const row of await result.json<{ id: string }>()) existing.add(row.id);
    }
    return existing;
  }
}

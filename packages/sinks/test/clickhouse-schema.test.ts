import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClickHouseClient } from '@clickhouse/client';
import { bucketStart, type StatsInterval } from '@linkpulse/core';
import { makeClick } from '@linkpulse/core/testing';
import {
  ClickHouseSink,
  MIGRATIONS_TABLE,
  migrate,
  ROLLUP_TABLES,
} from '@linkpulse/sinks/clickhouse';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { rawColumnsText } from '../src/clickhouse/rows.js';
import { applyMigrations, MIGRATIONS } from '../src/clickhouse/schema.js';
import { testBackends } from './clickhouse-backend.js';

const DAY = 86_400_000;

for (const backend of testBackends('schema')) {
  const db = backend.database;
  describe(`ClickHouse schema (${backend.kind})`, () => {
    let client: ClickHouseClient;
    const rows = async <T>(query: string, query_params: Record<string, unknown> = {}) =>
      (await client.query({ query, query_params, format: 'JSONEachRow' })).json<T>();
    const count = async (table: string) =>
      Number(
        (
          await rows<{ n: string }>('SELECT count() AS n FROM {db:Identifier}.{t:Identifier}', {
            db,
            t: table,
          })
        )[0]!.n,
      );

    beforeAll(() => {
      client = backend.client();
    });
    afterAll(async () => {
      await client.close();
      await backend.cleanup();
    });

    it('migrates once, records the version, and is idempotent', async () => {
      expect(await migrate(client, { database: db })).toEqual({ applied: [1, 2], version: 2 });
      expect(await migrate(client, { database: db })).toEqual({ applied: [], version: 2 });
      expect(await count(MIGRATIONS_TABLE)).toBe(2);
      const tables = await rows<{
        name: string;
        engine: string;
        partition_key: string;
        sorting_key: string;
        create_table_query: string;
      }>(
        `SELECT name, engine, partition_key, sorting_key, create_table_query
         FROM system.tables WHERE database = {db:String} ORDER BY name`,
        { db },
      );
      const byName = new Map(tables.map((t) => [t.name, t]));
      const raw = byName.get('clicks')!;
      expect(raw.engine).toBe('ReplacingMergeTree');
      expect(raw.partition_key).toBe('toYYYYMM(ts)');
      expect(raw.sorting_key).toBe('code, ts, id');
      expect(raw.create_table_query).toMatch(/TTL toDateTime\(ts\) \+ toIntervalDay\(90\)/);
      expect(raw.create_table_query).toMatch(/non_replicated_deduplication_window = 10000/);
      expect(raw.create_table_query).toMatch(/`referer_host` LowCardinality\(String\)/);
      expect(raw.create_table_query).toMatch(/`ts` DateTime64\(3, 'UTC'\)/);
      expect(raw.create_table_query).toMatch(
        /`insert_token` LowCardinality\(String\) MATERIALIZED getSetting\('insert_deduplication_token'\)/,
      );
      const ttl: Record<StatsInterval, RegExp | null> = {
        hour: /TTL bucket \+ toIntervalDay\(90\)/,
        day: /TTL bucket \+ toIntervalDay\(730\)/,
        month: null,
      };
      for (const [interval, { totals, top }] of Object.entries(ROLLUP_TABLES)) {
        for (const name of [totals, top]) {
          const table = byName.get(name)!;
          expect(table.engine, name).toBe('AggregatingMergeTree');
          const expected = ttl[interval as StatsInterval];
          if (expected) expect(table.create_table_query, name).toMatch(expected);
          else expect(table.create_table_query, name).not.toMatch(/TTL/);
          expect(byName.get(`${name}_mv`)?.engine, `${name}_mv`).toBe('MaterializedView');
        }
      }
      expect(byName.get(ROLLUP_TABLES.day.totals)!.create_table_query).toMatch(
        /`visitors` AggregateFunction\(uniqCombined64, String\)/,
      );
    });

    it('upgrades a version-1 schema: the rows it holds count as before, and later inserts record their token', async () => {
      const old = `${db}_v1`;
      const options = { database: old, rawTtlDays: null, hourlyTtlDays: null, dailyTtlDays: null };
      expect(await applyMigrations(client, options, MIGRATIONS.slice(0, 1))).toEqual({
        applied: [1],
        version: 1,
      });
      const code = 'upgrade';
      const ts = Date.UTC(2024, 5, 1, 12);
      const clicks = Array.from({ length: 40 }, (_, i) =>
        makeClick({ code, ts: ts + i * 60_000, visitorId: `v${i % 7}`, bot: i % 10 === 0 }),
      );
      const sink = new ClickHouseSink({ client: backend.client(), database: old });
      await sink.write(clicks.slice(0, 20));
      expect(await migrate(client, options)).toEqual({ applied: [2], version: 2 });
      expect(await migrate(client, options)).toEqual({ applied: [], version: 2 });
      await sink.write(clicks.slice(20));
      // Everything again, cut otherwise: nothing changes.
      await sink.write(clicks.slice(10, 30));
      await sink.write(clicks);
      const tokens = async () =>
        (
          await rows<{ token: string; n: string }>(
            `SELECT insert_token AS token, count() AS n FROM {db:Identifier}.clicks
             GROUP BY token ORDER BY token`,
            { db: old },
          )
        ).map(({ token, n }) => [token, Number(n)]);
      const expected = [
        ['', 20],
        [expect.stringMatching(/^linkpulse-[0-9a-f]{64}$/), 20],
      ];
      expect(await tokens()).toEqual(expected);
      // Merges keep each row's token (the old rows' stays empty).
      await client.command({ query: `OPTIMIZE TABLE \`${old}\`.clicks FINAL` });
      expect(await tokens()).toEqual(expected);
      const stats = await sink.stats(code, {
        from: new Date(ts),
        to: new Date(ts + 3_600_000),
        interval: 'hour',
        top: 5,
      });
      expect([stats.total, stats.bots, stats.unique]).toEqual([36, 4, 7]);
      await sink.close();
      await client.command({ query: `DROP DATABASE \`${old}\`` });
    });

    it('records the insert token in every row of an insert spanning months, one part per month, each recognised when sent again alone', async () => {
      // Rows kept forever: these are older than the default retention.
      const kept = `${db}_tokens`;
      await migrate(client, {
        database: kept,
        rawTtlDays: null,
        hourlyTtlDays: null,
        dailyTtlDays: null,
      });
      const code = 'token-months';
      const from = Date.UTC(2024, 0, 20);
      const clicks = Array.from({ length: 90 }, (_, i) =>
        makeClick({ code, ts: from + i * DAY, visitorId: `v${i}` }),
      );
      const sinkClient = backend.client();
      const exec = vi.spyOn(sinkClient, 'exec');
      const sink = new ClickHouseSink({ client: sinkClient, database: kept });
      await sink.write(clicks);
      // February's and April's clicks again, with the insert's statement (its token): the
      // server drops both months, in the raw table and in the views.
      for (const month of [clicks.slice(12, 41), clicks.slice(72)]) {
        const { stream } = await sinkClient.exec({
          query: exec.mock.calls[0]![0].query,
          values: Readable.from([rawColumnsText(month)]),
        });
        await finished(stream.resume());
      }
      const tables = ['clicks', ...Object.values(ROLLUP_TABLES).map((t) => t.totals)];
      for (const table of tables) {
        const [{ n }] = await rows<{ n: string }>(
          `SELECT ${table === 'clicks' ? 'count()' : 'sum(clicks)'} AS n
           FROM {db:Identifier}.{t:Identifier} WHERE code = {code:String}`,
          { db: kept, t: table, code },
        );
        expect([table, Number(n)]).toEqual([table, 90]);
      }
      await sink.close();
      const parts = await rows<{ month: string; token: string; parts: string; n: string }>(
        `SELECT toYYYYMM(ts) AS month, insert_token AS token, uniqExact(_part) AS parts,
           count() AS n
         FROM {db:Identifier}.clicks WHERE code = {code:String} GROUP BY month, token
         ORDER BY month`,
        { db: kept, code },
      );
      expect(parts.map((p) => [Number(p.month), Number(p.parts), Number(p.n)])).toEqual([
        [202401, 1, 12],
        [202402, 1, 29],
        [202403, 1, 31],
        [202404, 1, 18],
      ]);
      expect(new Set(parts.map((p) => p.token))).toEqual(
        new Set([expect.stringMatching(/^linkpulse-[0-9a-f]{64}$/)]),
      );
      await client.command({ query: `DROP DATABASE \`${kept}\`` });
    });

    it('takes retention options and rejects nonsense', async () => {
      const other = `${db}_custom`;
      await migrate(client, {
        database: other,
        rawTtlDays: 7,
        dailyTtlDays: null,
        monthlyTtlDays: 3650,
      });
      const ddl = async (name: string) =>
        (
          await rows<{ q: string }>(
            'SELECT create_table_query AS q FROM system.tables WHERE database = {db:String} AND name = {name:String}',
            { db: other, name },
          )
        )[0]!.q;
      expect(await ddl('clicks')).toMatch(/toIntervalDay\(7\)/);
      expect(await ddl('clicks_daily')).not.toMatch(/TTL/);
      expect(await ddl('clicks_monthly')).toMatch(/TTL bucket \+ toIntervalDay\(3650\)/);
      await client.command({ query: `DROP DATABASE \`${other}\`` });
      await expect(migrate(client, { database: db, rawTtlDays: 0 })).rejects.toThrow(RangeError);
      await expect(migrate(client, { database: db, dailyTtlDays: 1.5 })).rejects.toThrow(
        RangeError,
      );
      await expect(migrate(client, { database: 'x`; DROP TABLE clicks; --' })).rejects.toThrow(
        RangeError,
      );
    });

    it('drops raw rows past retention at OPTIMIZE … FINAL while the aggregates keep them', async () => {
      await migrate(client, { database: db });
      const sink = new ClickHouseSink({ client: backend.client(), database: db });
      // Three seconds short of the 90-day raw retention: present now, expired in a moment.
      const ts = Date.now() - 90 * DAY + 3_000;
      const code = 'retention';
      await sink.write([
        makeClick({ code, ts, visitorId: 'a', refererHost: 'example.com' }),
        makeClick({ code, ts: ts + 1, visitorId: 'b' }),
        makeClick({ code, ts: ts + 2, visitorId: 'a' }),
        makeClick({ code, ts: ts + 3, visitorId: 'c', bot: true }),
      ]);
      const rawRows = () =>
        rows<{ n: string }>(
          'SELECT count() AS n FROM {db:Identifier}.clicks WHERE code = {code:String}',
          { db, code },
        );
      expect(Number((await rawRows())[0]!.n)).toBe(4);

      await sleep(Math.max(0, ts + 90 * DAY + 1_000 - Date.now()));
      await client.command({ query: `OPTIMIZE TABLE \`${db}\`.clicks FINAL` });
      expect(Number((await rawRows())[0]!.n)).toBe(0);

      for (const interval of ['day', 'month'] as const) {
        const from = new Date(bucketStart(ts, interval));
        const stats = await sink.stats(code, {
          from,
          to: new Date(from.getTime() + 1),
          interval,
          top: 5,
        });
        expect([stats.total, stats.unique, stats.bots], interval).toEqual([3, 2, 1]);
        expect(stats.top.referrers).toEqual([{ value: 'example.com', clicks: 1 }]);
      }
      await sink.close();
    }, 20_000);

    it('answers a year of daily stats from the aggregate tables alone', async () => {
      await migrate(client, { database: db });
      const sinkClient = backend.client();
      const sink = new ClickHouseSink({ client: sinkClient, database: db });
      const code = 'yearly';
      const today = bucketStart(Date.now(), 'day');
      const clicks = Array.from({ length: 365 * 3 }, (_, i) =>
        makeClick({
          code,
          ts: today - 365 * DAY + Math.floor(i / 3) * DAY + (i % 3) * 3_600_000,
          visitorId: `v${i % 50}`,
          country: i % 2 ? 'DE' : 'US',
          bot: i % 3 === 2,
        }),
      );
      await sink.write(clicks);
      // Raw rows keep 90 days only: the last ~90 of the 365 days are left.
      await client.command({ query: `OPTIMIZE TABLE \`${db}\`.clicks FINAL` });
      const raw = await count('clicks');
      expect(raw).toBeGreaterThan(85 * 3);
      expect(raw).toBeLessThanOrEqual(91 * 3);

      const query = vi.spyOn(sinkClient, 'query');
      const stats = await sink.stats(code, {
        from: new Date(today - 365 * DAY),
        to: new Date(today),
        interval: 'day',
        top: 10,
      });
      expect([stats.total, stats.bots, stats.unique]).toEqual([730, 365, 50]);
      expect(stats.series).toHaveLength(365);
      expect(stats.series.every((p) => p.clicks === 2)).toBe(true);
      expect(stats.top.countries).toEqual([
        { value: 'DE', clicks: 365 },
        { value: 'US', clicks: 365 },
      ]);

      // Every query the reader issued, explained with its own parameters: which tables it reads.
      const issued = query.mock.calls.map(([params]) => params);
      query.mockRestore();
      expect(issued).toHaveLength(3);
      const read = new Set<string>();
      for (const { query: sql, query_params } of issued) {
        const plan = await (
          await client.query({ query: `EXPLAIN ${sql}`, query_params, format: 'TabSeparatedRaw' })
        ).text();
        for (const [, table] of plan.matchAll(/ReadFromMergeTree \(([^)]+)\)/g)) read.add(table!);
        expect(plan).not.toMatch(/ReadFromMergeTree \([^)]*\.clicks\)/);
      }
      console.info(
        `[clickhouse-schema] a year of daily stats reads: ${[...read].sort().join(', ')}`,
      );
      expect([...read].sort()).toEqual([`${db}.clicks_daily`, `${db}.clicks_top_daily`]);
      await sink.close();
    });
  });
}

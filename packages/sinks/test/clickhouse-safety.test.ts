import { createServer } from 'node:net';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { ClickHouseError, ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { isLinkPulseError, type StatsQuery } from '@linkpulse/core';
import { makeClick } from '@linkpulse/core/testing';
import {
  ClickHouseSink,
  ClickHouseSinkError,
  isTransientError,
  migrate,
  type RawClickRow,
  ROLLUP_TABLES,
  toRawRow,
} from '@linkpulse/sinks/clickhouse';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { rawColumnsText } from '../src/clickhouse/rows.js';
import { testBackends } from './clickhouse-backend.js';
import { startDroppingProxy } from './dropping-proxy.js';

const DAY = 86_400_000;
const ts = Date.UTC(2024, 5, 1, 12);
const range: StatsQuery = {
  from: new Date(ts - DAY),
  to: new Date(ts + DAY),
  interval: 'day',
  top: 10,
};

const INJECTIONS = [
  "' OR 1=1 --",
  "x'); DROP TABLE clicks; --",
  "x' OR '1'='1",
  '`; DROP DATABASE x; --',
  "\\' OR 1=1 --",
  '{code:String}',
  'a\nb\t"c"',
];

/** Retries of the fault tests: two attempts, no waiting to speak of. */
const FAST_RETRY = { attempts: 2, initialDelayMs: 1, maxDelayMs: 5 };

/** What the client throws when the connection drops after the request went out. */
const dropped = () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });

/** What the client throws when the server cannot be reached. */
const refused = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8123'), {
    code: 'ECONNREFUSED',
    syscall: 'connect',
  });

/** A localhost port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

for (const backend of testBackends('safety')) {
  const db = backend.database;
  describe(`ClickHouseSink safety (${backend.kind})`, () => {
    let sink: ClickHouseSink;
    let client: ReturnType<typeof backend.client>;
    const tableCount = async () =>
      Number(
        (
          await (
            await client.query({
              query: 'SELECT count() AS n FROM system.tables WHERE database = {db:String}',
              query_params: { db },
              format: 'JSONEachRow',
            })
          ).json<{ n: string }>()
        )[0]!.n,
      );
    /**
     * Clicks and bots of `code` in each aggregate table (human clicks by device in the top
     * tables), and its rows in the raw table (`clicks`), unmerged.
     */
    const counts = async (code: string): Promise<Record<string, number>> => {
      const sums = Object.values(ROLLUP_TABLES).flatMap(({ totals, top }) => [
        `(SELECT sum(clicks) + sum(bots) FROM {db:Identifier}.${totals} WHERE code = {code:String}) AS ${totals}`,
        `(SELECT sumIf(clicks, dim = 'devices') FROM {db:Identifier}.${top} WHERE code = {code:String}) AS ${top}`,
      ]);
      const [row] = await (
        await client.query({
          query: `SELECT ${sums.join(', ')},
            (SELECT count() FROM {db:Identifier}.clicks WHERE code = {code:String}) AS clicks`,
          query_params: { db, code },
          format: 'JSONEachRow',
        })
      ).json<Record<string, string>>();
      return Object.fromEntries(Object.entries(row!).map(([table, n]) => [table, Number(n)]));
    };
    /** {@link counts} when every table holds `n` clicks of the code. */
    const everywhere = (n: number) =>
      Object.fromEntries(
        [...Object.values(ROLLUP_TABLES).flatMap((t) => [t.totals, t.top]), 'clicks'].map((t) => [
          t,
          n,
        ]),
      );
    /**
     * A client (and a spy on its `exec`, which sends the inserts) whose first `failures`
     * inserts reach the server and land nowhere: over HTTP a proxy resets the connection once
     * the request is in, forwarding nothing; in process (chDB), where there is no connection
     * to cut, `exec` fails as after such a reset.
     */
    const landingNowhere = async (failures: number) => {
      if (!backend.url) {
        const inProcess = backend.client();
        const exec = vi.spyOn(inProcess, 'exec');
        for (let i = 0; i < failures; i++) exec.mockRejectedValueOnce(dropped());
        return { client: inProcess, exec, stop: async () => {} };
      }
      const proxy = await startDroppingProxy(
        backend.url,
        (head) => /[?&]query=INSERT\+INTO\+/.test(head),
        failures,
      );
      const proxied = createClient({
        url: proxy.url,
        keep_alive: { enabled: false },
        log: { level: ClickHouseLogLevel.OFF },
      });
      return { client: proxied, exec: vi.spyOn(proxied, 'exec'), stop: () => proxy.close() };
    };

    beforeAll(async () => {
      client = backend.client();
      await migrate(client, {
        database: db,
        rawTtlDays: null,
        hourlyTtlDays: null,
        dailyTtlDays: null,
      });
      sink = new ClickHouseSink({ client: backend.client(), database: db });
    });
    afterAll(async () => {
      await sink.close();
      await client.close();
      await backend.cleanup();
    });

    it('stores and reads back injection strings in codes and dimension values as data', async () => {
      const tables = await tableCount();
      await sink.write([makeClick({ code: 'plain', ts, visitorId: 'p' })]);
      for (const [i, text] of INJECTIONS.entries()) {
        await sink.write([
          makeClick({
            code: text,
            ts,
            visitorId: 'a',
            refererHost: text,
            country: text,
            browser: text,
            os: text,
          }),
          makeClick({ code: text, ts: ts + i, visitorId: 'b', refererHost: text }),
        ]);
      }
      for (const text of INJECTIONS) {
        const stats = await sink.stats(text, range);
        expect([stats.total, stats.unique], text).toEqual([2, 2]);
        expect(stats.top.referrers, text).toEqual([{ value: text, clicks: 2 }]);
        expect(stats.top.countries, text).toEqual([{ value: text, clicks: 1 }]);
        expect(
          stats.top.browsers.map((e) => e.value),
          text,
        ).toContain(text);
      }
      // Codes that would match everything if spliced into SQL match nothing.
      for (const text of ["nothing' OR '1'='1", "' OR ''='", 'plain%', '%']) {
        expect((await sink.stats(text, range)).total, text).toBe(0);
      }
      expect((await sink.stats('plain', range)).total).toBe(1);
      expect(await tableCount()).toBe(tables);
      const [raw] = await (
        await client.query({
          query: 'SELECT count() AS n FROM {db:Identifier}.clicks',
          query_params: { db },
          format: 'JSONEachRow',
        })
      ).json<{ n: string }>();
      expect(Number(raw!.n)).toBe(1 + 2 * INJECTIONS.length);
    });

    it('stores quotes, backslashes, tabs, newlines and any Unicode in raw rows unchanged', async () => {
      const texts = [
        'say "hi" and \'bye\'',
        'back\\slash \\n \\t \\" \\u0041',
        'tab\there\nnew line\r\nCRLF',
        '["looks", "like", "json"]',
        'control \u0000 \u0001 \u001f \u007f',
        'é ü ß 中文 русский العربية',
        'emoji 🎉👍🏽 and \u2028 \u2029',
      ];
      const clicks = texts.map((text, i) =>
        makeClick({
          id: `roundtrip-${i}`,
          code: 'roundtrip',
          ts: ts + i,
          visitorId: text,
          ua: text,
          referer: text,
          refererHost: text,
          utm: { source: text, medium: text, campaign: text, term: text, content: text },
        }),
      );
      await sink.write(clicks);
      const rows = await (
        await client.query({
          query: `SELECT * EXCEPT ts, toString(ts) AS ts
            FROM {db:Identifier}.clicks WHERE code = 'roundtrip' ORDER BY id`,
          query_params: { db },
          format: 'JSONEachRow',
        })
      ).json<RawClickRow>();
      expect(rows).toEqual(clicks.map(toRawRow));
    });

    it('rejects injection through intervals, dates, top and the database name', async () => {
      const bad: unknown[] = [
        { ...range, interval: "day'; DROP TABLE clicks; --" },
        { ...range, interval: '__proto__' },
        { ...range, interval: 'toString' },
        { ...range, from: "2024-01-01' OR 1=1 --" },
        { ...range, to: new Date('2024-01-01 OR 1=1') },
        { ...range, top: '10; DROP TABLE clicks' },
        { ...range, top: 1e9 },
      ];
      for (const query of bad) {
        const error = await sink.stats('plain', query as StatsQuery).catch((e: unknown) => e);
        expect(isLinkPulseError(error, 'invalid_query'), JSON.stringify(query)).toBe(true);
      }
      expect(() => new ClickHouseSink({ client, database: 'x`; DROP TABLE clicks; --' })).toThrow(
        RangeError,
      );
      expect(await tableCount()).toBeGreaterThan(0);
      expect((await sink.stats('plain', range)).total).toBe(1);
    });

    it('fails fast and permanently on a missing database', async () => {
      const otherClient = backend.client();
      const query = vi.spyOn(otherClient, 'query');
      const other = new ClickHouseSink({ client: otherClient, database: `${db}_missing` });
      const error = await other.write([makeClick({ ts })]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ClickHouseSinkError);
      expect(error).toMatchObject({
        permanent: true,
        clickhouseType: 'UNKNOWN_DATABASE',
        code: 'unavailable',
      });
      expect(query).toHaveBeenCalledTimes(1);
      const statsError = await other.stats('x', range).catch((e: unknown) => e);
      expect(statsError).toMatchObject({ permanent: true, clickhouseType: 'UNKNOWN_DATABASE' });
      await other.close();
    });

    // chDB in process has no users to log in as.
    if (backend.url)
      it('fails permanently on bad credentials', async () => {
        const other = new ClickHouseSink({
          client: createClient({
            url: backend.url,
            username: 'linkpulse_nobody',
            password: 'wrong',
          }),
          database: db,
        });
        const error = await other.write([makeClick({ ts })]).catch((e: unknown) => e);
        expect(error).toMatchObject({ permanent: true });
        expect((error as ClickHouseSinkError).clickhouseType).toMatch(
          /AUTHENTICATION_FAILED|UNKNOWN_USER|REQUIRED_PASSWORD/,
        );
        await other.close();
      });

    it('retries an insert whose response was lost, and counts it once', async () => {
      const sinkClient = backend.client();
      const exec = sinkClient.exec.bind(sinkClient);
      const spy = vi
        .spyOn(sinkClient, 'exec')
        // Attempt 1 lands, but the connection drops before the answer.
        .mockImplementationOnce(async (params) => {
          await finished((await exec(params)).stream.resume());
          throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
        })
        // Attempt 2 is refused by a busy server without writing anything.
        .mockImplementationOnce(async () => {
          throw new ClickHouseError({
            message: 'Too many parts',
            code: '252',
            type: 'TOO_MANY_PARTS',
          });
        });
      const flaky = new ClickHouseSink({
        client: sinkClient,
        database: db,
        retry: { attempts: 4, initialDelayMs: 1, maxDelayMs: 5 },
      });
      const code = 'lost-response';
      await flaky.write([
        makeClick({ code, ts, visitorId: 'a' }),
        makeClick({ code, ts, visitorId: 'b' }),
        makeClick({ code, ts, visitorId: 'c', bot: true }),
      ]);
      expect(spy).toHaveBeenCalledTimes(3);
      const stats = await flaky.stats(code, range);
      expect([stats.total, stats.unique, stats.bots]).toEqual([2, 2, 1]);
      await flaky.close();
    });

    it('sends an insert whose outcome was unknown when write gave up once more, in the next write or in close, and counts it once', async () => {
      for (const finish of ['write', 'close'] as const) {
        const sinkClient = backend.client();
        const exec = sinkClient.exec.bind(sinkClient);
        const spy = vi
          .spyOn(sinkClient, 'exec')
          // The insert lands, the answer is lost, and the retry cannot reach the server.
          .mockImplementationOnce(async (params) => {
            await finished((await exec(params)).stream.resume());
            throw dropped();
          })
          .mockImplementationOnce(async () => {
            throw dropped();
          });
        const sink = new ClickHouseSink({ client: sinkClient, database: db, retry: FAST_RETRY });
        const code = `unknown-outcome-${finish}`;
        const clicks = [
          makeClick({ code, ts, visitorId: 'a' }),
          makeClick({ code, ts, visitorId: 'b' }),
        ];
        await expect(sink.write(clicks)).rejects.toMatchObject({ permanent: false });
        if (finish === 'write') {
          // A server that cannot be reached keeps the insert, and the failure names it.
          spy.mockRejectedValueOnce(refused()).mockRejectedValueOnce(refused());
          const next = [makeClick({ code, ts: ts + 1, visitorId: 'c' })];
          await expect(sink.write(next)).rejects.toThrow(
            /resend of an insert of unknown outcome failed after 2 attempts/,
          );
          await sink.write(next);
          // The kept insert, found in the raw table, went first (its token: dropped by the
          // server), then the new one.
          expect(spy).toHaveBeenCalledTimes(6);
          const stats = await sink.stats(code, range);
          expect([stats.total, stats.unique]).toEqual([3, 3]);
          await sink.close();
        } else {
          await sink.close();
          expect(spy).toHaveBeenCalledTimes(3);
          const reader = new ClickHouseSink({ client: backend.client(), database: db });
          expect((await reader.stats(code, range)).total).toBe(2);
          await reader.close();
        }
      }
    });

    it('does not keep an insert that never reached the server, which another sink may write in a different batch', async () => {
      // The server was down: every attempt of sink A failed to connect. The transport hands
      // the events to sink B (another worker), which writes them within a bigger batch (another
      // token); A's next write must not send them again.
      const sinkClient = backend.client();
      const spy = vi
        .spyOn(sinkClient, 'exec')
        .mockRejectedValueOnce(refused())
        .mockRejectedValueOnce(refused());
      const a = new ClickHouseSink({ client: sinkClient, database: db, retry: FAST_RETRY });
      const b = new ClickHouseSink({ client: backend.client(), database: db, retry: FAST_RETRY });
      const code = 'never-reached';
      const clicks = ['a', 'b', 'c'].map((visitorId, i) =>
        makeClick({ code, ts: ts + i, visitorId }),
      );
      await expect(a.write(clicks.slice(0, 2))).rejects.toMatchObject({ permanent: false });
      await b.write(clicks);
      await a.write([makeClick({ code, ts: ts + 3, visitorId: 'd' })]);
      expect((await a.stats(code, range)).total).toBe(4);
      expect(spy).toHaveBeenCalledTimes(3);
      await Promise.all([a.close(), b.close()]);
    });

    it('drops a kept insert that reached the server and landed nowhere, whose events another sink wrote in other batches, in the next write or in close', async () => {
      // Every attempt of sink A's insert reaches the server and lands nowhere, so A keeps it.
      // Its worker stops (or loses its partitions): the transport hands the events to sink B,
      // which writes them cut otherwise (other tokens). Then A writes again, or closes.
      for (const finish of ['write', 'close'] as const) {
        const faulty = await landingNowhere(FAST_RETRY.attempts);
        const a = new ClickHouseSink({ client: faulty.client, database: db, retry: FAST_RETRY });
        const b = new ClickHouseSink({ client: backend.client(), database: db, retry: FAST_RETRY });
        const code = `landed-nowhere-${finish}`;
        const clicks = ['a', 'b', 'c', 'd', 'e'].map((visitorId, i) =>
          makeClick({ code, ts: ts + i, visitorId }),
        );
        await expect(a.write(clicks.slice(0, 3))).rejects.toMatchObject({ permanent: false });
        await b.write(clicks.slice(0, 2));
        await b.write(clicks.slice(2, 4));
        if (finish === 'write') await a.write(clicks.slice(4));
        else await a.close();
        expect(await counts(code)).toEqual(everywhere(finish === 'write' ? 5 : 4));
        // A's two failed attempts, then its new insert only: the kept one was not sent.
        expect(faulty.exec).toHaveBeenCalledTimes(finish === 'write' ? 3 : 2);
        if (finish === 'write') await a.close();
        await Promise.all([b.close(), faulty.stop()]);
      }
    });

    it('sends again only the months of a kept insert that reached the raw table, when another sink wrote the events of the months it missed', async () => {
      // Sink A's insert spans January and February (two partitions of the raw table). The
      // server dies after committing January's part of the raw table, before February's and
      // before any view: simulated by sending January's rows alone, with the insert's token,
      // while the views are detached. The retry cannot connect, so A keeps the insert.
      const views = Object.values(ROLLUP_TABLES).flatMap((t) => [`${t.totals}_mv`, `${t.top}_mv`]);
      const views_ = (verb: 'DETACH' | 'ATTACH') =>
        Promise.all(views.map((v) => client.command({ query: `${verb} TABLE \`${db}\`.${v}` })));
      const jan = Date.UTC(2019, 0, 31, 23, 59);
      const feb = Date.UTC(2019, 1, 1, 0, 1);
      for (const finish of ['write', 'close'] as const) {
        const code = `partial-months-${finish}`;
        const clicks = [jan, jan + 1, feb, feb + 1, feb + 2].map((t, i) =>
          makeClick({ code, ts: t, visitorId: `v${i}` }),
        );
        const sinkClient = backend.client();
        const exec = sinkClient.exec.bind(sinkClient);
        const spy = vi
          .spyOn(sinkClient, 'exec')
          .mockImplementationOnce(async (params) => {
            await views_('DETACH');
            try {
              const january = Readable.from([rawColumnsText(clicks.slice(0, 2))]);
              await finished((await exec({ ...params, values: january })).stream.resume());
            } finally {
              await views_('ATTACH');
            }
            throw dropped();
          })
          .mockRejectedValueOnce(refused());
        const a = new ClickHouseSink({ client: sinkClient, database: db, retry: FAST_RETRY });
        const b = new ClickHouseSink({ client: backend.client(), database: db, retry: FAST_RETRY });
        await expect(a.write(clicks.slice(0, 3))).rejects.toMatchObject({ permanent: false });
        // The redelivered events go to sink B, cut otherwise: it finds January's in the raw
        // table and writes the rest.
        await b.write(clicks.slice(0, 3));
        await b.write(clicks.slice(3, 4));
        if (finish === 'write') await a.write(clicks.slice(4));
        else await a.close();
        expect(await counts(code)).toEqual(everywhere(finish === 'write' ? 5 : 4));
        // January's clicks were sent again with the insert's statement (its token), and
        // February's were not: the raw table holds the two rows of January with that token.
        expect(spy.mock.calls[2]![0].query).toBe(spy.mock.calls[0]![0].query);
        const token = spy.mock.calls[0]![0].query.match(
          /insert_deduplication_token = '([^']+)'/,
        )![1];
        const [{ n }] = await (
          await client.query({
            query: `SELECT count() AS n FROM {db:Identifier}.clicks WHERE insert_token = {token:String}`,
            query_params: { db, token },
            format: 'JSONEachRow',
          })
        ).json<{ n: string }>();
        expect(Number(n)).toBe(2);
        if (finish === 'write') await a.close();
        await b.close();
      }
    });

    // A client that gives up while the server goes on with its insert; chDB runs in process.
    if (backend.url)
      it('waits for an insert still running on the server after its client gave up, then sends it again and counts it once', async () => {
        // A constraint that sleeps: each insert runs 1.5 s before the raw table takes its
        // rows, and the sink's client gives up after 300 ms.
        const alter = (change: string) =>
          client.command({ query: `ALTER TABLE \`${db}\`.clicks ${change}` });
        await alter('ADD CONSTRAINT slow CHECK sleepEachRow(0.5) = 0');
        const sink = new ClickHouseSink({
          client: createClient({
            url: backend.url,
            request_timeout: 300,
            log: { level: ClickHouseLogLevel.OFF },
          }),
          database: db,
          retry: { attempts: 1 },
        });
        const code = 'still-running';
        const clicks = ['a', 'b', 'c', 'd'].map((visitorId, i) =>
          makeClick({ code, ts: ts + i, visitorId }),
        );
        try {
          await expect(sink.write(clicks.slice(0, 3))).rejects.toThrow(/Timeout/);
          // The batch again, cut otherwise: its insert is not in the raw table yet, and runs.
          await expect(sink.write(clicks.slice(1))).rejects.toThrow(
            /lookup of an insert of unknown outcome failed .* still running on the server/,
          );
          await vi.waitFor(async () => expect(await counts(code)).toEqual(everywhere(3)), {
            timeout: 10_000,
            interval: 100,
          });
        } finally {
          await alter('DROP CONSTRAINT slow');
        }
        await sink.write(clicks.slice(1));
        expect(await counts(code)).toEqual(everywhere(4));
        await sink.close();
      });

    it('repairs the views a failed insert missed when it retries, counting nothing twice', async () => {
      // An extra view that fails like a busy server (TOO_MANY_PARTS) while `chaos_flag` has a
      // row: the insert fails after the raw table (and maybe some views) took the rows.
      const q = (query: string) => client.command({ query });
      await q(`CREATE TABLE \`${db}\`.chaos_flag (x UInt8) ENGINE = MergeTree ORDER BY x`);
      await q(`CREATE TABLE \`${db}\`.chaos (code String, clicks UInt64) ENGINE = MergeTree
        ORDER BY code SETTINGS non_replicated_deduplication_window = 100`);
      await q(`CREATE MATERIALIZED VIEW \`${db}\`.chaos_mv TO \`${db}\`.chaos AS
        SELECT code, count() + throwIf((SELECT count() FROM \`${db}\`.chaos_flag) > 0,
          'simulated: too many parts', toInt32(252)) AS clicks
        FROM \`${db}\`.clicks GROUP BY code
        SETTINGS allow_custom_error_code_in_throwif = 1`);
      await q(`INSERT INTO \`${db}\`.chaos_flag VALUES (1)`);
      try {
        const sinkClient = backend.client();
        const exec = sinkClient.exec.bind(sinkClient);
        const spy = vi.spyOn(sinkClient, 'exec').mockImplementationOnce(async (params) => {
          try {
            return await exec(params);
          } finally {
            await q(`TRUNCATE TABLE \`${db}\`.chaos_flag`);
          }
        });
        const repaired = new ClickHouseSink({
          client: sinkClient,
          database: db,
          retry: { attempts: 3, initialDelayMs: 1, maxDelayMs: 5 },
        });
        const code = 'view-repair';
        await repaired.write([
          makeClick({ code, ts, visitorId: 'a' }),
          makeClick({ code, ts, visitorId: 'b' }),
          makeClick({ code, ts, visitorId: 'c', bot: true }),
        ]);
        expect(spy).toHaveBeenCalledTimes(2);
        const stats = await repaired.stats(code, range);
        expect([stats.total, stats.unique, stats.bots]).toEqual([2, 2, 1]);
        const counts = await (
          await client.query({
            query: `SELECT (SELECT count() FROM {db:Identifier}.clicks WHERE code = {code:String}) AS raw,
              (SELECT sum(clicks) FROM {db:Identifier}.chaos WHERE code = {code:String}) AS chaos`,
            query_params: { db, code },
            format: 'JSONEachRow',
          })
        ).json<{ raw: string; chaos: string }>();
        expect(counts.map((r) => [Number(r.raw), Number(r.chaos)])).toEqual([[3, 3]]);
        await repaired.close();
      } finally {
        await q(`DROP VIEW \`${db}\`.chaos_mv`);
      }
    });

    it('checks a batch for duplicates at the moments of its clicks, not the days between', async () => {
      const code = 'late-redelivery';
      const old = makeClick({ code, ts: ts - 3 * DAY, visitorId: 'old' });
      await sink.write([old]);
      // 200,000 earlier clicks of the code in the three days between.
      await client.command({
        query: `INSERT INTO \`${db}\`.clicks (id, code, ts, visitor_id)
  SELECT concat('between-', toString(number)), {code:String},
    fromUnixTimestamp64Milli(toInt64({from:Int64} + number * 1000), 'UTC'), 'v'
  FROM numbers(200000)`,
        query_params: { code, from: old.ts + 60_000 },
      });
      const sinkClient = backend.client();
      const query = vi.spyOn(sinkClient, 'query');
      const late = new ClickHouseSink({ client: sinkClient, database: db });
      // A redelivered batch: the old click again, and one of now.
      const fresh = makeClick({ code, ts, visitorId: 'new' });
      await late.write([old, fresh]);
      await late.close();
      const countOf = async (id: string) =>
        Number(
          (
            await (
              await client.query({
                query: 'SELECT count() AS n FROM {db:Identifier}.clicks WHERE id = {id:String}',
                query_params: { db, id },
                format: 'JSONEachRow',
              })
            ).json<{ n: string }>()
          )[0]!.n,
        );
      expect(await countOf(old.id)).toBe(1);
      expect(await countOf(fresh.id)).toBe(1);
      // The duplicate check, run again (both are written now) under a read limit far below
      // the rows between.
      const [check] = query.mock.calls[0]!;
      const found = await (
        await client.query({
          ...check,
          query: `${check.query}\nSETTINGS max_rows_to_read = 40000`,
          format: 'JSONEachRow',
        })
      ).json<{ id: string }>();
      expect(found.map((row) => row.id).sort()).toEqual([old.id, fresh.id].sort());
    });

    it('gives up on an unreachable server after the retries, as a transient failure', async () => {
      const unreachable = createClient({
        url: `http://127.0.0.1:${await closedPort()}`,
        log: { level: ClickHouseLogLevel.OFF },
      });
      const query = vi.spyOn(unreachable, 'query');
      const lost = new ClickHouseSink({
        client: unreachable,
        retry: { attempts: 3, initialDelayMs: 1, maxDelayMs: 5 },
      });
      const error = await lost.write([makeClick({ ts })]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ClickHouseSinkError);
      expect(error).toMatchObject({ permanent: false, clickhouseType: undefined });
      expect((error as Error).message).toMatch(/after 3 attempts/);
      expect(query).toHaveBeenCalledTimes(3);
      await lost.close();
      expect(() => new ClickHouseSink({ client: unreachable, retry: { attempts: 0 } })).toThrow(
        RangeError,
      );
    });

    it('tells transient errors from permanent ones', () => {
      const server = (type: string, code: string) =>
        new ClickHouseError({ message: type, code, type });
      expect(isTransientError(server('TOO_MANY_PARTS', '252'))).toBe(true);
      expect(isTransientError(server('TIMEOUT_EXCEEDED', '159'))).toBe(true);
      expect(isTransientError(server('MEMORY_LIMIT_EXCEEDED', '241'))).toBe(true);
      expect(isTransientError(server('AUTHENTICATION_FAILED', '516'))).toBe(false);
      expect(isTransientError(server('UNKNOWN_DATABASE', '81'))).toBe(false);
      expect(isTransientError(server('SYNTAX_ERROR', '62'))).toBe(false);
      expect(isTransientError(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }))).toBe(
        true,
      );
      expect(isTransientError(new Error('Timeout error.'))).toBe(true);
      expect(isTransientError(new TypeError('x is not a function'))).toBe(false);
    });
  });
}

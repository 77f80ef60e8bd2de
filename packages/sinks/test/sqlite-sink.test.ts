import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EnrichedClick, StatsInterval } from '@linkpulse/core';
import { describeClickSink, makeClick } from '@linkpulse/core/testing';
import { SqliteSink } from '@linkpulse/sinks/sqlite';
import { openSqliteDatabase, SqliteLinkStore } from '@linkpulse/stores/sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const DAY = 86_400_000;

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'linkpulse-sqlite-sink-'));
}

describeClickSink('SqliteSink (file)', async () => {
  const dir = await tempDir();
  const sink = new SqliteSink({ database: join(dir, 'clicks.db') });
  return { sink, reader: sink, cleanup: () => rm(dir, { recursive: true, force: true }) };
});

// Every batch folded into the aggregates, or some (reads then add folded and unfolded
// events); the reader on a second connection, as a worker thread's writer and the main
// thread's reader would be.
for (const foldThreshold of [1, 7]) {
  describeClickSink(
    `SqliteSink (folding every ${foldThreshold} events, second reader)`,
    async () => {
      const dir = await tempDir();
      const database = join(dir, 'clicks.db');
      const sink = new SqliteSink({ database, foldThreshold });
      const reader = new SqliteSink({ database });
      return {
        sink,
        reader,
        cleanup: async () => {
          await reader.close();
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  );
}

describe('SqliteSink', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const query = (from: number, to: number, interval: StatsInterval) => ({
    from: new Date(from),
    to: new Date(to),
    interval,
    top: 10,
  });

  it('keeps idempotency across reopening the file', async () => {
    const path = join(dir, 'clicks.db');
    const batch = Array.from({ length: 20 }, (_, i) =>
      makeClick({ code: 'r', ts: Date.UTC(2024, 4, 1, i), visitorId: `v${i % 3}` }),
    );
    const range = query(Date.UTC(2024, 4, 1), Date.UTC(2024, 4, 2), 'hour');
    const first = new SqliteSink({ database: path });
    await first.write(batch);
    const before = await first.stats('r', range);
    await first.close();

    const second = new SqliteSink({ database: path });
    await second.write(batch);
    await second.write(batch.slice(5, 10));
    expect(await second.stats('r', range)).toEqual(before);
    expect(before.total).toBe(20);
    await second.close();
  });

  it('writes a batch all or nothing', async () => {
    const sink = new SqliteSink({ database: join(dir, 'clicks.db') });
    const good = makeClick({ code: 'tx' });
    const broken = { ...makeClick({ code: 'tx' }), device: null } as unknown as EnrichedClick;
    await expect(sink.write([good, broken])).rejects.toThrow(/NOT NULL/);
    const range = query(Date.UTC(2024, 0, 1), Date.UTC(2024, 0, 2), 'day');
    expect((await sink.stats('tx', range)).total).toBe(0);
    await sink.write([good]);
    expect((await sink.stats('tx', range)).total).toBe(1);
    await sink.close();
  });

  it('prunes raw events and hourly and daily aggregates, keeps monthly totals', async () => {
    const sink = new SqliteSink({
      database: join(dir, 'clicks.db'),
      retention: { rawDays: 30, dailyDays: 60 },
    });
    const now = Date.UTC(2024, 6, 15, 12);
    const ages = [100, 100, 45, 10, 10];
    await sink.write(
      ages.map((age, i) =>
        makeClick({ code: 'p', ts: now - age * DAY, visitorId: `v${i}`, country: 'DE' }),
      ),
    );
    await sink.write([makeClick({ code: 'p', ts: now - 45 * DAY, bot: true })]);
    const all = (interval: StatsInterval) => sink.stats('p', query(now - 120 * DAY, now, interval));
    const before = await all('month');
    expect([before.total, before.unique, before.bots]).toEqual([5, 5, 1]);

    // Raw: the three human clicks and the bot older than 30 days. Hourly: the two hours they
    // fell in, a count row and four top-list rows each (country, device, browser, os; no
    // referrer). Daily: the day 100 days ago, likewise.
    expect(sink.prune(now)).toEqual({ raw: 4, hourly: 10, daily: 5 });

    const month = await all('month');
    expect([month.total, month.bots]).toEqual([5, 1]);
    expect(month.series.map((p) => p.clicks)).toEqual(before.series.map((p) => p.clicks));
    // Per-bucket uniques were counted at write time and outlive the raw events.
    expect(month.series.map((p) => p.unique)).toEqual(before.series.map((p) => p.unique));
    // The range-wide unique comes from raw events: only the two recent visitors remain.
    expect(month.unique).toBe(2);
    expect(month.top.countries).toEqual([{ value: 'DE', clicks: 5 }]);

    const day = await all('day');
    expect([day.total, day.bots]).toEqual([3, 1]);
    expect(day.top.countries).toEqual([{ value: 'DE', clicks: 3 }]);
    const hour = await all('hour');
    expect([hour.total, hour.bots]).toEqual([2, 0]);
    expect(hour.top.countries).toEqual([{ value: 'DE', clicks: 2 }]);

    expect(sink.prune(now)).toEqual({ raw: 0, hourly: 0, daily: 0 });
    await sink.close();
  });

  it('shares a database with the link store and leaves it open', async () => {
    const db = openSqliteDatabase(join(dir, 'shared.db'));
    const store = new SqliteLinkStore({ database: db });
    const sink = new SqliteSink({ database: db });
    await sink.write([makeClick({ code: 'shared' })]);
    await sink.close();
    await store.close();
    expect(db.open).toBe(true);
    const tables = db
      .prepare('SELECT name FROM linkpulse_migrations ORDER BY name')
      .all() as Array<{ name: string }>;
    expect(tables.map((t) => t.name)).toContain('clicks');
    expect(tables.map((t) => t.name)).toContain('links');
    db.close();
  });

  it('reads one snapshot while another connection writes and folds', async () => {
    const path = join(dir, 'clicks.db');
    const writer = new SqliteSink({ database: path, foldThreshold: 10 });
    const db = openSqliteDatabase(path);
    const reader = new SqliteSink({ database: db });
    const range = query(Date.UTC(2024, 4, 1), Date.UTC(2024, 4, 2), 'hour');
    const batch = (from: number) =>
      Array.from({ length: 8 }, (_, i) =>
        makeClick({ code: 's', ts: Date.UTC(2024, 4, 1, from + i), visitorId: `v${i % 5}` }),
      );
    await writer.write(batch(0));
    const first = await reader.stats('s', range);
    expect(first.total).toBe(8);

    // A read transaction opened before the writer's next batch (which folds all 16 events)
    // keeps seeing the first 8, unfolded, neither doubled nor lost.
    db.exec('BEGIN');
    db.prepare('SELECT COUNT(*) FROM linkpulse_clicks').get();
    await writer.write(batch(8));
    expect(await reader.stats('s', range)).toEqual(first);
    db.exec('COMMIT');
    const second = await reader.stats('s', range);
    expect([second.total, second.unique]).toEqual([16, 5]);
    expect(second).toEqual(await writer.stats('s', range));
    await writer.close();
    db.close();
  });

  it('counts exactly with two writers on two connections', async () => {
    const path = join(dir, 'clicks.db');
    const one = new SqliteSink({ database: path, foldThreshold: 5 });
    const two = new SqliteSink({ database: path, foldThreshold: 3 });
    const alone = new SqliteSink({ database: join(dir, 'alone.db') });
    const clicks = Array.from({ length: 60 }, (_, i) =>
      makeClick({
        code: 'w',
        ts: Date.UTC(2024, 4, 1 + (i % 3), i % 24),
        visitorId: `v${i % 7}`,
        bot: i % 11 === 0,
      }),
    );
    for (let i = 0; i < clicks.length; i += 6) {
      const batch = clicks.slice(i, i + 9);
      await (i % 12 === 0 ? one : two).write(batch);
      await alone.write(batch);
    }
    const range = query(Date.UTC(2024, 4, 1), Date.UTC(2024, 5, 1), 'day');
    const expected = await alone.stats('w', range);
    expect(expected.total).toBe(clicks.filter((c) => !c.bot).length);
    expect(await one.stats('w', range)).toEqual(expected);
    expect(one.prune(Date.UTC(2024, 5, 1))).toMatchObject({ raw: 0 });
    expect(await two.stats('w', range)).toEqual(expected);
    for (const sink of [one, two, alone]) await sink.close();
  });

  it('rejects nonsense retention and fold thresholds', () => {
    const database = join(dir, 'x.db');
    expect(() => new SqliteSink({ database, retention: { rawDays: 0 } })).toThrow(RangeError);
    expect(() => new SqliteSink({ database, retention: { dailyDays: Number.NaN } })).toThrow(
      RangeError,
    );
    expect(() => new SqliteSink({ database, foldThreshold: 0 })).toThrow(RangeError);
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  bucketStart,
  dimensionValue,
  type EnrichedClick,
  STATS_DIMENSIONS,
  STATS_INTERVALS,
  type StatsInterval,
} from '@linkpulse/core';
import { makeClick, seededRandom } from '@linkpulse/core/testing';
import { SqliteSink } from '@linkpulse/sinks/sqlite';
import { migrate, openSqliteDatabase } from '@linkpulse/stores/sqlite';
import type { Database } from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLICK_MIGRATIONS } from '../src/sqlite/schema.js';

const HOUR = 3_600_000;
const CODES = ['mig-a', 'mig-b', 'mig-c'];

/** `count` clicks on three codes by 30 visitors over `hours` hours from `start`, 10 % bots. */
function clicks(seed: number, count: number, start: number, hours: number): EnrichedClick[] {
  const next = seededRandom(seed);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)]!;
  return Array.from({ length: count }, () => {
    const bot = next() < 0.1;
    return makeClick({
      code: pick(CODES),
      ts: start + Math.floor(next() * hours * HOUR),
      visitorId: `visitor-${Math.floor(next() * 30)}`,
      bot,
      refererHost: pick([null, 'google.com', 't.co']),
      country: pick([null, 'DE', 'US']),
      browser: pick(['Chrome', 'Firefox']),
    });
  });
}

/**
 * Writes `batch` the way version 1 of the sink did: raw rows, and per (code, granularity,
 * bucket) human clicks, visitors on their first human click in the bucket, bots, and
 * daily and monthly top lists.
 */
function writeVersion1(db: Database, batch: readonly EnrichedClick[]): void {
  const insert = db.prepare(
    `INSERT INTO linkpulse_clicks (id, code, ts, visitor_id, bot, device, browser, os, country,
       referer_host, method) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const count = db.prepare(
    `INSERT INTO linkpulse_click_counts (code, granularity, bucket, clicks, uniques, bots)
     VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (code, granularity, bucket) DO UPDATE SET
       clicks = clicks + excluded.clicks, uniques = uniques + excluded.uniques,
       bots = bots + excluded.bots`,
  );
  const top = db.prepare(
    `INSERT INTO linkpulse_click_tops (code, granularity, bucket, dimension, value, clicks)
     VALUES (?, ?, ?, ?, ?, 1) ON CONFLICT (code, granularity, bucket, dimension, value)
       DO UPDATE SET clicks = clicks + 1`,
  );
  const seen = new Set<string>();
  for (const click of batch) {
    const { id, code, ts, visitorId, bot } = click;
    const { device, browser, os, country, refererHost, method } = click;
    insert.run(
      id,
      code,
      ts,
      visitorId,
      bot ? 1 : 0,
      device,
      browser,
      os,
      country,
      refererHost,
      method,
    );
    for (const granularity of STATS_INTERVALS) {
      const bucket = bucketStart(ts, granularity);
      const key = `${code} ${granularity} ${bucket} ${visitorId}`;
      const isNew = !bot && !seen.has(key);
      if (!bot) seen.add(key);
      count.run(code, granularity, bucket, bot ? 0 : 1, isNew ? 1 : 0, bot ? 1 : 0);
      if (bot || granularity === 'hour') continue;
      for (const dimension of STATS_DIMENSIONS) {
        const value = dimensionValue(click, dimension);
        if (value !== null) top.run(code, granularity, bucket, dimension, value);
      }
    }
  }
}

const RANGES: Array<[StatsInterval, string, string]> = [
  ['hour', '2024-03-30T00:00:00Z', '2024-04-02T00:00:00Z'],
  ['day', '2024-03-01T00:00:00Z', '2024-05-01T00:00:00Z'],
  ['month', '2024-01-01T00:00:00Z', '2024-06-01T00:00:00Z'],
];

async function allStats(sink: SqliteSink) {
  const results = [];
  for (const code of CODES) {
    for (const [interval, from, to] of RANGES) {
      results.push(
        await sink.stats(code, { from: new Date(from), to: new Date(to), interval, top: 5 }),
      );
    }
  }
  return results;
}

describe('SqliteSink schema migration', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'linkpulse-sqlite-migration-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('migrates a version-1 file: same stats, and later writes count as before', async () => {
    // Six weeks across the end of March, then a week more written after the migration
    // (visitors of the first part come back, and part of it is delivered again).
    const before = clicks(1, 1_500, Date.UTC(2024, 2, 10), 24 * 42);
    const after = clicks(2, 700, Date.UTC(2024, 3, 18), 24 * 7);
    const again = before.slice(1_000);

    const v1 = openSqliteDatabase(join(dir, 'v1.db'));
    migrate(v1, 'clicks', CLICK_MIGRATIONS.slice(0, 1));
    writeVersion1(v1, before);
    // Aggregates whose raw events were pruned long ago: they must survive as they are.
    v1.exec(`INSERT INTO linkpulse_click_counts VALUES
        ('mig-a', 'month', ${Date.UTC(2023, 0, 1)}, 40, 30, 2),
        ('mig-a', 'day', ${Date.UTC(2023, 0, 5)}, 7, 6, 0);
      INSERT INTO linkpulse_click_tops VALUES
        ('mig-a', 'month', ${Date.UTC(2023, 0, 1)}, 'countries', 'FR', 25),
        ('mig-a', 'day', ${Date.UTC(2023, 0, 5)}, 'countries', 'FR', 7);`);
    const migrated = new SqliteSink({ database: v1, foldThreshold: 100 });
    const reference = new SqliteSink({ database: join(dir, 'v2.db'), foldThreshold: 100 });
    await reference.write(before);

    expect(await allStats(migrated)).toEqual(await allStats(reference));
    const old = await migrated.stats('mig-a', {
      from: new Date(Date.UTC(2023, 0, 1)),
      to: new Date(Date.UTC(2023, 1, 1)),
      interval: 'month',
      top: 5,
    });
    expect([old.total, old.series[0]?.unique, old.bots]).toEqual([40, 30, 2]);
    expect(old.top.countries).toEqual([{ value: 'FR', clicks: 25 }]);

    for (const sink of [migrated, reference]) {
      await sink.write(again);
      for (let i = 0; i < after.length; i += 150) await sink.write(after.slice(i, i + 150));
    }
    const stats = await allStats(migrated);
    expect(stats).toEqual(await allStats(reference));
    const humans = [...before, ...after].filter((c) => c.code === 'mig-a' && !c.bot);
    const months = stats[CODES.indexOf('mig-a') * RANGES.length + 2]!;
    expect(months.total).toBe(humans.length);

    const version = v1
      .prepare("SELECT version FROM linkpulse_migrations WHERE name = 'clicks'")
      .pluck()
      .get();
    expect(version).toBe(CLICK_MIGRATIONS.length);
    const indexes = v1
      .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?")
      .pluck();
    expect(indexes.all('linkpulse_clicks')).toEqual([
      'sqlite_autoindex_linkpulse_clicks_1',
      'linkpulse_clicks_ts',
    ]);
    expect(indexes.all('linkpulse_click_counts')).toEqual([]);

    // A second sink on the migrated file migrates nothing and reads the same.
    const second = new SqliteSink({ database: join(dir, 'v1.db') });
    expect(await allStats(second)).toEqual(stats);
    await second.close();
    await migrated.close();
    await reference.close();
    v1.close();
  });
});

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbedded, type EmbeddedShortener } from '@linkpulse/embedded';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';

const UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const DAY_MS = 86_400_000;

describe('createEmbedded pipelines', () => {
  const dirs: string[] = [];
  const open: EmbeddedShortener[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((shortener) => shortener.close()));
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  function dbPath(): string {
    const dir = mkdtempSync(join(tmpdir(), 'linkpulse-embedded-'));
    dirs.push(dir);
    return join(dir, 'linkpulse.db');
  }

  async function start(options: Parameters<typeof createEmbedded>[0]) {
    const shortener = await createEmbedded(options);
    open.push(shortener);
    await shortener.shorten({ url: 'https://example.com/p', code: 'pipe' });
    return shortener;
  }

  function clicks(shortener: EmbeddedShortener, count: number, ts?: number): void {
    for (let i = 0; i < count; i++) {
      shortener.recordClick({ code: 'pipe', ip: `192.0.2.${i % 50}`, userAgent: UA, ts });
    }
  }

  it('writes clicks from an analytics thread for a file, and close() writes what is buffered', async () => {
    const path = dbPath();
    const shortener = await createEmbedded({ dbPath: path, secret: 's' });
    await shortener.shorten({ url: 'https://example.com/p', code: 'pipe' });
    expect('threadId' in shortener.analytics).toBe(true);
    clicks(shortener, 700);
    await shortener.close();
    expect(shortener.analytics.worker.counters()).toMatchObject({ written: 700 });

    const reopened = await createEmbedded({ dbPath: path, secret: 's' });
    open.push(reopened);
    expect((await reopened.stats('pipe')).total).toBe(700);
  });

  it('answers stats on the main thread while the thread writes', async () => {
    const shortener = await start({ dbPath: dbPath(), emitter: { flushIntervalMs: 10 } });
    clicks(shortener, 25);
    await expect.poll(async () => (await shortener.stats('pipe')).total).toBe(25);
    expect((await shortener.stats('pipe')).top.browsers).toEqual([{ value: 'Chrome', clicks: 25 }]);
  });

  it('prunes in the analytics thread', async () => {
    const path = dbPath();
    const shortener = await start({
      dbPath: path,
      retention: { rawDays: 1 },
      pruneIntervalMs: 50,
      emitter: { flushIntervalMs: 10 },
    });
    clicks(shortener, 3, Date.now() - 10 * DAY_MS);
    await expect.poll(() => shortener.analytics.worker.counters().written).toBe(3);
    const reader = new Database(path, { readonly: true });
    try {
      await expect
        .poll(() => reader.prepare('SELECT COUNT(*) AS n FROM linkpulse_clicks').get())
        .toEqual({ n: 0 });
    } finally {
      reader.close();
    }
  });

  it('runs the pipeline on this thread for :memory: or when asked', async () => {
    for (const options of [
      { dbPath: ':memory:' },
      { dbPath: dbPath(), pipeline: 'in-process' as const },
    ]) {
      const shortener = await start({ ...options, emitter: { flushIntervalMs: 10 } });
      expect('transport' in shortener.analytics).toBe(true);
      clicks(shortener, 4);
      await expect.poll(async () => (await shortener.stats('pipe')).total).toBe(4);
    }
  });

  it('refuses the thread pipeline for :memory:', async () => {
    await expect(createEmbedded({ dbPath: ':memory:', pipeline: 'thread' })).rejects.toThrow(
      RangeError,
    );
  });

  it('closes the database when the analytics thread cannot start', async () => {
    const path = dbPath();
    await expect(
      createEmbedded({ dbPath: path, thread: { module: join(tmpdir(), 'no-such-thread.js') } }),
    ).rejects.toThrow(/the analytics thread failed: Cannot find module/);
    // SQLite removes the write-ahead log when the last connection closes.
    expect(existsSync(`${path}-wal`)).toBe(false);
    expect(existsSync(path)).toBe(true);
  });
});

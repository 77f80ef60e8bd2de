import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbedded } from '@linkpulse/embedded';
import { afterEach, describe, expect, it } from 'vitest';

const UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';

describe('createEmbedded', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps links and their stats in one SQLite file across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'linkpulse-embedded-'));
    dirs.push(dir);
    const dbPath = join(dir, 'nested', 'linkpulse.db');
    const secret = 'embedded-test-secret';

    const first = await createEmbedded({ dbPath, secret, emitter: { flushIntervalMs: 20 } });
    const link = await first.shorten({ url: 'https://example.com/kept', code: 'kept' });
    for (let i = 0; i < 5; i++) {
      expect((await first.resolve('kept')).status).toBe('found');
      first.recordClick({
        code: 'kept',
        ip: '192.0.2.1',
        userAgent: UA,
        referer: 'https://news.example.org/x',
      });
    }
    await expect.poll(async () => (await first.stats('kept')).total, { timeout: 2_000 }).toBe(5);
    await first.close();

    const second = await createEmbedded({ dbPath, secret });
    expect((await second.get('kept')).url).toBe(link.url);
    const stats = await second.stats('kept', { interval: 'hour' });
    expect(stats).toMatchObject({ total: 5, unique: 1, bots: 0 });
    expect(stats.top.referrers).toEqual([{ value: 'news.example.org', clicks: 5 }]);
    expect(stats.top.devices).toEqual([{ value: 'mobile', clicks: 5 }]);
    await second.close();
  });
});

import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from '@clickhouse/client';
import type { StatsQuery } from '@linkpulse/core';
import { makeClick } from '@linkpulse/core/testing';
import { ClickHouseSink, migrate } from '@linkpulse/sinks/clickhouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClickHouseServer, startClickHouse } from '../../../tools/services/clickhouse.js';
import { requireService } from '../../../tools/services/test-services.js';

// The harness's endpoint says whether ClickHouse can be served here; this file starts (and
// kills) one of its own.
const available = requireService('clickhouse');

const DAY = 86_400_000;
const CODES = ['crash-a', 'crash-b', 'crash-c'];
const PER_BATCH = 4_000;
/** When, after a write starts, the server is SIGKILLed: before, during and after its insert. */
const KILL_AFTER_MS = [0, 5, 15, 30, 60, 120];
const ts = Date.UTC(2024, 5, 1, 12);
const range: StatsQuery = {
  from: new Date(ts - DAY),
  to: new Date(ts + DAY),
  interval: 'day',
  top: 10,
};

describe.skipIf(!available)('ClickHouseSink through ClickHouse crashes (over HTTP)', () => {
  let server: ClickHouseServer;

  beforeAll(async () => {
    server = await startClickHouse();
    const client = createClient({ url: server.url });
    await migrate(client, { rawTtlDays: null, hourlyTtlDays: null, dailyTtlDays: null });
    await client.close();
  });
  afterAll(() => server?.stop());

  it('counts every click of a batch exactly once when the server is SIGKILLed during its write and the batch is written again', async () => {
    const sink = new ClickHouseSink({
      client: createClient({ url: server.url }),
      retry: { attempts: 2, initialDelayMs: 1, maxDelayMs: 5 },
    });
    let clicks = 0;
    let failedWrites = 0;
    for (const [round, killAfterMs] of KILL_AFTER_MS.entries()) {
      const batch = Array.from({ length: PER_BATCH }, (_, i) =>
        makeClick({
          code: CODES[i % CODES.length]!,
          ts: ts + round * PER_BATCH + i,
          visitorId: `visitor-${i % 700}`,
          bot: i % 10 === 0,
        }),
      );
      clicks += batch.length;
      const crash = (async () => {
        await sleep(killAfterMs);
        await server.kill();
        await server.restart();
      })();
      // What a worker does with a batch whose write failed: writes the same batch again.
      for (;;) {
        try {
          await sink.write(batch);
          break;
        } catch {
          failedWrites += 1;
          await crash;
        }
      }
      await crash;
    }

    let total = 0;
    for (const code of CODES) {
      const stats = await sink.stats(code, range);
      total += stats.total + stats.bots;
    }
    const client = createClient({ url: server.url });
    const [{ rows }] = await (
      await client.query({
        query: "SELECT count() AS rows FROM linkpulse.clicks WHERE code LIKE 'crash-%'",
        format: 'JSONEachRow',
      })
    ).json<{ rows: string }>();
    await client.close();
    await sink.close();
    console.info(
      `[clickhouse-crash] ${KILL_AFTER_MS.length} kills, ${failedWrites} writes failed and were written again`,
    );
    expect({ raw: Number(rows), aggregated: total }).toEqual({ raw: clicks, aggregated: clicks });
    // The kills hit writes in flight (otherwise this test proves nothing).
    expect(failedWrites).toBeGreaterThanOrEqual(KILL_AFTER_MS.length / 2);
  }, 120_000);
});

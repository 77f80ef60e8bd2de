import { type ClickEvent, createInProcessAnalytics } from '@linkpulse/core';
import { describe, expect, it } from 'vitest';

const EVENT: ClickEvent = {
  v: 1,
  id: '01J0000000000000000000000A',
  code: 'abc',
  ts: 1_718_000_000_000,
  visitorId: 'visitor-1',
  ipPrefix: null,
  ua: '',
  referer: null,
  method: 'GET',
  utm: null,
};

describe('createInProcessAnalytics', () => {
  it('tells onBatch how every batch ended, failed deliveries included', async () => {
    let failures = 1;
    const batches: [number, boolean][] = [];
    const analytics = await createInProcessAnalytics({
      sinks: [
        {
          async write() {
            if (failures-- > 0) throw new Error('sink down');
          },
          async close() {},
        },
      ],
      worker: { retry: { attempts: 1 } },
      onBatch: (records, acknowledged) => batches.push([records, acknowledged]),
    });
    await analytics.producer.send([EVENT, { ...EVENT, id: '01J0000000000000000000000B' }]);
    await analytics.close();
    expect(batches).toEqual([
      [2, false],
      [2, true],
    ]);
  });

  it('acknowledges a written batch even when onBatch throws', async () => {
    let calls = 0;
    const analytics = await createInProcessAnalytics({
      onBatch: () => {
        calls++;
        throw new Error('progress lost');
      },
    });
    await analytics.producer.send([EVENT]);
    await analytics.transport.drain();
    await analytics.close();
    expect(calls).toBe(1);
    expect(analytics.worker.counters()).toMatchObject({ batches: 1, failedBatches: 0 });
  });

  it('remembers no written ids unless its worker is given a dedupe window', async () => {
    for (const [worker, written] of [
      [{}, 2],
      [{ dedupeWindow: 10 }, 1],
    ] as const) {
      const analytics = await createInProcessAnalytics({ worker });
      await analytics.producer.send([EVENT]);
      await analytics.transport.drain();
      await analytics.producer.send([EVENT]);
      await analytics.close();
      expect(analytics.worker.counters()).toMatchObject({ events: 2, written });
    }
  });
});

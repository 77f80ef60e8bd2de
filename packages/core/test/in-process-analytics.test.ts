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
});

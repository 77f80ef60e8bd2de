import { describe, expect, it } from 'vitest';
import type { KafkaAdminClient, KafkaIncomingMessage } from '../src/kafka/client.js';
import { planReplay, progressTracker } from '../src/kafka/replay.js';

/** Offsets of a three-partition topic; partition 2 is empty. */
function fakeAdmin(byTimestamp: Array<{ partition: number; offset: string }> = []) {
  const calls: Array<number | undefined> = [];
  const admin: KafkaAdminClient = {
    connect: async () => {},
    disconnect: async () => {},
    fetchTopicOffsets: async () => [
      { partition: 0, low: '5', high: '20' },
      { partition: 1, low: '0', high: '7' },
      { partition: 2, low: '3', high: '3' },
    ],
    fetchTopicOffsetsByTimestamp: async (_topic, timestamp) => {
      calls.push(timestamp);
      return byTimestamp;
    },
  };
  return { admin, calls };
}

function message(timestamp: number): KafkaIncomingMessage {
  return { offset: '0', timestamp: String(timestamp), key: null, value: null };
}

describe('planReplay', () => {
  it('starts every partition at its low watermark for earliest and targets the non-empty ones', async () => {
    const { admin, calls } = fakeAdmin();
    const plan = await planReplay(admin, 't', 'earliest');
    expect(calls).toEqual([]);
    expect(plan.seeks).toEqual([
      { partition: 0, offset: '5' },
      { partition: 1, offset: '0' },
      { partition: 2, offset: '3' },
    ]);
    expect([...plan.targets]).toEqual([
      [0, 20n],
      [1, 7n],
    ]);
    expect(plan.accept).toBeUndefined();
  });

  it('seeks to the offsets the broker found for a timestamp and filters older messages', async () => {
    const { admin, calls } = fakeAdmin([
      { partition: 0, offset: '12' },
      { partition: 1, offset: '7' },
      { partition: 2, offset: '3' },
    ]);
    const plan = await planReplay(admin, 't', 1_000);
    expect(calls).toEqual([1_000]);
    expect(plan.seeks).toEqual([
      { partition: 0, offset: '12' },
      { partition: 1, offset: '7' },
      { partition: 2, offset: '3' },
    ]);
    expect([...plan.targets]).toEqual([[0, 20n]]);
    expect(plan.accept?.(message(999))).toBe(false);
    expect(plan.accept?.(message(1_000))).toBe(true);
  });

  it('treats a partition missing from the timestamp answer as having nothing to read', async () => {
    const { admin } = fakeAdmin([{ partition: 1, offset: '2' }]);
    const plan = await planReplay(admin, 't', 1_000);
    expect(plan.seeks).toContainEqual({ partition: 0, offset: '20' });
    expect([...plan.targets]).toEqual([[1, 7n]]);
  });
});

describe('progressTracker', () => {
  it('is caught up at once when nothing is to be read', async () => {
    const progress = progressTracker(new Map());
    await progress.caughtUp;
    expect(progress.replayed).toBe(0);
  });

  it('is caught up once every partition reached its target, counting records until then', async () => {
    const progress = progressTracker(
      new Map([
        [0, 20n],
        [1, 7n],
      ]),
    );
    let caughtUp = false;
    void progress.caughtUp.then(() => {
      caughtUp = true;
    });
    progress.handled(0, '19', 15);
    progress.handled(1, '5', 6);
    await Promise.resolve();
    expect(caughtUp).toBe(false);
    progress.handled(1, '6', 1);
    await progress.caughtUp;
    expect(progress.replayed).toBe(22);
    progress.handled(0, '30', 10);
    expect(progress.replayed).toBe(22);
  });
});

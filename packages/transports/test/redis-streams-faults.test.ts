import { randomUUID } from 'node:crypto';
import type { ClickEvent, ReceivedBatch } from '@linkpulse/core';
import { RedisStreamsTransport } from '@linkpulse/transports/redis';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startRedis } from '../../../tools/services/redis.js';
import { requireService } from '../../../tools/services/test-services.js';

const url = requireService('redis');

function events(count: number, code = 'abc'): ClickEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    v: 1,
    id: `${code}-${String(i).padStart(4, '0')}`,
    code,
    ts: 1_714_560_000_000 + i,
    visitorId: 'AAAAAAAAAAAAAAAA',
    ipPrefix: null,
    ua: 'test',
    referer: null,
    method: 'GET',
    utm: null,
  }));
}

const idsOf = (batch: ReceivedBatch) =>
  batch.records.map((record) => (JSON.parse(record as string) as ClickEvent).id);

describe.skipIf(!url)('RedisStreamsTransport faults', () => {
  let redis: Redis;
  let stream: string;
  let transports: RedisStreamsTransport[];
  const open = (options: Partial<ConstructorParameters<typeof RedisStreamsTransport>[0]> = {}) => {
    const transport = new RedisStreamsTransport({
      redis,
      stream,
      blockMs: 50,
      retryDelayMs: 10,
      ...options,
    });
    transports.push(transport);
    return transport;
  };

  beforeAll(() => {
    redis = new Redis(url!);
  });
  afterAll(() => {
    redis.disconnect();
  });
  beforeEach(() => {
    stream = `t:${randomUUID()}`;
    transports = [];
  });
  afterEach(async () => {
    await Promise.all(transports.map((transport) => transport.close()));
    await redis.del(stream, `${stream}.dlq`);
  });

  it('stops a consumer that was still starting when close() ran: nothing is handled after close', async () => {
    const transport = open();
    const handled: string[] = [];
    const starting = transport.consume(
      async (batch) => {
        handled.push(...idsOf(batch));
      },
      { group: 'g' },
    );
    await transport.close();
    await expect(starting).rejects.toMatchObject({ code: 'unavailable' });
    const writer = open();
    await writer.send(events(1));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(handled).toEqual([]);
  });

  it('moves an entry that keeps failing to the dead-letter stream after maxDeliveries, and goes on', async () => {
    const transport = open({ maxDeliveries: 3, batchSize: 1 });
    const attempts = new Map<string, number[]>();
    const acked: string[] = [];
    await transport.consume(
      async (batch) => {
        const [id] = idsOf(batch);
        attempts.set(id!, [...(attempts.get(id!) ?? []), batch.redeliveries]);
        if (id === 'abc-0001') throw new Error('poison (expected by the test)');
        acked.push(id!);
      },
      { group: 'g' },
    );
    await transport.send(events(3));
    await expect.poll(() => acked.length, { timeout: 5_000 }).toBe(2);
    await expect.poll(async () => redis.xlen(`${stream}.dlq`), { timeout: 5_000 }).toBe(1);

    expect(acked).toEqual(['abc-0000', 'abc-0002']);
    expect(attempts.get('abc-0001')).toEqual([0, 1, 2]);
    const [[, fields]] = (await redis.xrange(`${stream}.dlq`, '-', '+')) as [[string, string[]]];
    expect(JSON.parse(fields[1]!).id).toBe('abc-0001');
    expect(fields.slice(2)).toEqual(['reason', 'not acknowledged after 3 deliveries']);
    const [pending] = (await redis.xpending(stream, 'g')) as [number];
    expect(pending).toBe(0);
    expect(transport.counters().deadLettered).toBe(1);
  });

  it("takes over a dead consumer's pending entries once they are idle for claimIdleMs", async () => {
    const transport = open({ claimIdleMs: 300 });
    await transport.send(events(5));
    // A member that read the entries and died before acknowledging them.
    await redis.xgroup('CREATE', stream, 'g', '0');
    await redis.xreadgroup('GROUP', 'g', 'dead', 'COUNT', 10, 'STREAMS', stream, '>');
    const received: string[] = [];
    const redeliveries: number[] = [];
    await transport.consume(
      async (batch) => {
        received.push(...idsOf(batch));
        redeliveries.push(batch.redeliveries);
      },
      { group: 'g', consumer: 'alive' },
    );
    await expect.poll(() => received.length, { timeout: 5_000 }).toBe(5);
    expect(received.sort()).toEqual(events(5).map((event) => event.id));
    expect(Math.min(...redeliveries)).toBe(1);
    const [pending] = (await redis.xpending(stream, 'g')) as [number];
    expect(pending).toBe(0);
  });

  it('acknowledges and counts as lost the pending entries trimmed before anyone handled them', async () => {
    const transport = open({ claimIdleMs: 100 });
    await transport.send(events(4));
    await redis.xgroup('CREATE', stream, 'g', '0');
    await redis.xreadgroup('GROUP', 'g', 'dead', 'COUNT', 10, 'STREAMS', stream, '>');
    await redis.xtrim(stream, 'MAXLEN', 0);
    let handled = 0;
    await transport.consume(
      async (batch) => {
        handled += batch.records.length;
      },
      { group: 'g' },
    );
    await expect.poll(() => transport.counters().lost, { timeout: 5_000 }).toBe(4);
    const [pending] = (await redis.xpending(stream, 'g')) as [number];
    expect([pending, handled]).toEqual([0, 0]);
  });

  it('caps the stream at about maxLen and counts every trimmed entry', async () => {
    const transport = open({ maxLen: 10 });
    for (let i = 0; i < 6; i++) await transport.send(events(100, `c${i}`));
    const length = await redis.xlen(stream);
    const { sent, trimmed } = transport.counters();
    expect(sent).toBe(600);
    expect(length).toBeLessThan(600);
    expect(trimmed).toBe(600 - length);
  });

  it('keeps dead letters from the worker with their reasons', async () => {
    const transport = open();
    await transport.deadLetter([
      { record: '{"v":2}', reason: 'unknown version' },
      { record: { not: 'a string' }, reason: 'malformed' },
    ]);
    const entries = (await redis.xrange(`${stream}.dlq`, '-', '+')) as [string, string[]][];
    expect(entries.map(([, fields]) => fields)).toEqual([
      ['record', '{"v":2}', 'reason', 'unknown version'],
      ['record', '{"not":"a string"}', 'reason', 'malformed'],
    ]);
    await transport.close();
    await expect(transport.send(events(1))).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('keeps consuming across a Redis restart, losing nothing acknowledged', async () => {
    const server = await startRedis({ appendonly: true });
    const own = new Redis(server.url, { maxRetriesPerRequest: null, retryStrategy: () => 50 });
    const transport = new RedisStreamsTransport({ redis: own, stream, blockMs: 50 });
    try {
      const received = new Set<string>();
      await transport.consume(
        async (batch) => {
          for (const id of idsOf(batch)) received.add(id);
        },
        { group: 'g' },
      );
      await transport.send(events(10, 'before'));
      await expect.poll(() => received.size, { timeout: 5_000 }).toBe(10);

      await server.kill();
      await server.restart();
      await transport.send(events(10, 'after'));
      await expect.poll(() => received.size, { timeout: 10_000 }).toBe(20);
    } finally {
      await transport.close();
      own.disconnect();
      await server.stop();
    }
  });
});

import {
  type ClickEvent,
  isLinkPulseError,
  MemoryTransport,
  type ReceivedBatch,
  recordToObject,
} from '@linkpulse/core';
import { describeTransport } from '@linkpulse/core/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';

describeTransport('MemoryTransport', async () => ({ transport: new MemoryTransport() }), {
  timeoutMs: 2_000,
});

describeTransport(
  'MemoryTransport, batches of 3',
  async () => ({ transport: new MemoryTransport({ maxBatchSize: 3, redeliveryDelayMs: 5 }) }),
  { timeoutMs: 2_000, records: 25 },
);

const event = (id: string): ClickEvent => ({
  v: 1,
  id,
  code: 'abc',
  ts: 0,
  visitorId: 'v',
  ipPrefix: null,
  ua: '',
  referer: null,
  method: 'GET',
  utm: null,
});
const events = (count: number) => Array.from({ length: count }, (_, i) => event(`e${i}`));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('MemoryTransport', () => {
  const transports: MemoryTransport[] = [];
  const create = (options?: ConstructorParameters<typeof MemoryTransport>[0]) => {
    const transport = new MemoryTransport(options);
    transports.push(transport);
    return transport;
  };
  afterEach(async () => {
    await Promise.all(transports.splice(0).map((transport) => transport.close()));
  });

  it('hands over the objects sent, in batches of at most maxBatchSize', async () => {
    const transport = create({ maxBatchSize: 4 });
    const batches: ReceivedBatch[] = [];
    await transport.consume(async (batch) => void batches.push(batch), { group: 'g' });
    const sent = events(10);
    await transport.send(sent);
    await vi.waitFor(() => expect(batches.flatMap((batch) => batch.records)).toHaveLength(10));
    expect(batches.map((batch) => batch.records.length)).toEqual([4, 4, 2]);
    expect(batches[0]!.records[0]).toBe(sent[0]);
  });

  it('spreads the work of a group over its idle members', async () => {
    const transport = create({ maxBatchSize: 2 });
    const seen = { a: 0, b: 0 };
    const slowly = (member: 'a' | 'b') => async (batch: ReceivedBatch) => {
      seen[member] += batch.records.length;
      await sleep(5);
    };
    await transport.consume(slowly('a'), { group: 'g' });
    await transport.consume(slowly('b'), { group: 'g' });
    await transport.send(events(20));
    await vi.waitFor(() => expect(seen.a + seen.b).toBe(20));
    expect(seen.a).toBeGreaterThan(0);
    expect(seen.b).toBeGreaterThan(0);
  });

  it('keeps records sent before any consumer, and a later group starts at the oldest unread', async () => {
    const transport = create();
    await transport.send(events(3));
    const first: unknown[] = [];
    await transport.consume(async (batch) => void first.push(...batch.records), { group: 'one' });
    await vi.waitFor(() => expect(first).toHaveLength(3));
    const second: unknown[] = [];
    await transport.consume(async (batch) => void second.push(...batch.records), { group: 'two' });
    await transport.send(events(2));
    await vi.waitFor(() => expect(second).toHaveLength(2));
    expect(first).toHaveLength(5);
  });

  it('redelivers a rejected batch with growing redeliveries until it is acknowledged', async () => {
    const transport = create({ redeliveryDelayMs: 1 });
    const deliveries: number[] = [];
    await transport.consume(
      async (batch) => {
        deliveries.push(batch.redeliveries);
        if (batch.redeliveries < 3) throw new Error('not yet');
      },
      { group: 'g' },
    );
    await transport.send(events(2));
    await vi.waitFor(() => expect(deliveries).toEqual([0, 1, 2, 3]));
    expect(await transport.drain({ timeoutMs: 1_000 })).toBe(true);
  });

  it('drain waits until every running group acknowledged everything', async () => {
    const transport = create({ maxBatchSize: 5 });
    let handled = 0;
    await transport.consume(
      async (batch) => {
        await sleep(2);
        handled += batch.records.length;
      },
      { group: 'g' },
    );
    await transport.send(events(30));
    expect(await transport.drain()).toBe(true);
    expect(handled).toBe(30);
  });

  it('drain gives up after its timeout while a handler keeps failing', async () => {
    const transport = create({ redeliveryDelayMs: 1 });
    await transport.consume(
      async () => {
        throw new Error('down');
      },
      { group: 'g' },
    );
    await transport.send(events(1));
    expect(await transport.drain({ timeoutMs: 30 })).toBe(false);
  });

  it('trims records every group has read, and still delivers everything', async () => {
    const transport = create({ maxBatchSize: 100 });
    const ids = new Set<string>();
    await transport.consume(
      async (batch) => {
        for (const record of batch.records) ids.add((record as ClickEvent).id);
      },
      { group: 'g' },
    );
    for (let round = 0; round < 5; round++) {
      await transport.send(events(1_000).map((e) => ({ ...e, id: `${round}-${e.id}` })));
    }
    expect(await transport.drain({ timeoutMs: 5_000 })).toBe(true);
    expect(ids.size).toBe(5_000);
  });

  it('keeps dead letters and refuses work once closed', async () => {
    const transport = create();
    await transport.deadLetter([{ record: 'garbage', reason: 'not JSON' }]);
    expect(transport.deadLetters).toEqual([{ record: 'garbage', reason: 'not JSON' }]);
    await transport.close();
    const error = await transport.send(events(1)).catch((reason: unknown) => reason);
    expect(isLinkPulseError(error, 'unavailable')).toBe(true);
    const refused = await transport
      .consume(async () => {}, { group: 'g' })
      .catch((reason: unknown) => reason);
    expect(isLinkPulseError(refused, 'unavailable')).toBe(true);
  });

  it('close waits for handlers in progress', async () => {
    const transport = create();
    let started = false;
    let finished = false;
    await transport.consume(
      async () => {
        started = true;
        await sleep(20);
        finished = true;
      },
      { group: 'g' },
    );
    await transport.send(events(1));
    await vi.waitFor(() => expect(started).toBe(true));
    await transport.close();
    expect(finished).toBe(true);
  });
});

describe('recordToObject', () => {
  it('parses JSON strings and buffers, passes other values through', () => {
    const value = { v: 1, id: 'x', nested: { ok: true } };
    expect(recordToObject(JSON.stringify(value))).toEqual(value);
    expect(recordToObject(Buffer.from(JSON.stringify(value)))).toEqual(value);
    expect(recordToObject(new TextEncoder().encode(JSON.stringify(value)))).toEqual(value);
    expect(recordToObject(value)).toBe(value);
    expect(recordToObject(null)).toBeNull();
  });

  it('throws invalid_body for text that is not JSON', () => {
    for (const bad of ['{not json', Buffer.from('\u0000')]) {
      let error: unknown;
      try {
        recordToObject(bad);
      } catch (caught) {
        error = caught;
      }
      expect(isLinkPulseError(error, 'invalid_body')).toBe(true);
    }
  });
});

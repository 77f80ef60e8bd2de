import { ClickEmitter, type ClickEvent, recordToObject } from '@linkpulse/core';
import type { KafkaTransport } from '@linkpulse/transports/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KafkaMock, startKafkaMock } from '../../../tools/services/kafka.js';
import { requireService } from '../../../tools/services/test-services.js';
import {
  clickEvents,
  idsOf,
  TEST_CONSUMER,
  testKafka,
  testTransport,
  uniqueTopic,
  waitFor,
} from './kafka-helpers.js';

// These tests need a one-broker cluster of their own: taking the shared one down would
// fail other files, and with several brokers kafkajs' other fetchers heartbeat for a
// member whose handler is busy, which would hide a missing heartbeat.
const available = requireService('kafka') !== undefined;
const OUTAGE_MS = 5_000;
const TICK_MS = 50;
const CLICKS_PER_TICK = 10;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!available)('KafkaTransport on a single broker', () => {
  let mock: KafkaMock;
  const transports: KafkaTransport[] = [];

  /** A transport on a fresh topic of the private cluster. */
  const transportFor = async (consumer = TEST_CONSUMER) => {
    const topic = uniqueTopic();
    await mock.createTopic(topic, 4);
    const transport = testTransport(testKafka(mock.brokers), { topic, consumer });
    transports.push(transport);
    return transport;
  };

  beforeAll(async () => {
    mock = await startKafkaMock({ brokers: 1, topics: {} });
  });

  afterAll(async () => {
    await Promise.allSettled(transports.map((transport) => transport.close()));
    await mock?.stop();
  });

  it('the emitter buffers through a 5 s outage and delivers after recovery, dropping only past capacity', async () => {
    const transport = await transportFor();
    /** Distinct click ids received by the consumer group, per short code. */
    const received = new Map<string, Set<string>>();
    const subscription = await transport.consume(
      async ({ records }) => {
        for (const record of records) {
          const event = recordToObject(record) as ClickEvent;
          const ids = received.get(event.code) ?? new Set<string>();
          received.set(event.code, ids.add(event.id));
        }
      },
      { group: 'outage-workers' },
    );
    const emitterOptions = {
      transport,
      secret: 'outage-test',
      flushIntervalMs: 50,
      sendTimeoutMs: 5_000,
      retry: { initialDelayMs: 50, maxDelayMs: 500 },
    };
    const roomy = new ClickEmitter({ ...emitterOptions, capacity: 10_000 });
    const tight = new ClickEmitter({ ...emitterOptions, capacity: 200 });
    const emitFor = async (ms: number) => {
      for (const end = Date.now() + ms; Date.now() < end; await sleep(TICK_MS)) {
        for (let i = 0; i < CLICKS_PER_TICK; i++) {
          roomy.emit({ code: 'roomy', ip: '198.51.100.7', userAgent: 'outage test' });
          tight.emit({ code: 'tight', ip: '198.51.100.8', userAgent: 'outage test' });
        }
      }
    };

    try {
      await emitFor(1_000);
      await mock.brokerDown();
      await emitFor(OUTAGE_MS);
      await mock.brokerUp();
      await emitFor(1_000);
      await Promise.all([roomy.flush(), tight.flush()]);

      const a = roomy.counters();
      const b = tight.counters();
      // Sends failed while the broker was down, and nothing was lost where there was room.
      expect(a.failedSends).toBeGreaterThan(0);
      expect(a.dropped).toBe(0);
      expect(a.sent).toBe(a.emitted);
      // The small buffer overflowed: the drops are counted, everything else was sent.
      expect(b.dropped).toBeGreaterThan(0);
      expect(b.sent + b.dropped).toBe(b.emitted);

      const count = (code: string) => received.get(code)?.size ?? 0;
      await waitFor(
        'every sent click at the consumer',
        () => count('roomy') >= a.sent && count('tight') >= b.sent,
        30_000,
      );
      expect(count('roomy')).toBe(a.emitted);
      expect(count('tight')).toBe(b.sent);
    } finally {
      await Promise.all([roomy.close(), tight.close()]);
      await subscription.stop();
    }
  }, 60_000);

  it('keeps heartbeating through a batch that outlasts the session timeout', async () => {
    const sessionTimeout = 4_000;
    const transport = await transportFor({ ...TEST_CONSUMER, sessionTimeout });
    const deliveries: Array<{ ids: string[]; redeliveries: number }> = [];
    const subscription = await transport.consume(
      async ({ records, redeliveries }) => {
        deliveries.push({ ids: idsOf(records), redeliveries });
        if (deliveries.length === 1) await sleep(sessionTimeout * 2);
      },
      { group: 'slow-workers' },
    );
    try {
      await transport.send(clickEvents('slow', 5));
      await waitFor('the slow batch', () => deliveries.length > 0);
      await sleep(sessionTimeout * 2);
      await transport.send(clickEvents('after', 3));
      await waitFor('the next batch', () => deliveries.some(({ ids }) => ids[0] === 'after-0000'));
      await sleep(500);
    } finally {
      await subscription.stop();
    }
    // The member kept its place in the group: nothing was delivered twice.
    const ids = deliveries.flatMap((delivery) => delivery.ids);
    expect(ids.sort()).toEqual(
      [...clickEvents('after', 3), ...clickEvents('slow', 5)].map((e) => e.id).sort(),
    );
    expect(deliveries.map(({ redeliveries }) => redeliveries)).toEqual(deliveries.map(() => 0));
  }, 60_000);
});

import type { Subscription } from '@linkpulse/core';
import { KafkaTransport } from '@linkpulse/transports/kafka';
import type { Kafka } from 'kafkajs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { requireService } from '../../../tools/services/test-services.js';
import {
  clickEvents,
  deferred,
  idsOf,
  KAFKAJS_CLIENT,
  testKafka,
  testTransport,
  uniqueTopic,
  waitFor,
} from './kafka-helpers.js';
import { describeKafkaTransport } from './kafka-transport-suite.js';

const brokers = requireService('kafka')?.split(',');

describe.skipIf(!brokers)('KafkaTransport', () => {
  describeKafkaTransport(KAFKAJS_CLIENT, brokers);

  // kafkajs only: confluent's consumer commits by itself (see the last test).
  describe('with fetchAhead', () => {
    let kafka: Kafka;
    let topic: string;
    let subscriptions: Subscription[];
    let ahead: KafkaTransport;
    /** Batches a test holds: released before stopping, so a failed test does not hang. */
    let held: ReturnType<typeof deferred>[];

    beforeEach(() => {
      kafka = testKafka(brokers!);
      topic = uniqueTopic();
      subscriptions = [];
      ahead = testTransport(kafka, { topic, fetchAhead: 3 });
      held = [];
    });

    afterEach(async () => {
      for (const batch of held) batch.resolve();
      await Promise.allSettled(subscriptions.map((subscription) => subscription.stop()));
      await ahead.close();
    });

    /** A batch the handler holds until the test settles it. */
    const hold = () => {
      const batch = deferred();
      held.push(batch);
      return batch;
    };

    /** The offset the group committed for each partition that has one. */
    async function committed(group: string): Promise<Map<number, string>> {
      const admin = kafka.admin();
      await admin.connect();
      try {
        const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
        return new Map(
          offsets!.partitions
            .filter(({ offset }) => offset !== '-1')
            .map(({ partition, offset }) => [partition, offset]),
        );
      } finally {
        await admin.disconnect();
      }
    }

    it('keeps fetching while a batch is in hand, and commits no further than that batch', async () => {
      const group = `${topic}-g`;
      const first = hold();
      const batches: string[][] = [];
      let unhandled = 0;
      let mostUnhandled = 0;
      subscriptions.push(
        await ahead.consume(
          async ({ records }) => {
            batches.push(idsOf(records));
            mostUnhandled = Math.max(mostUnhandled, ++unhandled);
            try {
              if (batches.length === 1) await first.promise;
            } finally {
              unhandled -= 1;
            }
          },
          { group },
        ),
      );
      // One code: every click is keyed to the same partition; one batch per send.
      const events = clickEvents('solo', 25);
      for (let send = 0; send < 5; send++) {
        await ahead.send(events.slice(send * 5, send * 5 + 5));
        await waitFor(
          `batch ${send + 1}`,
          () => batches.flat().length >= send * 5 + 5 || unhandled >= 3,
        );
      }
      await waitFor('three batches in hand', () => unhandled === 3 || batches.flat().length >= 15);

      expect(batches.length).toBeGreaterThan(1); // later batches came while the first was held
      expect(mostUnhandled).toBeLessThanOrEqual(3);
      const firstBatchStart = Number(/\d+$/.exec(batches[0]![0]!)![0]);
      expect(firstBatchStart).toBe(0);
      // The first batch is in hand: nothing of its partition may be committed past its start.
      expect([...(await committed(group)).values()]).toEqual([]);

      first.resolve();
      await waitFor('every click', () => new Set(batches.flat()).size === 25);
      await subscriptions.pop()!.stop();
      expect(batches.flat()).toEqual(events.map((event) => event.id)); // in order, once each
      const after = await committed(group);
      expect([...after.values()]).toEqual(['25']);
    }, 40_000);

    it('rewinds a failed batch with the batches fetched after it, and loses nothing', async () => {
      const group = `${topic}-g`;
      const delivered: Array<{ ids: string[]; redeliveries: number }> = [];
      const first = hold();
      subscriptions.push(
        await ahead.consume(
          async ({ records, redeliveries }) => {
            delivered.push({ ids: idsOf(records), redeliveries });
            if (delivered.length === 1) {
              await first.promise; // fails once later batches were fetched
            }
          },
          { group },
        ),
      );
      const events = clickEvents('flaky', 15);
      for (let send = 0; send < 3; send++) {
        await ahead.send(events.slice(send * 5, send * 5 + 5));
        await waitFor(`batch ${send + 1}`, () => delivered.length >= send + 1);
      }
      first.reject(new Error('sink down (expected by the test)'));
      const ids = events.map((event) => event.id);
      // After the rewind the partition is read again from the failed batch's first click.
      await waitFor('the rewind', () => delivered.some(({ redeliveries }) => redeliveries === 1));
      await waitFor('every click after the rewind', () => {
        const start = delivered.findIndex(({ redeliveries }) => redeliveries === 1);
        return delivered.slice(start).flatMap(({ ids }) => ids).length >= ids.length;
      });
      const start = delivered.findIndex(({ redeliveries }) => redeliveries === 1);
      expect(delivered[start]!.ids[0]).toBe(ids[0]);
      expect(delivered.slice(start).flatMap((batch) => batch.ids)).toEqual(ids);
      await subscriptions.pop()!.stop();
      expect([...(await committed(group)).values()]).toEqual(['15']);
    }, 40_000);

    it('rejects fetchAhead with a client flavor that commits by itself, and nonsense values', () => {
      expect(() => new KafkaTransport({ kafka, flavor: 'confluent', fetchAhead: 4 })).toThrow(
        /kafkajs flavor/,
      );
      expect(() => new KafkaTransport({ kafka, fetchAhead: -1 })).toThrow(RangeError);
      expect(() => new KafkaTransport({ kafka, fetchAhead: 1.5 })).toThrow(RangeError);
      expect(new KafkaTransport({ kafka, fetchAhead: 8 }).concurrentBatches).toBe(8);
      expect(
        new KafkaTransport({ kafka, partitionsConsumedConcurrently: 4 }).concurrentBatches,
      ).toBe(4);
    });
  });
});

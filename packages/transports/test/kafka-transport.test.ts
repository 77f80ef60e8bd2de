import type { Subscription } from '@linkpulse/core';
import { DEAD_LETTER_REASON_HEADER, KafkaTransport } from '@linkpulse/transports/kafka';
import type { Kafka } from 'kafkajs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { requireService } from '../../../tools/services/test-services.js';
import {
  clickEvents,
  deferred,
  idsOf,
  TEST_CONSUMER,
  testKafka,
  testTransport,
  uniqueTopic,
  waitFor,
} from './kafka-helpers.js';

const brokers = requireService('kafka')?.split(',');

describe.skipIf(!brokers)('KafkaTransport', () => {
  describe('against the mock broker', () => {
    let kafka: Kafka;
    let topic: string;
    let transport: KafkaTransport;
    let subscriptions: Subscription[];

    beforeEach(() => {
      kafka = testKafka(brokers!);
      topic = uniqueTopic();
      transport = testTransport(kafka, { topic, deadLetterTopic: `${topic}.dlq` });
      subscriptions = [];
    });

    afterEach(async () => {
      await Promise.allSettled(subscriptions.map((subscription) => subscription.stop()));
      await transport.close();
    });

    it('pauses a failing partition and redelivers its batch while other partitions flow', async () => {
      const failing = 'failing';
      const others = ['a1', 'b2', 'c3', 'd4', 'e5', 'f6', 'g7', 'h8'];
      const acked = new Set<string>();
      const redeliveries: number[] = [];
      let othersAckedWhileFailing = 0;
      let failures = 0;
      const subscription = await transport.consume(
        async ({ records, redeliveries: count }) => {
          const ids = idsOf(records);
          if (ids.some((id) => id.startsWith(`${failing}-`))) {
            redeliveries.push(count);
            if (failures < 3) {
              failures++;
              throw new Error('sink down (expected by the test)');
            }
          } else if (failures > 0 && failures < 3) {
            othersAckedWhileFailing += ids.length;
          }
          for (const id of ids) acked.add(id);
        },
        { group: `${topic}-g` },
      );
      subscriptions.push(subscription);

      await transport.send(clickEvents(failing, 5));
      await waitFor('the first failure', () => failures > 0);
      const rest = others.flatMap((code) => clickEvents(code, 5));
      await transport.send(rest);
      await waitFor('every record', () => acked.size === 5 + rest.length);

      expect(redeliveries.slice(0, 4)).toEqual([0, 1, 2, 3]);
      expect(othersAckedWhileFailing).toBeGreaterThan(0);
      expect([...acked].sort()).toEqual(
        [...clickEvents(failing, 5), ...rest].map((event) => event.id).sort(),
      );
    });

    it('hands several partitions to the handler at once with partitionsConsumedConcurrently, each in order, and commits each batch', async () => {
      const concurrent = testTransport(kafka, { topic, partitionsConsumedConcurrently: 4 });
      const codes = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8'];
      const perCode = new Map(codes.map((code) => [code, clickEvents(code, 15)]));
      // Three sends, so that every partition has several batches to hand over in order.
      for (let round = 0; round < 3; round++) {
        await transport.send(
          codes.flatMap((code) => perCode.get(code)!.slice(round * 5, round * 5 + 5)),
        );
      }
      const seen: string[] = [];
      let active = 0;
      let mostActive = 0;
      const group = `${topic}-g`;
      const subscription = await concurrent.consume(
        async ({ records }) => {
          mostActive = Math.max(mostActive, ++active);
          await new Promise((resolve) => setTimeout(resolve, 100));
          seen.push(...idsOf(records));
          active -= 1;
        },
        { group },
      );
      await waitFor('every record', () => seen.length === codes.length * 15);
      await subscription.stop();
      await concurrent.close();
      expect(mostActive).toBeGreaterThan(1);
      for (const code of codes) {
        expect(seen.filter((id) => id.startsWith(`${code}-`))).toEqual(
          perCode.get(code)!.map((event) => event.id),
        );
      }

      // Every batch was committed: the group's next member gets only what comes after.
      const later: string[] = [];
      subscriptions.push(
        await transport.consume(
          async ({ records }) => {
            later.push(...idsOf(records));
          },
          { group },
        ),
      );
      await transport.send(clickEvents('after', 2));
      await waitFor('the later clicks', () => later.length >= 2);
      expect(later).toEqual(['after-0000', 'after-0001']);
    }, 40_000);

    it('writes dead letters to the dead-letter topic with their reason', async () => {
      await transport.deadLetter([
        { record: Buffer.from('not json'), reason: 'record is not valid JSON' },
        { record: { v: 9 }, reason: 'unknown version 9' },
      ]);
      const consumer = kafka.consumer({ groupId: `${topic}-dlq-reader`, ...TEST_CONSUMER });
      await consumer.connect();
      await consumer.subscribe({ topics: [`${topic}.dlq`], fromBeginning: true });
      const letters: Array<{ value: string; reason: string }> = [];
      await consumer.run({
        eachMessage: async ({ message }) => {
          letters.push({
            value: message.value!.toString(),
            reason: String(message.headers?.[DEAD_LETTER_REASON_HEADER]),
          });
        },
      });
      try {
        await waitFor('both dead letters', () => letters.length >= 2);
      } finally {
        await consumer.disconnect();
      }
      expect(letters).toHaveLength(2);
      expect(letters).toEqual(
        expect.arrayContaining([
          { value: 'not json', reason: 'record is not valid JSON' },
          { value: '{"v":9}', reason: 'unknown version 9' },
        ]),
      );
    });

    it('replays the log from the earliest offset with a fresh group and stops when caught up', async () => {
      const sent = ['r1', 'r2', 'r3', 'r4'].flatMap((code) => clickEvents(code, 25));
      await transport.send(sent);
      const live: string[] = [];
      const worker = await transport.consume(
        async ({ records }) => {
          live.push(...idsOf(records));
        },
        { group: `${topic}-workers` },
      );
      subscriptions.push(worker);
      await waitFor('the live group', () => live.length >= sent.length);

      const replayed: string[] = [];
      const result = await transport.replay({
        from: 'earliest',
        handler: async ({ records }) => {
          replayed.push(...idsOf(records));
        },
      });
      expect(result.group).toMatch(/^linkpulse-replay-/);
      expect(result.replayed).toBe(sent.length);
      expect([...replayed].sort()).toEqual(sent.map((event) => event.id).sort());

      // Stopped once caught up: later clicks reach the live group only.
      const later = clickEvents('later', 3);
      await transport.send(later);
      await waitFor('the later clicks in the live group', () => live.length >= sent.length + 3);
      expect(replayed).toHaveLength(sent.length);
    });

    it('keeps following the log after catching up when untilCaughtUp is false', async () => {
      await transport.send(clickEvents('old', 10));
      const seen: string[] = [];
      const result = await transport.replay({
        from: 'earliest',
        untilCaughtUp: false,
        handler: async ({ records }) => {
          seen.push(...idsOf(records));
        },
      });
      subscriptions.push(result);
      expect(result.replayed).toBe(10);
      await transport.send(clickEvents('new', 4));
      await waitFor('the new clicks', () => seen.length >= 14);
      expect(seen.filter((id) => id.startsWith('new-'))).toHaveLength(4);
    });

    it('resolves a replay of an empty topic at once', async () => {
      const admin = kafka.admin();
      await admin.connect();
      // A metadata request creates the topic (the mock auto-creates topics with 4 partitions).
      await admin.fetchTopicMetadata({ topics: [topic] }).finally(() => admin.disconnect());
      const result = await transport.replay({
        from: 'earliest',
        handler: async () => {
          throw new Error('nothing to replay');
        },
      });
      expect(result.replayed).toBe(0);
    });

    describe('with fetchAhead', () => {
      let ahead: KafkaTransport;
      /** Batches a test holds: released before stopping, so a failed test does not hang. */
      let held: ReturnType<typeof deferred>[];

      beforeEach(() => {
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
        await waitFor(
          'three batches in hand',
          () => unhandled === 3 || batches.flat().length >= 15,
        );

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
});

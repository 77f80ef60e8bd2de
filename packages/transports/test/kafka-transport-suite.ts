import type { Subscription } from '@linkpulse/core';
import {
  DEAD_LETTER_REASON_HEADER,
  type KafkaClient,
  type KafkaTransport,
} from '@linkpulse/transports/kafka';
import type { Kafka } from 'kafkajs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  clickEvents,
  idsOf,
  TEST_CONSUMER,
  type TestClient,
  testKafka,
  testTransport,
  uniqueTopic,
  waitFor,
} from './kafka-helpers.js';

/**
 * The tests of {@link KafkaTransport} on `client` against the mock broker at `brokers`
 * (read when the tests run; callers skip the suite when there is none): a failing
 * partition paused and redelivered while the others flow, several partitions at once,
 * batches committed, dead letters with their reason, replays (where the client replays on
 * the mock: see {@link TestClient.replaysOnMock}). Dead letters and topics are looked at
 * with a kafkajs client of its own, whatever the client under test.
 */
export function describeKafkaTransport(
  client: TestClient,
  brokers: readonly string[] | undefined,
): void {
  describe(`against the mock broker (${client.flavor})`, () => {
    let kafka: KafkaClient;
    let observer: Kafka;
    let topic: string;
    let transport: KafkaTransport;
    let subscriptions: Subscription[];

    beforeEach(() => {
      kafka = client.connect(brokers!);
      observer = testKafka(brokers!);
      topic = uniqueTopic();
      transport = testTransport(kafka, {
        flavor: client.flavor,
        topic,
        deadLetterTopic: `${topic}.dlq`,
      });
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
      const concurrent = testTransport(kafka, {
        flavor: client.flavor,
        topic,
        partitionsConsumedConcurrently: 4,
      });
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
      const consumer = observer.consumer({ groupId: `${topic}-dlq-reader`, ...TEST_CONSUMER });
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

    it.skipIf(!client.replaysOnMock)(
      'replays the log from the earliest offset with a fresh group and stops when caught up',
      async () => {
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
      },
    );

    it.skipIf(!client.replaysOnMock)(
      'keeps following the log after catching up when untilCaughtUp is false',
      async () => {
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
      },
    );

    it.skipIf(!client.replaysOnMock)('resolves a replay of an empty topic at once', async () => {
      const admin = observer.admin();
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
  });
}

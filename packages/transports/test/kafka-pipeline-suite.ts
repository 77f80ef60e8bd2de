import { randomUUID } from 'node:crypto';
import { type ClickConsumer, ClickEmitter, ClickWorker } from '@linkpulse/core';
import { RedisCounterSink } from '@linkpulse/sinks/redis';
import type { KafkaTransport } from '@linkpulse/transports/kafka';
import { Redis } from 'ioredis';
import { Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clickCounts,
  clickEvents,
  HUMAN_UA,
  SLOW_BROKER,
  type TestClient,
  testKafka,
  testTransport,
  totalClicks,
  uniqueTopic,
  waitFor,
} from './kafka-helpers.js';

const CLICKS_PER_EMITTER = 5_000;
const CODES = Array.from({ length: 20 }, (_, i) => `kp${i}`);
const POISON_OK_CODE = 'kpvalid';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The Kafka path end to end: emitters (app nodes) → KafkaTransport → a group of two
 * ClickWorkers → RedisCounterSink, against the mock broker and a real redis-server.
 * The tests run in order on one topic and one pipeline, the transports on `client`
 * (`brokers` and `redisUrl` are read when the tests run; callers skip the suite without
 * them). Poison is put on the topic, and dead letters are read, with kafkajs clients of
 * their own, whatever the client under test.
 */
export function describeKafkaPipeline(
  client: TestClient,
  brokers: readonly string[] | undefined,
  redisUrl: string | undefined,
): void {
  describe(`Kafka pipeline end to end (${client.flavor})`, () => {
    const topic = uniqueTopic();
    const deadLetterTopic = `${topic}.dlq`;
    const group = `${topic}-workers`;
    let redis: Redis;
    let sink: RedisCounterSink;
    let workers: ClickWorker[];
    const transports: KafkaTransport[] = [];

    /** A transport with a client of its own, as on a separate node. */
    const nodeTransport = (
      options: {
        topic?: string;
        partitionsConsumedConcurrently?: number;
        fetchAhead?: number;
        eventsPerMessage?: number;
      } = {},
    ) => {
      const transport = testTransport(client.connect(brokers!), {
        flavor: client.flavor,
        topic,
        deadLetterTopic,
        ...options,
      });
      transports.push(transport);
      return transport;
    };

    /**
     * Every dead letter so far, read by replaying the dead-letter topic with kafkajs (see
     * {@link TestClient.replaysOnMock}).
     */
    const deadLetters = async () => {
      const letters: string[] = [];
      const reader = testTransport(testKafka(brokers!), { topic: deadLetterTopic });
      await reader.replay({
        from: 'earliest',
        handler: async ({ records }) => {
          letters.push(...records.map(String));
        },
      });
      return letters;
    };

    beforeAll(async () => {
      redis = new Redis(redisUrl!);
      sink = new RedisCounterSink({ redis, prefix: `lp:${randomUUID().slice(0, 8)}:` });
      workers = [0, 1].map((node) => {
        // Both partitions a member owns at once, their batches merged into one write; with
        // kafkajs the second member keeps fetching while it writes (the group mixes both ways).
        const transport = nodeTransport({
          partitionsConsumedConcurrently: 2,
          ...(node === 1 && client.flavor === 'kafkajs' ? { fetchAhead: 4 } : {}),
        });
        return new ClickWorker({
          consumer: transport,
          deadLetters: transport,
          sinks: [sink],
          group,
          writeLingerMs: 20,
        });
      });
      // Joining together makes one rebalance instead of two.
      await Promise.all(workers.map((worker) => worker.start()));
    });

    afterAll(async () => {
      await Promise.allSettled((workers ?? []).map((worker) => worker.stop()));
      await Promise.allSettled(transports.map((transport) => transport.close()));
      redis?.disconnect();
    });

    it('10,000 clicks from two emitters reach a group of two workers; Redis counts exactly 10,000', async () => {
      const emitters = [0, 1].map(
        () =>
          new ClickEmitter({
            transport: nodeTransport(),
            secret: 'pipeline-test',
            flushIntervalMs: 50,
          }),
      );
      for (let i = 0; i < CLICKS_PER_EMITTER; i++) {
        for (const [node, emitter] of emitters.entries()) {
          emitter.emit({
            code: CODES[i % CODES.length]!,
            ip: `198.51.${node}.${i % 250}`,
            userAgent: HUMAN_UA,
          });
        }
        if (i % 500 === 499) await sleep(10);
      }
      await Promise.all(emitters.map((emitter) => emitter.close(SLOW_BROKER)));
      for (const emitter of emitters) {
        expect(emitter.counters()).toMatchObject({
          emitted: CLICKS_PER_EMITTER,
          sent: CLICKS_PER_EMITTER,
          dropped: 0,
        });
      }

      const expected = 2 * CLICKS_PER_EMITTER;
      await waitFor(
        '10,000 clicks counted',
        async () => (await totalClicks(sink, CODES)) >= expected,
        30_000,
      );
      await sleep(500); // redeliveries, if any, would show up now
      expect(await totalClicks(sink, CODES)).toBe(expected);
      // Both members of the group did part of the work.
      for (const worker of workers) expect(worker.counters().written).toBeGreaterThan(0);
    }, 60_000);

    it('a poison message lands in the dead-letter topic and the rest is processed', async () => {
      const poison = ['not json at all', JSON.stringify({ v: 2, id: 'future', code: 'kp0' })];
      const kafka = testKafka(brokers!);
      const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
      await producer.connect();
      const emitter = new ClickEmitter({ transport: nodeTransport(), secret: 'pipeline-test' });
      try {
        for (let i = 0; i < 50; i++)
          emitter.emit({ code: POISON_OK_CODE, ip: '192.0.2.1', userAgent: HUMAN_UA });
        await emitter.flush();
        await producer.send({ topic, messages: poison.map((value) => ({ key: 'kp0', value })) });
        for (let i = 0; i < 50; i++)
          emitter.emit({ code: POISON_OK_CODE, ip: '192.0.2.2', userAgent: HUMAN_UA });
        await emitter.close(SLOW_BROKER);
      } finally {
        await producer.disconnect();
      }

      const deadLettered = () =>
        workers.reduce((sum, worker) => sum + worker.counters().deadLettered, 0);
      await waitFor('the poison dead-lettered', () => deadLettered() >= poison.length);
      await waitFor(
        'the valid clicks counted',
        async () => (await totalClicks(sink, [POISON_OK_CODE])) >= 100,
      );
      expect(await totalClicks(sink, [POISON_OK_CODE])).toBe(100);
      expect(await totalClicks(sink, CODES)).toBe(2 * CLICKS_PER_EMITTER);

      expect((await deadLetters()).sort()).toEqual([...poison].sort());
    }, 60_000);

    it.skipIf(!client.replaysOnMock)(
      "replay({ from: 'earliest' }) rebuilds a fresh sink's counters to the same totals",
      async () => {
        const fresh = new RedisCounterSink({ redis, prefix: `lp:${randomUUID().slice(0, 8)}:` });
        const transport = nodeTransport();
        // A worker whose "subscription" is a replay: start() resolves once it caught up.
        const replaying: ClickConsumer = {
          consume: (handler) => transport.replay({ from: 'earliest', handler }),
        };
        const rebuild = new ClickWorker({ consumer: replaying, sinks: [fresh] });
        await rebuild.start();
        await rebuild.stop();

        const codes = [...CODES, POISON_OK_CODE];
        const original = await clickCounts(sink, codes);
        expect(await clickCounts(fresh, codes)).toEqual(original);
        expect(Object.values(original).reduce((a, b) => a + b, 0)).toBe(
          2 * CLICKS_PER_EMITTER + 100,
        );
      },
      60_000,
    );

    it('clicks packed into messages (eventsPerMessage) are counted exactly next to single ones; a broken packed value is dead-lettered whole, a bad event alone', async () => {
      const codes = ['pk0', 'pk1', 'pk2'];
      const emit = (emitter: ClickEmitter, count: number) => {
        for (let i = 0; i < count; i++) {
          emitter.emit({
            code: codes[i % codes.length]!,
            ip: `198.51.9.${i % 250}`,
            userAgent: HUMAN_UA,
          });
        }
      };
      const packing = new ClickEmitter({
        transport: nodeTransport({ eventsPerMessage: 40 }),
        secret: 'pipeline-test',
      });
      const single = new ClickEmitter({ transport: nodeTransport(), secret: 'pipeline-test' });
      const good = JSON.stringify({
        ...clickEvents('pk0', 1)[0],
        id: '01J0000000000000000000PACK',
      });
      const poison = ['[{"v":1,"id":"broken', `[${good},{"v":1,"id":"bad"}]`];
      const kafka = testKafka(brokers!);
      const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
      await producer.connect();
      try {
        emit(packing, 1_000);
        emit(single, 200);
        await producer.send({ topic, messages: poison.map((value) => ({ value })) });
        emit(packing, 1_000);
        await Promise.all([packing.close(SLOW_BROKER), single.close(SLOW_BROKER)]);
      } finally {
        await producer.disconnect();
      }

      // The good event of the half-bad packed value counts too.
      const expected = 2_201;
      await waitFor(
        'the packed clicks counted',
        async () => (await totalClicks(sink, codes)) >= expected,
      );
      await sleep(500);
      expect(await totalClicks(sink, codes)).toBe(expected);

      const letters = await deadLetters();
      expect(letters).toContain(poison[0]);
      expect(letters).toContain('{"v":1,"id":"bad"}');
      expect(letters.some((letter) => letter.includes('PACK'))).toBe(false);
    }, 60_000);
  });
}

import type { Subscription } from '@linkpulse/core';
import {
  type KafkaClient,
  type KafkaConsumerClient,
  type KafkaConsumerCrashEvent,
  type KafkaConsumerErrorContext,
  type KafkaRunConfig,
  KafkaTransport,
} from '@linkpulse/transports/kafka';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
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

const CRASH = 'consumer.crash';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A consumer that does what the test says: deliver a batch, crash, fail to connect. */
class FakeConsumer implements KafkaConsumerClient {
  readonly events = { CRASH };
  readonly #listeners = new Set<(event: KafkaConsumerCrashEvent) => void>();
  #config: KafkaRunConfig | undefined;
  connected = false;
  running = false;

  constructor(private readonly connectError: Error | undefined) {}

  async connect() {
    if (this.connectError) throw this.connectError;
    this.connected = true;
  }
  async disconnect() {
    this.connected = false;
    this.running = false;
  }
  async subscribe() {}
  async run(config: KafkaRunConfig) {
    this.#config = config;
    this.running = true;
  }
  seek() {}
  pause() {}
  resume() {}
  on(event: string, listener: (event: KafkaConsumerCrashEvent) => void) {
    if (event !== CRASH) throw new Error(`unexpected event ${event}`);
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get watched() {
    return this.#listeners.size > 0;
  }

  /** Reports a crash as kafkajs does: it disconnects first, and restarts only when told so. */
  crash(error: Error, restart: boolean) {
    if (!restart) this.running = false;
    for (const listener of this.#listeners) {
      listener({ payload: { error, groupId: 'g', restart } });
    }
  }

  /** Hands one batch of `values` to the running `eachBatch`. */
  async deliver(values: string[]) {
    if (!this.#config) throw new Error('not running');
    const messages = values.map((value, i) => ({
      offset: String(i),
      timestamp: '0',
      key: null,
      value: Buffer.from(value),
    }));
    await this.#config.eachBatch({
      batch: {
        topic: 't',
        partition: 0,
        messages,
        firstOffset: () => '0',
        lastOffset: () => String(values.length - 1),
      },
      resolveOffset: () => {},
      heartbeat: async () => {},
      commitOffsetsIfNecessary: async () => {},
      isRunning: () => this.running,
      isStale: () => false,
    });
  }
}

/** A client whose `consumer()` hands out fakes; the next `failConnects` of them cannot connect. */
function fakeClient() {
  const consumers: FakeConsumer[] = [];
  const state = { failConnects: 0 };
  const client: KafkaClient = {
    consumer: () => {
      const failing = state.failConnects > 0;
      if (failing) state.failConnects--;
      const consumer = new FakeConsumer(failing ? new Error('broker unreachable') : undefined);
      consumers.push(consumer);
      return consumer;
    },
    producer: () => {
      throw new Error('not used');
    },
    admin: () => {
      throw new Error('not used');
    },
  };
  return { client, consumers, state };
}

describe('KafkaTransport: consumers the client gave up on', () => {
  const subscriptions: Subscription[] = [];
  afterEach(async () => {
    await Promise.all(subscriptions.splice(0).map((subscription) => subscription.stop()));
  });

  const setUp = async () => {
    const fake = fakeClient();
    const errors: Array<{ error: unknown; context: KafkaConsumerErrorContext }> = [];
    const received: string[] = [];
    const transport = new KafkaTransport({
      kafka: fake.client,
      topic: 't',
      retryBackoff: { initialMs: 20, maxMs: 80 },
      onConsumerError: (error, context) => errors.push({ error, context }),
    });
    const subscription = await transport.consume(
      async ({ records }) => {
        received.push(...records.map(String));
      },
      { group: 'g' },
    );
    subscriptions.push(subscription);
    return { ...fake, errors, received, subscription };
  };

  it('replaces a consumer that crashed without restart, reports it, and keeps consuming', async () => {
    const { consumers, errors, received } = await setUp();
    const first = consumers[0]!;
    await first.deliver(['a']);
    const fatal = new Error('not retriable');
    first.crash(fatal, false);

    await waitFor('a replacement member', () => consumers[1]?.running === true, 5_000);
    expect(errors).toEqual([
      {
        error: fatal,
        context: { group: 'g', recovery: 'transport', retryInMs: expect.any(Number) },
      },
    ]);
    expect(errors[0]!.context.retryInMs).toBeLessThanOrEqual(20);
    // The dead member was let go; the new one is connected and watched.
    expect(first.connected).toBe(false);
    expect(first.watched).toBe(false);
    expect(consumers[1]!.connected).toBe(true);
    expect(consumers[1]!.watched).toBe(true);
    await consumers[1]!.deliver(['b', 'c']);
    expect(received).toEqual(['a', 'b', 'c']);
  });

  it('reports crashes the client recovers from itself without replacing the consumer', async () => {
    const { consumers, errors } = await setUp();
    const transient = new Error('connection reset');
    consumers[0]!.crash(transient, true);
    await sleep(100);
    expect(consumers).toHaveLength(1);
    expect(errors).toEqual([{ error: transient, context: { group: 'g', recovery: 'client' } }]);
  });

  it('retries a replacement that cannot connect, with a growing backoff, until one runs', async () => {
    const { consumers, errors, state } = await setUp();
    state.failConnects = 3;
    consumers[0]!.crash(new Error('not retriable'), false);

    await waitFor('a running replacement', () => consumers[4]?.running === true, 5_000);
    expect(consumers.slice(1, 4).every((consumer) => !consumer.connected)).toBe(true);
    expect(errors.map(({ error }) => (error as Error).message)).toEqual([
      'not retriable',
      'broker unreachable',
      'broker unreachable',
      'broker unreachable',
    ]);
    // Each delay is jittered within [half, all] of 20, 40, 80, 80 ms.
    const delays = errors.map(({ context }) => context.retryInMs!);
    [20, 40, 80, 80].forEach((ceiling, i) => {
      expect(delays[i]).toBeGreaterThanOrEqual(ceiling / 2);
      expect(delays[i]).toBeLessThanOrEqual(ceiling);
    });
  });

  it('starts no replacement once stopped, even during the backoff', async () => {
    const { consumers, subscription } = await setUp();
    consumers[0]!.crash(new Error('not retriable'), false);
    await subscription.stop();
    await sleep(100);
    expect(consumers).toHaveLength(1);
    expect(consumers[0]!.watched).toBe(false);
  });

  it('ignores the crash report of its own shutdown', async () => {
    const { consumers, errors, subscription } = await setUp();
    const first = consumers[0]!;
    const stopping = subscription.stop();
    first.crash(new Error('disconnected while running'), false);
    await stopping;
    await sleep(100);
    expect(consumers).toHaveLength(1);
    expect(errors).toEqual([]);
  });
});

// A private one-broker cluster: taking the shared one down would fail other test files.
describe.skipIf(requireService('kafka') === undefined)(
  'KafkaTransport: a consumer kafkajs gave up on, against the mock broker',
  () => {
    let mock: KafkaMock;
    beforeAll(async () => {
      mock = await startKafkaMock({ brokers: 1, topics: {} });
    });
    afterAll(async () => {
      await mock?.stop();
    });

    it('is replaced once the broker is back, and nothing is lost', async () => {
      const topic = uniqueTopic();
      await mock.createTopic(topic, 4);
      const errors: KafkaConsumerErrorContext[] = [];
      const transport = testTransport(testKafka(mock.brokers), {
        topic,
        // kafkajs restarts a crashed consumer only after retriable errors; with
        // `restartOnFailure` saying no, the broker outage kills it as a non-retriable error would.
        consumer: { ...TEST_CONSUMER, retry: { retries: 1, restartOnFailure: async () => false } },
        onConsumerError: (_error, context) => errors.push(context),
      });
      const received = new Set<string>();
      const subscription = await transport.consume(
        async ({ records }) => {
          for (const id of idsOf(records)) received.add(id);
        },
        { group: 'restarted-workers' },
      );
      try {
        await transport.send(clickEvents('before', 5));
        await waitFor('the clicks sent before the outage', () => received.size === 5);
        await mock.brokerDown();
        await waitFor('the consumer given up on', () =>
          errors.some(({ recovery }) => recovery === 'transport'),
        );
        await mock.brokerUp();
        await transport.send(clickEvents('after', 5));
        await waitFor('the clicks sent after the outage', () => received.size === 10, 30_000);
      } finally {
        await subscription.stop();
        await transport.close();
      }
      expect([...received].sort()).toEqual(
        [...clickEvents('after', 5), ...clickEvents('before', 5)].map((event) => event.id).sort(),
      );
      expect(errors.every(({ group }) => group === 'restarted-workers')).toBe(true);
    }, 60_000);
  },
);

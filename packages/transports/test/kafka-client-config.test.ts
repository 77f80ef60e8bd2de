import { KafkaTransport } from '@linkpulse/transports/kafka';
import { describe, expect, it } from 'vitest';
import type { KafkaClient, KafkaConsumerClient } from '../src/kafka/client.js';
import {
  createConsumer,
  createProducer,
  producerRecord,
  runConfig,
} from '../src/kafka/client-config.js';

/** A client that records the settings it is created and called with. */
function recordingClient() {
  const created: Array<{ kind: string; config: unknown }> = [];
  const subscriptions: unknown[] = [];
  const consumer: KafkaConsumerClient = {
    connect: async () => {},
    disconnect: async () => {},
    subscribe: async (subscription) => {
      subscriptions.push(subscription);
    },
    run: async () => {},
    seek: () => {},
    pause: () => {},
    resume: () => {},
  };
  const client: KafkaClient = {
    producer: (config) => {
      created.push({ kind: 'producer', config });
      return { connect: async () => {}, disconnect: async () => {}, send: async () => [] };
    },
    consumer: (config) => {
      created.push({ kind: 'consumer', config });
      return consumer;
    },
    admin: () => {
      throw new Error('not used');
    },
  };
  return { client, created, subscriptions };
}

const eachBatch = async () => {};

describe('kafkajs flavor', () => {
  it('puts acks and compression on each send, fromBeginning on subscribe, autoCommit on run', async () => {
    const { client, created, subscriptions } = recordingClient();
    createProducer(client, 'kafkajs', 1, { retry: { retries: 2 } });
    await createConsumer(client, 'kafkajs', {
      groupId: 'g',
      topic: 't',
      fromBeginning: true,
      overrides: { sessionTimeout: 5_000 },
    });
    expect(created).toEqual([
      {
        kind: 'producer',
        config: { idempotent: false, maxInFlightRequests: 1, retry: { retries: 2 } },
      },
      { kind: 'consumer', config: { sessionTimeout: 5_000, groupId: 'g' } },
    ]);
    expect(subscriptions).toEqual([{ topics: ['t'], fromBeginning: true }]);
    expect(producerRecord('kafkajs', 't', [], 1)).toEqual({
      topic: 't',
      messages: [],
      acks: -1,
      compression: 1,
    });
    expect(producerRecord('kafkajs', 't', [], undefined)).toEqual({
      topic: 't',
      messages: [],
      acks: -1,
    });
    expect(runConfig('kafkajs', eachBatch, 4)).toEqual({
      autoCommit: true,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 4,
      eachBatch,
    });
  });
});

describe('confluent flavor', () => {
  it('puts every setting in the kafkaJS block at creation', async () => {
    const { client, created, subscriptions } = recordingClient();
    createProducer(client, 'confluent', 'gzip', {});
    await createConsumer(client, 'confluent', {
      groupId: 'g',
      topic: 't',
      fromBeginning: false,
      overrides: { sessionTimeout: 5_000 },
    });
    expect(created).toEqual([
      {
        kind: 'producer',
        config: {
          kafkaJS: { acks: -1, compression: 'gzip', idempotent: false, maxInFlightRequests: 1 },
        },
      },
      {
        kind: 'consumer',
        config: {
          kafkaJS: { sessionTimeout: 5_000, groupId: 'g', fromBeginning: false, autoCommit: true },
        },
      },
    ]);
    expect(subscriptions).toEqual([{ topics: ['t'] }]);
    expect(producerRecord('confluent', 't', [], 'gzip')).toEqual({ topic: 't', messages: [] });
    expect(runConfig('confluent', eachBatch, 1)).toEqual({
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch,
    });
  });
});

describe('KafkaTransport options', () => {
  it('rejects a partitionsConsumedConcurrently that is not a positive integer', () => {
    const { client } = recordingClient();
    for (const partitionsConsumedConcurrently of [0, -1, 1.5, Number.NaN]) {
      expect(() => new KafkaTransport({ kafka: client, partitionsConsumedConcurrently })).toThrow(
        RangeError,
      );
    }
    expect(
      new KafkaTransport({ kafka: client, partitionsConsumedConcurrently: 4 }).concurrentBatches,
    ).toBe(4);
    expect(new KafkaTransport({ kafka: client }).concurrentBatches).toBe(1);
  });
});

import type {
  KafkaClient,
  KafkaCompression,
  KafkaConsumerClient,
  KafkaConsumerEvents,
  KafkaOutgoingMessage,
  KafkaProducerClient,
  KafkaProducerRecord,
  KafkaRunConfig,
} from './client.js';

/**
 * Where a client takes its settings. `kafkajs`: at the top level of `producer()` /
 * `consumer()`, with `acks` and `compression` on each `send`, `fromBeginning` on
 * `subscribe` and `autoCommit` on `run`. `confluent` (the KafkaJS-compatible API of
 * @confluentinc/kafka-javascript): all of them in a `kafkaJS` block at creation.
 */
export type KafkaFlavor = 'kafkajs' | 'confluent';

/** Acknowledgement from all in-sync replicas. */
const ACKS_ALL = -1;

/** Creates the producer with at most one request in flight, so retries keep per-key order. */
export function createProducer(
  kafka: KafkaClient,
  flavor: KafkaFlavor,
  compression: KafkaCompression | undefined,
  overrides: object,
): KafkaProducerClient {
  // Not idempotent: kafkajs asks the controller for a producer id, and the mock broker used
  // in tests reports a controller that does not exist. Redelivered duplicates are harmless
  // (sinks deduplicate on the event id).
  const base = { idempotent: false, maxInFlightRequests: 1, ...overrides };
  if (flavor === 'kafkajs') return kafka.producer(base);
  const perSend = compression === undefined ? {} : { compression };
  return kafka.producer({ kafkaJS: { acks: ACKS_ALL, ...perSend, ...base } });
}

/** The `send` argument for `messages`, with the per-send settings the flavor wants there. */
export function producerRecord(
  flavor: KafkaFlavor,
  topic: string,
  messages: KafkaOutgoingMessage[],
  compression: KafkaCompression | undefined,
): KafkaProducerRecord {
  if (flavor === 'confluent') return { topic, messages };
  return compression === undefined
    ? { topic, messages, acks: ACKS_ALL }
    : { topic, messages, acks: ACKS_ALL, compression };
}

/** Creates a group member subscribed to `topic`; `fromBeginning` applies to a new group. */
export async function createConsumer(
  kafka: KafkaClient,
  flavor: KafkaFlavor,
  settings: { groupId: string; topic: string; fromBeginning: boolean; overrides: object },
): Promise<KafkaConsumerClient> {
  const { groupId, topic, fromBeginning, overrides } = settings;
  const consumer =
    flavor === 'kafkajs'
      ? kafka.consumer({ ...overrides, groupId })
      : kafka.consumer({ kafkaJS: { ...overrides, groupId, fromBeginning, autoCommit: true } });
  await consumer.connect();
  try {
    await consumer.subscribe(
      flavor === 'kafkajs' ? { topics: [topic], fromBeginning } : { topics: [topic] },
    );
  } catch (error) {
    await consumer.disconnect();
    throw error;
  }
  return consumer;
}

/**
 * The `run` argument: manual resolution, up to `partitionsConsumedConcurrently` partitions'
 * batches handled at the same time. With `autoCommit` the client commits resolved offsets
 * after each batch; without (kafkajs only), the runner commits them itself.
 */
export function runConfig(
  flavor: KafkaFlavor,
  eachBatch: KafkaRunConfig['eachBatch'],
  partitionsConsumedConcurrently: number,
  autoCommit = true,
): KafkaRunConfig {
  const common = { eachBatchAutoResolve: false, partitionsConsumedConcurrently, eachBatch };
  return flavor === 'kafkajs' ? { autoCommit, ...common } : common;
}

/**
 * The consumer's instrumentation event names, for a kafkajs consumer. A confluent consumer
 * has none to offer: its `events` getter (and `on`) throw "Not implemented", and it
 * restarts after errors by itself.
 */
export function consumerEvents(
  consumer: KafkaConsumerClient,
  flavor: KafkaFlavor,
): KafkaConsumerEvents | undefined {
  return flavor === 'kafkajs' ? consumer.events : undefined;
}

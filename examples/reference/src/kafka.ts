/** The Kafka client, transport and consumer-lag reader of app nodes and workers. */
import type { PartitionLag } from '@linkpulse/core/prometheus';
import {
  type KafkaConsumerSettings,
  KafkaTransport,
  type KafkaTransportOptions,
  noDelaySocketFactory,
} from '@linkpulse/transports/kafka';
import { type Admin, Kafka, logLevel, Partitioners } from 'kafkajs';
import type { BaseLogger } from 'pino';

/** The pino methods kafkajs' log lines go to (a Fastify app's `log`, or a pino logger). */
export type KafkaLogger = Pick<BaseLogger, 'error' | 'warn' | 'info' | 'debug'>;

/** kafkajs log lines go to the process's pino logger, as `{ kafka: namespace, … }`. */
function logCreator(logger: KafkaLogger) {
  return () =>
    ({ namespace, level, log }: { namespace: string; level: logLevel; log: object }) => {
      const { message, timestamp: _timestamp, ...extra } = log as Record<string, unknown>;
      const fields = { kafka: namespace, ...extra };
      if (level === logLevel.ERROR) logger.error(fields, String(message));
      else if (level === logLevel.WARN) logger.warn(fields, String(message));
      else if (level === logLevel.INFO) logger.info(fields, String(message));
      else logger.debug(fields, String(message));
    };
}

/**
 * A kafkajs client whose logs (warnings and worse) go to `logger`, with Nagle's algorithm
 * off on its connections (offset commits then do not wait for delayed ACKs).
 */
export function createKafka(options: {
  brokers: readonly string[];
  clientId: string;
  logger: KafkaLogger;
}): Kafka {
  return new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    logLevel: logLevel.WARN,
    logCreator: logCreator(options.logger),
    socketFactory: noDelaySocketFactory,
  });
}

/** Clicks per Kafka message: a fresh deployment has no workers older than packing. */
const EVENTS_PER_MESSAGE = 500;

/** The consumer's throughput settings of {@link createTransport} (the transport's defaults when left out). */
export type ConsumerThroughput = Pick<
  KafkaTransportOptions,
  'partitionsConsumedConcurrently' | 'fetchAhead'
>;

/**
 * The click transport: emitter batches packed {@link EVENTS_PER_MESSAGE} clicks per message
 * and spread by kafkajs' default partitioner, consumer groups with the given settings
 * (`throughput`: partitions handled at once, batches fetched ahead), dead letters to
 * `<topic>.dlq`.
 */
export function createTransport(
  kafka: Kafka,
  topic: string,
  consumer: KafkaConsumerSettings = {},
  throughput: ConsumerThroughput = {},
): KafkaTransport {
  return new KafkaTransport({
    kafka,
    topic,
    deadLetterTopic: `${topic}.dlq`,
    producer: { createPartitioner: Partitioners.DefaultPartitioner },
    consumer,
    ...throughput,
    eventsPerMessage: EVENTS_PER_MESSAGE,
  });
}

/** Reads consumer lag through one admin connection, (re)connected on demand. */
export interface LagReader {
  /** Lag of every group on every partition of the topic. */
  read(): Promise<PartitionLag[]>;
  /** Resolves when the brokers answer for the topic (a readiness probe). */
  probe(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Lag per partition: the high watermark minus the group's committed offset (a group that
 * has committed nothing yet lags from the oldest offset kept). Group offsets come from
 * the group coordinator and watermarks from the partition leaders, so nothing here needs
 * the controller.
 */
export function createLagReader(kafka: Kafka, topic: string, groups: readonly string[]): LagReader {
  const admin: Admin = kafka.admin({ retry: { retries: 1, initialRetryTime: 100 } });
  let connected: Promise<void> | null = null;
  const connect = () => {
    connected ??= admin.connect().catch((error: unknown) => {
      connected = null;
      throw error;
    });
    return connected;
  };
  return {
    async read() {
      await connect();
      const ends = await admin.fetchTopicOffsets(topic);
      const lags: PartitionLag[] = [];
      for (const group of groups) {
        const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
        const offsets = new Map(
          (committed?.partitions ?? []).map(({ partition, offset }) => [partition, Number(offset)]),
        );
        for (const { partition, high, low } of ends) {
          const offset = offsets.get(partition) ?? -1;
          const from = offset < 0 ? Number(low) : offset;
          lags.push({ group, topic, partition, lag: Math.max(0, Number(high) - from) });
        }
      }
      return lags;
    },
    async probe() {
      await connect();
      await admin.fetchTopicOffsets(topic);
    },
    async close() {
      if (connected) await admin.disconnect();
    },
  };
}

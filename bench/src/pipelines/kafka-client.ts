/**
 * The Kafka client and transport settings of the Kafka pipelines, shared by the pipeline
 * process and its forwarding thread (which must not load chDB), so that every variant
 * talks to the broker the same way.
 */
import {
  KafkaTransport,
  type KafkaTransportOptions,
  noDelaySocketFactory,
} from '@linkpulse/transports/kafka';
import { Kafka, logLevel, Partitioners } from 'kafkajs';

/**
 * Clicks per Kafka message of the pipelines' transport (its `eventsPerMessage`, the
 * transport README's throughput setting).
 */
export const EVENTS_PER_MESSAGE = 500;

/**
 * The kafkajs client of the pipelines and of the raw kafkajs baseline alike, with Nagle's
 * algorithm off (the transport README's throughput setting).
 */
export function benchKafka(brokers: string | undefined): Kafka {
  if (!brokers) throw new Error('the Kafka pipelines need brokers');
  return new Kafka({
    clientId: 'linkpulse-bench',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    socketFactory: noDelaySocketFactory,
  });
}

/**
 * The pipelines' `KafkaTransport`: kafkajs' default partitioner, {@link EVENTS_PER_MESSAGE}
 * clicks per message, plus `options` (the consumer side).
 */
export function benchKafkaTransport(
  brokers: string | undefined,
  options: Omit<KafkaTransportOptions, 'kafka'> = {},
): KafkaTransport {
  return new KafkaTransport({
    kafka: benchKafka(brokers),
    producer: { createPartitioner: Partitioners.DefaultPartitioner },
    eventsPerMessage: EVENTS_PER_MESSAGE,
    ...options,
  });
}

/**
 * The forwarding analytics thread of the Kafka producer figure: builds the events of the
 * clicks it is sent and produces them with the pipelines' `KafkaTransport`, as the
 * reference deployment's app nodes do (`examples/reference/src/producer-thread.ts`).
 */
import { runAnalyticsThread } from '@linkpulse/core';
import { benchKafkaTransport } from './kafka-client.js';

runAnalyticsThread((data: { brokers: string }) => ({
  forward: benchKafkaTransport(data.brokers),
}));

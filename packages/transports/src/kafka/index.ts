/**
 * Clicks over Kafka: {@link KafkaTransport} sends emitter batches to `linkpulse.click.v1`,
 * feeds a consumer group to workers, dead-letters rejected records and replays the log.
 * Bring your own client: a kafkajs `Kafka` instance (kafkajs is an optional peer
 * dependency) or any client with the same API.
 * @module @linkpulse/transports/kafka
 */

export type { RetryBackoff } from './backoff.js';
export type * from './client.js';
export type { KafkaFlavor } from './client-config.js';
export type {
  KafkaConsumerErrorContext,
  KafkaConsumerErrorListener,
} from './consumer-supervisor.js';
export {
  CLICK_DEAD_LETTER_TOPIC,
  type KafkaConsumerSettings,
  KafkaTransport,
  type KafkaTransportOptions,
} from './kafka-transport.js';
export { DEAD_LETTER_REASON_HEADER } from './messages.js';
export type { ReplayOptions, ReplayResult } from './replay.js';
export { type KafkaSocketFactoryArgs, noDelaySocketFactory } from './socket.js';

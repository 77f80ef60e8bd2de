/**
 * The slice of the kafkajs API the Kafka transport uses, typed structurally so that the
 * package never loads kafkajs itself: pass a kafkajs `Kafka` instance, or any client with
 * the same shape (for example the KafkaJS-compatible API of @confluentinc/kafka-javascript,
 * with `flavor: 'confluent'`).
 */

/** A message as handed to `producer.send`. */
export interface KafkaOutgoingMessage {
  key?: string | Buffer | null;
  value: string | Buffer | null;
  /** Milliseconds since the epoch, as a decimal string. */
  timestamp?: string;
  headers?: Record<string, string | Buffer | (string | Buffer)[] | undefined>;
}

/** What `producer.send` takes. */
export interface KafkaProducerRecord {
  topic: string;
  messages: KafkaOutgoingMessage[];
  acks?: number;
  compression?: KafkaCompression;
}

/** A client's compression setting: kafkajs' `CompressionTypes` numbers, confluent's strings. */
export type KafkaCompression = number | string;

/** The producer methods the transport calls. */
export interface KafkaProducerClient {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  send(record: KafkaProducerRecord): Promise<unknown>;
}

/** A message as delivered to `eachBatch`. */
export interface KafkaIncomingMessage {
  offset: string;
  /** Milliseconds since the epoch, as a decimal string. */
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
}

/** One fetched batch: consecutive messages of one topic-partition. */
export interface KafkaBatch {
  topic: string;
  partition: number;
  messages: KafkaIncomingMessage[];
  firstOffset(): string | null;
  lastOffset(): string;
}

/** What `eachBatch` receives. */
export interface KafkaEachBatchPayload {
  batch: KafkaBatch;
  resolveOffset(offset: string): void;
  heartbeat(): Promise<void>;
  commitOffsetsIfNecessary(): Promise<void>;
  isRunning(): boolean;
  isStale(): boolean;
}

/** A topic with some of its partitions (all of them without `partitions`), as `pause` / `resume` take them. */
export interface KafkaTopicPartitions {
  topic: string;
  partitions?: number[];
}

/** An offset to commit: the next one the group reads from the partition. */
export interface KafkaTopicPartitionOffset {
  topic: string;
  partition: number;
  offset: string;
}

/** What `consumer.run` takes (the transport always uses `eachBatch`). */
export interface KafkaRunConfig {
  autoCommit?: boolean;
  eachBatchAutoResolve?: boolean;
  /** Partitions whose batches are handled at the same time (kafkajs: 1). */
  partitionsConsumedConcurrently?: number;
  eachBatch(payload: KafkaEachBatchPayload): Promise<void>;
}

/** kafkajs' `consumer.events.CRASH` report: the consumer stopped; `restart` says whether kafkajs restarts it. */
export interface KafkaConsumerCrashEvent {
  payload: { error: unknown; groupId: string; restart: boolean };
}

/** kafkajs' instrumentation event names the transport listens to. */
export interface KafkaConsumerEvents {
  readonly CRASH: string;
  readonly GROUP_JOIN?: string;
}

/** The consumer methods the transport calls. */
export interface KafkaConsumerClient {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  subscribe(subscription: { topics: string[]; fromBeginning?: boolean }): Promise<void>;
  run(config: KafkaRunConfig): Promise<void>;
  seek(position: { topic: string; partition: number; offset: string }): void;
  pause(topics: KafkaTopicPartitions[]): void;
  resume(topics: KafkaTopicPartitions[]): void;
  /** Commits offsets of the group (with `fetchAhead`, where the transport commits itself). */
  commitOffsets?(offsets: KafkaTopicPartitionOffset[]): Promise<void>;
  /**
   * kafkajs' instrumentation event names; the transport watches `CRASH` (and `GROUP_JOIN`
   * with `fetchAhead`). Read with the kafkajs flavor only: @confluentinc/kafka-javascript
   * restarts its consumers itself, and its `events` getter throws.
   */
  readonly events?: KafkaConsumerEvents;
  /** Subscribes to an instrumentation event; returns the function that unsubscribes. */
  on?(event: string, listener: (event: KafkaConsumerCrashEvent) => void): () => void;
}

/** One partition's offsets as `admin.fetchTopicOffsets` reports them. */
export interface KafkaPartitionOffsets {
  partition: number;
  /** Offset of the oldest message still kept. */
  low: string;
  /** High watermark: the offset the next message will get. */
  high: string;
}

/** The admin methods the transport calls (none of them routed to the controller). */
export interface KafkaAdminClient {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  fetchTopicOffsets(topic: string): Promise<KafkaPartitionOffsets[]>;
  fetchTopicOffsetsByTimestamp(
    topic: string,
    timestamp?: number,
  ): Promise<Array<{ partition: number; offset: string }>>;
}

/** A Kafka client: a kafkajs `Kafka` instance or anything with the same API. */
export interface KafkaClient {
  producer(config?: object): KafkaProducerClient;
  consumer(config: object): KafkaConsumerClient;
  admin(config?: object): KafkaAdminClient;
}

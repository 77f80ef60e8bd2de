import type { ClickEvent } from '../clicks/click-event.js';

/** Producer side of a transport: what the emitter sends batches to. */
export interface ClickProducer {
  /**
   * Sends one batch. Resolves once the transport has accepted every event durably
   * (as durable as the transport gets); rejects when it has not, and the emitter retries.
   */
  send(batch: readonly ClickEvent[]): Promise<void>;
  /** Releases the producer. */
  close(): Promise<void>;
}

/** One batch handed to a consumer's handler. */
export interface ReceivedBatch {
  /**
   * The records as they came off the wire: objects for the memory transport, strings or
   * Buffers for Redis and Kafka. The worker decodes and validates each one.
   */
  records: readonly unknown[];
  /** How many times this batch has been delivered before (0 on the first delivery). */
  redeliveries: number;
}

/** Handles one batch; the transport acknowledges it only when this resolves. */
export type BatchHandler = (batch: ReceivedBatch) => Promise<void>;

/** Options of {@link ClickConsumer.consume}. */
export interface ConsumeOptions {
  /** Consumer group: members share the work, each record goes to one member. */
  group: string;
  /** Name of this member within the group (defaults to a random one). */
  consumer?: string;
}

/** A running consumption; {@link Subscription.stop} waits for the batch in hand. */
export interface Subscription {
  stop(): Promise<void>;
}

/** Consumer side of a transport: what the worker pulls batches from. */
export interface ClickConsumer {
  /**
   * Starts delivering batches to `handler`. At-least-once: a batch whose handler
   * rejects (or whose consumer dies) is delivered again.
   */
  consume(handler: BatchHandler, options: ConsumeOptions): Promise<Subscription>;
  /**
   * Most batches the consumer hands to the handler at the same time (before any of them was
   * handled), when it has such a bound: a worker holding that many has all it can get
   * before its next write, so it writes them without waiting for more.
   */
  readonly concurrentBatches?: number;
}

/** A record the worker could not use, with the reason. */
export interface DeadLetter {
  record: unknown;
  reason: string;
}

/** Where poison records go (a DLQ topic, a dead-letter stream, an array in memory). */
export interface DeadLetterQueue {
  deadLetter(entries: readonly DeadLetter[]): Promise<void>;
}

/** A transport carries clicks from emitters to workers. */
export interface Transport extends ClickProducer, ClickConsumer {}

import type { ClickEvent, ClickInput } from '../clicks/click-event.js';

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

/** Clicks as the emitter buffered them: what a {@link ClickInputProducer} is sent. */
export interface EmittedClicks {
  /**
   * The clicks given to `emit`, as copies of their fields (each has a non-empty `code`;
   * user agents and referers are shared strings, one per distinct value).
   */
  readonly clicks: readonly ClickInput[];
  /** When each click happened, ms since the epoch: `times[i]` is the time of `clicks[i]`. */
  readonly times: Float64Array;
  /** How many clicks: `clicks.length`. */
  readonly length: number;
}

/**
 * A producer in this process that can also take clicks as they were emitted and build
 * their events itself (ids, visitor ids, network prefixes, UTM), as an analytics thread
 * does off the thread that serves requests. The emitter then hands it
 * {@link EmittedClicks} instead of building events.
 */
export interface ClickInputProducer extends ClickProducer {
  /**
   * Sends one batch of clicks, whose events get visitor ids keyed by `secret` (the
   * emitter's). Resolves once the batch is accepted, like `send`; since the events get
   * their ids only where they are built, a batch sent again (the same object, as the
   * emitter retries) after it was accepted must not be taken again.
   */
  sendClicks(batch: EmittedClicks, secret: string | Uint8Array): Promise<void>;
}

/** Whether `producer` takes {@link EmittedClicks} (has `sendClicks`). */
export function takesClicks(producer: ClickProducer): producer is ClickInputProducer {
  return typeof (producer as Partial<ClickInputProducer>).sendClicks === 'function';
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

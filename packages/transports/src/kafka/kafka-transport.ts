import { randomUUID } from 'node:crypto';
import {
  type BatchHandler,
  CLICK_TOPIC,
  type ClickEvent,
  type ConsumeOptions,
  type DeadLetter,
  type DeadLetterQueue,
  LinkPulseError,
  type Subscription,
  type Transport,
} from '@linkpulse/core';
import { type RetryBackoff, resolveBackoff } from './backoff.js';
import { type BatchRun, type BatchRunOptions, runBatches } from './batch-runner.js';
import type {
  KafkaClient,
  KafkaCompression,
  KafkaOutgoingMessage,
  KafkaProducerClient,
} from './client.js';
import {
  createConsumer,
  createProducer,
  type KafkaFlavor,
  producerRecord,
} from './client-config.js';
import { type KafkaConsumerErrorListener, superviseBatches } from './consumer-supervisor.js';
import { clickMessages, deadLetterMessages } from './messages.js';
import { planReplay, progressTracker, type ReplayOptions, type ReplayResult } from './replay.js';

/** Default dead-letter topic: the click topic with `.dlq`. */
export const CLICK_DEAD_LETTER_TOPIC = `${CLICK_TOPIC}.dlq`;

/** Consumer settings handed to the client's `consumer()` (besides the group id). */
export interface KafkaConsumerSettings {
  /** Milliseconds without heartbeat before the group evicts a member (kafkajs: 30 000). */
  sessionTimeout?: number;
  /** Milliseconds between heartbeats (kafkajs: 3 000). */
  heartbeatInterval?: number;
  /** Longest a fetch waits for data (kafkajs: 5 000; about 100 keeps tests quick). */
  maxWaitTimeInMs?: number;
  /** Most bytes fetched per partition and request, hence the largest batch (kafkajs: 1 MiB). */
  maxBytesPerPartition?: number;
  /** Anything else the client's `consumer()` accepts. */
  [setting: string]: unknown;
}

/** Options of {@link KafkaTransport}. */
export interface KafkaTransportOptions {
  /** A kafkajs `Kafka` instance, or any client with the same API. */
  kafka: KafkaClient;
  /** How the client takes its settings (default `'kafkajs'`). */
  flavor?: KafkaFlavor;
  /** Topic of the clicks (default `linkpulse.click.v1`). */
  topic?: string;
  /** Topic of rejected records (default `linkpulse.click.v1.dlq`). */
  deadLetterTopic?: string;
  /** Compression of produced batches, as the client names it (kafkajs: `CompressionTypes.GZIP`). */
  compression?: KafkaCompression;
  /** Producer settings handed to the client's `producer()`, e.g. kafkajs' `createPartitioner`. */
  producer?: object;
  /** Consumer settings handed to the client's `consumer()`. */
  consumer?: KafkaConsumerSettings;
  /** Where a group without committed offsets starts: `true` (default) earliest, else latest. */
  fromBeginning?: boolean;
  /**
   * Partitions whose batches are handed to the handler at the same time (kafkajs'
   * `partitionsConsumedConcurrently`). Default 1. Each partition's batches still come one
   * after the other, and each batch's offsets are committed only after its handler
   * resolved. Above 1, a `ClickWorker` merges the batches in hand into one sink write
   * (see its `maxWriteEvents` and `writeLingerMs`), which is what makes writes big: set it
   * to the partitions a worker owns.
   */
  partitionsConsumedConcurrently?: number;
  /**
   * Keeps fetching while batches are being handled, with up to this many batches handed to
   * the handler and not yet handled (across partitions). Default 0: a partition's next batch
   * is fetched only once its handler resolved, so fetching and the worker's sink write take
   * turns. Above 0 they overlap, and a `ClickWorker` merges what arrived during one write
   * into the next (up to its `maxWriteEvents`): bigger writes, fewer of them. Offsets are
   * still committed only up to the oldest batch of each partition not yet handled, so no
   * click is skipped; a failing batch rewinds its partition, and the batches fetched ahead
   * of it come again (workers and sinks drop the duplicates by event id). After a
   * rebalance, batches still in hand are delivered again to the partition's new owner.
   * kafkajs flavor only (the transport then commits offsets itself).
   */
  fetchAhead?: number;
  /**
   * Clicks per Kafka message (default 1). At 1, each click is a message keyed by its short
   * code (a link's clicks stay in order in one partition). Above 1, a send packs up to this
   * many clicks into each message, a JSON array, without key: far fewer messages for the
   * client and broker to handle (the throughput setting), spread over the partitions by the
   * client's partitioner, so a link's clicks may land in different partitions. Consumers of
   * this version read both formats; workers of earlier versions dead-letter packed
   * messages, so upgrade every worker before the producers set this.
   */
  eventsPerMessage?: number;
  /** Pause of a partition whose batch handler failed, and wait before a dead consumer is replaced. */
  retryBackoff?: RetryBackoff;
  /**
   * Told when a consumer crashed (and who restarts it) or its replacement failed to start.
   * Default: nothing; the transport recovers either way, this makes it visible.
   */
  onConsumerError?: KafkaConsumerErrorListener;
}

/**
 * Clicks over Kafka. Producer: one `send` per emitter batch, JSON values, one click per
 * message keyed by short code (per-link order), or `eventsPerMessage` clicks packed per
 * message; `acks: -1`, optional compression. Consumer: a consumer group read
 * with `eachBatch`, `partitionsConsumedConcurrently` partitions at a time (default one);
 * each batch's offsets are committed only after its handler resolved (with `fetchAhead`,
 * fetching goes on meanwhile and offsets are committed in partition order); a
 * failing handler pauses its partition and gets the batch again after a backoff; a consumer
 * the client gave up on (kafkajs does not restart after non-retriable errors) is replaced
 * after a backoff, and reported to `onConsumerError`. Rejected records go to the
 * dead-letter topic; {@link KafkaTransport.replay} reads the log again with a fresh group to
 * rebuild aggregates.
 *
 * The producer is not idempotent and, with kafkajs, no admin call goes to the controller,
 * which keeps the transport working against librdkafka's mock cluster (it reports a
 * controller id that no broker has); retried sends may write duplicates, which sinks drop
 * by event id. The confluent client's admin asks the controller for a topic's partitions,
 * so {@link KafkaTransport.replay} with that flavor needs a broker that names one.
 *
 * @example
 * ```ts
 * import { Kafka, Partitioners } from 'kafkajs';
 *
 * const kafka = new Kafka({ clientId: 'linkpulse', brokers: ['kafka-1:9092', 'kafka-2:9092'] });
 * const transport = new KafkaTransport({
 *   kafka,
 *   producer: { createPartitioner: Partitioners.DefaultPartitioner },
 * });
 * const emitter = new ClickEmitter({ transport, secret });
 * const worker = new ClickWorker({ consumer: transport, deadLetters: transport, sinks });
 * ```
 */
export class KafkaTransport implements Transport, DeadLetterQueue {
  readonly #kafka: KafkaClient;
  readonly #flavor: KafkaFlavor;
  readonly #topic: string;
  readonly #deadLetterTopic: string;
  readonly #compression: KafkaCompression | undefined;
  readonly #producerSettings: object;
  readonly #consumerSettings: KafkaConsumerSettings;
  readonly #fromBeginning: boolean;
  readonly #partitionsConsumedConcurrently: number;
  readonly #eventsPerMessage: number;
  readonly #fetchAhead: number;
  readonly #retryBackoff: Required<RetryBackoff>;
  readonly #onConsumerError: KafkaConsumerErrorListener | undefined;
  #producer: Promise<KafkaProducerClient> | null = null;
  #closed = false;

  constructor(options: KafkaTransportOptions) {
    this.#kafka = options.kafka;
    this.#flavor = options.flavor ?? 'kafkajs';
    this.#topic = options.topic ?? CLICK_TOPIC;
    this.#deadLetterTopic = options.deadLetterTopic ?? CLICK_DEAD_LETTER_TOPIC;
    this.#compression = options.compression;
    this.#producerSettings = options.producer ?? {};
    this.#consumerSettings = options.consumer ?? {};
    this.#fromBeginning = options.fromBeginning ?? true;
    this.#partitionsConsumedConcurrently = positiveInteger(
      'partitionsConsumedConcurrently',
      options.partitionsConsumedConcurrently ?? 1,
    );
    this.#eventsPerMessage = positiveInteger('eventsPerMessage', options.eventsPerMessage ?? 1);
    this.#fetchAhead = options.fetchAhead ?? 0;
    if (!Number.isInteger(this.#fetchAhead) || this.#fetchAhead < 0) {
      throw new RangeError('fetchAhead must be a non-negative integer');
    }
    if (this.#fetchAhead > 0 && this.#flavor !== 'kafkajs') {
      throw new RangeError('fetchAhead needs the kafkajs flavor');
    }
    this.#retryBackoff = resolveBackoff(options.retryBackoff);
    this.#onConsumerError = options.onConsumerError;
  }

  /**
   * Most batches a `consume` handler holds before any of them was handled: `fetchAhead`
   * when set, else `partitionsConsumedConcurrently`.
   */
  get concurrentBatches(): number {
    return this.#fetchAhead > 0 ? this.#fetchAhead : this.#partitionsConsumedConcurrently;
  }

  /** Sends one batch in one request; resolves once every partition leader acknowledged it. */
  async send(batch: readonly ClickEvent[]): Promise<void> {
    if (batch.length === 0) return;
    await this.#produce(this.#topic, clickMessages(batch, this.#eventsPerMessage));
  }

  /** Writes rejected records to the dead-letter topic, with the reason in a header. */
  async deadLetter(entries: readonly DeadLetter[]): Promise<void> {
    if (entries.length === 0) return;
    await this.#produce(this.#deadLetterTopic, deadLetterMessages(entries));
  }

  /**
   * Joins `options.group` and hands it batches (one partition each, up to
   * `partitionsConsumedConcurrently` at a time; records are the message values as
   * Buffers). Resolves once the member joined the group. Kafka names members itself, so
   * `options.consumer` is not used.
   */
  async consume(handler: BatchHandler, options: ConsumeOptions): Promise<Subscription> {
    return this.#run(options.group, this.#fromBeginning, { handler });
  }

  /**
   * Reads the log again from `from` with a fresh consumer group (or `options.group`) and
   * resolves once every partition has been handled up to the high watermark it had when the
   * replay started; then stops, unless `untilCaughtUp` is `false`. Failed batches are
   * retried as in {@link KafkaTransport.consume}, so a handler that keeps failing holds the
   * replay. The group's other members, if any, are not waited for.
   *
   * @example Rebuild the counters of a fresh sink through the worker pipeline
   * ```ts
   * const replaying: ClickConsumer = {
   *   consume: (handler) => transport.replay({ from: 'earliest', handler }),
   * };
   * const rebuild = new ClickWorker({ consumer: replaying, sinks: [freshSink] });
   * await rebuild.start(); // resolves once caught up
   * await rebuild.stop();
   * ```
   */
  async replay(options: ReplayOptions): Promise<ReplayResult> {
    const group = options.group ?? `linkpulse-replay-${randomUUID()}`;
    const admin = this.#kafka.admin();
    await admin.connect();
    const plan = await planReplay(admin, this.#topic, options.from).finally(() =>
      admin.disconnect(),
    );
    const progress = progressTracker(plan.targets);
    const untilCaughtUp = options.untilCaughtUp ?? true;
    if (untilCaughtUp && plan.targets.size === 0) {
      return { group, replayed: 0, stop: () => Promise.resolve() };
    }
    const run = await this.#run(group, true, {
      handler: options.handler,
      seeks: plan.seeks,
      ...(plan.accept ? { accept: plan.accept } : {}),
      onHandled: progress.handled,
    });
    await progress.caughtUp;
    if (untilCaughtUp) await run.stop();
    return { group, replayed: progress.replayed, stop: () => run.stop() };
  }

  /** Disconnects the producer; running subscriptions are stopped through their own `stop`. */
  async close(): Promise<void> {
    this.#closed = true;
    const producer = this.#producer;
    this.#producer = null;
    if (producer) await producer.then((client) => client.disconnect()).catch(() => {});
  }

  async #produce(topic: string, messages: KafkaOutgoingMessage[]): Promise<void> {
    const producer = await this.#connectedProducer();
    await producer.send(producerRecord(this.#flavor, topic, messages, this.#compression));
  }

  #connectedProducer(): Promise<KafkaProducerClient> {
    if (this.#closed) {
      return Promise.reject(new LinkPulseError('unavailable', 'the Kafka transport is closed'));
    }
    if (!this.#producer) {
      const producer = createProducer(
        this.#kafka,
        this.#flavor,
        this.#compression,
        this.#producerSettings,
      );
      const connecting = producer.connect().then(() => producer);
      // A failed connect is forgotten, so that the emitter's next retry connects afresh.
      connecting.catch(() => {
        if (this.#producer === connecting) this.#producer = null;
      });
      this.#producer = connecting;
    }
    return this.#producer;
  }

  /**
   * Starts a supervised group member: the first one applies `run.seeks`; replacements of
   * crashed ones continue from the committed offsets.
   */
  #run(
    groupId: string,
    fromBeginning: boolean,
    run: Pick<BatchRunOptions, 'handler' | 'seeks' | 'accept' | 'onHandled'>,
  ): Promise<BatchRun> {
    return superviseBatches({
      group: groupId,
      backoff: this.#retryBackoff,
      onError: this.#onConsumerError,
      start: async (onCrash, first) => {
        const consumer = await createConsumer(this.#kafka, this.#flavor, {
          groupId,
          topic: this.#topic,
          fromBeginning,
          overrides: this.#consumerSettings,
        });
        try {
          return await runBatches({
            ...run,
            ...(first ? {} : { seeks: [] }),
            consumer,
            topic: this.#topic,
            flavor: this.#flavor,
            partitionsConsumedConcurrently: this.#partitionsConsumedConcurrently,
            fetchAhead: this.#fetchAhead,
            backoff: this.#retryBackoff,
            onCrash,
          });
        } catch (error) {
          await consumer.disconnect().catch(() => {});
          throw error;
        }
      },
    });
  }
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`${name} must be a positive integer`);
  return value;
}

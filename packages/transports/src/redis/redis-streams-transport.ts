import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
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
import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import { hashSlot, hashTag } from './key-slot.js';
import { isCluster, StreamConsumer } from './stream-consumer.js';
import { PAYLOAD_FIELD, type StreamEntry } from './stream-entries.js';

/** Options of {@link RedisStreamsTransport}. */
export interface RedisStreamsTransportOptions {
  /**
   * The client: a `Redis` (standalone or Sentinel) or a `Cluster`, without a `keyPrefix`
   * (the constructor throws a `RangeError`: name the streams in full). It stays the caller's:
   * `close()` does not quit it. Each consumer also opens a `duplicate()` of it for
   * blocking reads (of a `Cluster`: one that connects only to the stream's master).
   */
  redis: Redis | Cluster;
  /**
   * Stream key. Default `linkpulse.click.v1`. On a Cluster the stream, one key, lives on
   * the one master that owns its hash slot.
   */
  stream?: string;
  /** Approximate cap of the stream (XTRIM MAXLEN ~); oldest entries go first. Default 1,000,000. */
  maxLen?: number;
  /**
   * Where poison records go, capped like the stream. Default `{<stream>}.dlq`
   * (`linkpulse.click.v1` → `{linkpulse.click.v1}.dlq`), or `<stream>.dlq` when the
   * stream's name has a hash tag already (`{clicks}` → `{clicks}.dlq`): either way in the
   * stream's Redis Cluster hash slot, whatever the client. With a `Cluster` client it must
   * share that slot (entries are dead-lettered and acknowledged in one transaction): the
   * constructor throws a `RangeError` otherwise, also for the default of a stream whose
   * name holds a `}` outside a hash tag.
   */
  deadLetterStream?: string;
  /**
   * Deliveries of an entry before it goes to the dead-letter stream instead. Default 5.
   * Every rejection counts, whatever the cause: with the default `retryDelayMs`, a batch
   * whose sinks stay down for about 15 s (plus the worker's own retries) is dead-lettered.
   * Raise it (or `retryDelayMs`) to ride out longer outages.
   */
  maxDeliveries?: number;
  /** How long one read waits for new entries. Default 1,000 ms. */
  blockMs?: number;
  /** Entries per batch at most. Default 500. */
  batchSize?: number;
  /**
   * Entries left unacknowledged this long by another member (one that died mid-batch)
   * are taken over. Longer than the slowest batch should take. Default 30,000 ms.
   */
  claimIdleMs?: number;
  /** Delay before a failed batch is read again; doubles per failure up to 30 s. Default 1,000 ms. */
  retryDelayMs?: number;
  /** Told about errors of the consumer loops (they retry after a backoff). */
  onError?: (error: unknown) => void;
}

/** What a {@link RedisStreamsTransport} has done, as plain numbers. */
export interface RedisStreamsCounters {
  /** Entries added by `send`. */
  sent: number;
  /**
   * Entries removed by the XTRIM calls of this transport's `send` (MAXLEN ~ drops whole
   * macro nodes, so the stream may hold somewhat more than `maxLen`). Entries trimmed
   * before a group read them are lost to that group; this is their upper bound.
   */
  trimmed: number;
  /** Entries the consumers found trimmed while still unacknowledged (they are acknowledged and skipped). */
  lost: number;
  /** Records written to the dead-letter stream (`deadLetter` and exhausted deliveries). */
  deadLettered: number;
}

/**
 * A {@link Transport} over a Redis stream, with consumer groups. `send` pipelines one
 * XADD per event (its JSON in the field `event`) and an approximate XTRIM per batch;
 * consumers hand the JSON strings to the handler (`stream-consumer.ts` describes the
 * read, claim, acknowledge and dead-letter cycle). A new group starts at the oldest entry
 * still in the stream. Also the {@link DeadLetterQueue} of the worker: dead letters go to
 * a stream with fields `record` and `reason`.
 *
 * On a Redis Cluster the stream is one key on one master (run several transports on
 * streams of their own to spread the load); its dead-letter stream shares its hash slot,
 * so entries are dead-lettered and acknowledged in one transaction as on a single server.
 * The client follows the slot when it moves (MOVED, ASK) or fails over to a replica;
 * consumers report the reads this interrupts to `onError` and read on. Redis replicates
 * asynchronously: a failover loses the entries its dead master had not yet passed on, and
 * redelivers those whose acknowledgement it had not.
 */
export class RedisStreamsTransport implements Transport, DeadLetterQueue {
  readonly #redis: Redis | Cluster;
  readonly #stream: string;
  readonly #maxLen: number;
  /** The dead-letter stream's key: the `deadLetterStream` option or its default. */
  readonly deadLetterStream: string;
  readonly #options: RedisStreamsTransportOptions;
  readonly #subscriptions = new Set<StreamConsumer>();
  readonly #counters: RedisStreamsCounters = { sent: 0, trimmed: 0, lost: 0, deadLettered: 0 };
  #closed = false;

  constructor(options: RedisStreamsTransportOptions) {
    this.#options = options;
    this.#redis = options.redis;
    if (options.redis.options.keyPrefix) {
      // ioredis leaves some stream commands' keys unprefixed (XGROUP CREATE): the group
      // would be made on another key than the one read.
      throw new RangeError(
        'RedisStreamsTransport does not take a client with a keyPrefix: give `stream` and `deadLetterStream` their full names instead',
      );
    }
    this.#stream = options.stream ?? CLICK_TOPIC;
    this.#maxLen = options.maxLen ?? 1_000_000;
    this.deadLetterStream =
      options.deadLetterStream ??
      (hashTag(this.#stream) === undefined ? `{${this.#stream}}.dlq` : `${this.#stream}.dlq`);
    if (isCluster(this.#redis)) assertSameSlot(this.#stream, this.deadLetterStream);
    for (const [name, value] of Object.entries({
      maxLen: this.#maxLen,
      maxDeliveries: options.maxDeliveries,
      blockMs: options.blockMs,
      batchSize: options.batchSize,
      claimIdleMs: options.claimIdleMs,
    })) {
      if (value !== undefined && !(Number.isSafeInteger(value) && value >= 1)) {
        throw new RangeError(`${name} must be a positive integer`);
      }
    }
  }

  /** The counters, read synchronously. */
  counters(): RedisStreamsCounters {
    return { ...this.#counters };
  }

  /** Appends the batch (one round trip) and trims the stream to about `maxLen`. */
  async send(batch: readonly ClickEvent[]): Promise<void> {
    this.#assertOpen();
    if (batch.length === 0) return;
    const pipeline = this.#redis.pipeline();
    for (const event of batch)
      pipeline.xadd(this.#stream, '*', PAYLOAD_FIELD, JSON.stringify(event));
    pipeline.xtrim(this.#stream, 'MAXLEN', '~', this.#maxLen);
    const results = await execAll(pipeline);
    this.#counters.sent += batch.length;
    this.#counters.trimmed += Number(results[results.length - 1]);
  }

  /** Starts a member of `options.group`; resolves once the group exists. */
  async consume(handler: BatchHandler, options: ConsumeOptions): Promise<Subscription> {
    this.#assertOpen();
    const consumer = await StreamConsumer.start(handler, {
      redis: this.#redis,
      stream: this.#stream,
      group: options.group,
      consumer: options.consumer ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
      batchSize: this.#options.batchSize ?? 500,
      blockMs: this.#options.blockMs ?? 1_000,
      claimIdleMs: this.#options.claimIdleMs ?? 30_000,
      maxDeliveries: this.#options.maxDeliveries ?? 5,
      retryDelayMs: this.#options.retryDelayMs ?? 1_000,
      deadLetter: (entries, reason) => this.#moveToDeadLetters(options.group, entries, reason),
      countLost: (count) => {
        this.#counters.lost += count;
      },
      onError: (error) => this.#options.onError?.(error),
    });
    if (this.#closed) {
      // `close()` ran while the group was being created and could not stop this consumer.
      await consumer.stop();
      this.#assertOpen();
    }
    this.#subscriptions.add(consumer);
    return {
      stop: async () => {
        this.#subscriptions.delete(consumer);
        await consumer.stop();
      },
    };
  }

  /** Appends the records, with their reasons, to the dead-letter stream. */
  async deadLetter(entries: readonly DeadLetter[]): Promise<void> {
    if (entries.length === 0) return;
    const pipeline = this.#redis.pipeline();
    for (const { record, reason } of entries) this.#addDeadLetter(pipeline, record, reason);
    await execAll(pipeline);
    this.#counters.deadLettered += entries.length;
  }

  /** Stops every consumer of this transport (waiting for their handlers); `send` then rejects. */
  async close(): Promise<void> {
    this.#closed = true;
    const running = [...this.#subscriptions];
    this.#subscriptions.clear();
    await Promise.all(running.map((consumer) => consumer.stop()));
  }

  async #moveToDeadLetters(
    group: string,
    entries: readonly StreamEntry[],
    reason: string,
  ): Promise<void> {
    const transaction = this.#redis.multi();
    for (const entry of entries) this.#addDeadLetter(transaction, entry.payload, reason);
    transaction.xack(this.#stream, group, ...entries.map((entry) => entry.id));
    await execAll(transaction);
    this.#counters.deadLettered += entries.length;
  }

  #addDeadLetter(commands: ChainableCommander, record: unknown, reason: string): void {
    const text = typeof record === 'string' ? record : (JSON.stringify(record) ?? String(record));
    commands.xadd(
      this.deadLetterStream,
      'MAXLEN',
      '~',
      this.#maxLen,
      '*',
      'record',
      text,
      'reason',
      reason,
    );
  }

  #assertOpen(): void {
    if (this.#closed)
      throw new LinkPulseError('unavailable', 'the Redis Streams transport is closed');
  }
}

/** Throws unless the dead-letter stream is in the stream's Redis Cluster hash slot. */
function assertSameSlot(stream: string, deadLetterStream: string): void {
  const [slot, deadLetterSlot] = [hashSlot(stream), hashSlot(deadLetterStream)];
  if (slot === deadLetterSlot) return;
  throw new RangeError(
    `deadLetterStream "${deadLetterStream}" (hash slot ${deadLetterSlot}) must share the hash slot of stream "${stream}" (${slot}) on a Redis Cluster: give both names the same hash tag, such as "{clicks}" and "{clicks}.dlq"`,
  );
}

/** Runs a pipeline or transaction; rejects with the first command error. */
async function execAll(commands: ChainableCommander): Promise<unknown[]> {
  const results = (await commands.exec()) ?? [];
  const failed = results.find(([error]) => error !== null);
  if (failed) throw failed[0];
  return results.map(([, result]) => result);
}

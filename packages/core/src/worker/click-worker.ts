import type { EnrichedClick } from '../clicks/click-event.js';
import { decodeClickEvent } from '../clicks/decode.js';
import { LinkPulseError } from '../errors.js';
import type { ClickSink } from '../sinks/click-sink.js';
import type {
  ClickConsumer,
  DeadLetter,
  DeadLetterQueue,
  ReceivedBatch,
  Subscription,
} from '../transport/transport.js';
import { Enricher } from './enricher.js';
import { RecentIds } from './recent-ids.js';
import { retryWithBackoff, type SinkRetryOptions, sinkRetryPolicy } from './retry.js';
import { WriteCoalescer } from './write-coalescer.js';

/** Where a problem reported to {@link ClickWorkerOptions.onError} happened. */
export interface WorkerErrorContext {
  /**
   * `decode`: a malformed record dropped for want of a dead-letter queue; `sink`: one failed
   * write attempt of sink number `sink`; `dead_letter`: one failed attempt to dead-letter;
   * `batch`: the batch failed and goes back to the transport.
   */
  stage: 'decode' | 'sink' | 'dead_letter' | 'batch';
  /** Index of the sink in {@link ClickWorkerOptions.sinks} (stage `sink`). */
  sink?: number;
  /** Attempt number, from 1 (stages `sink` and `dead_letter`). */
  attempt?: number;
}

/** Options of {@link ClickWorker}. */
export interface ClickWorkerOptions {
  /** Where batches come from. */
  consumer: ClickConsumer;
  /** Every batch goes to all of them; idempotent by event id (see {@link ClickSink}). */
  sinks: readonly ClickSink[];
  /** Consumer group. Default `linkpulse-workers`. */
  group?: string;
  /** Name of this member of the group; the transport picks one when absent. */
  consumerName?: string;
  /**
   * Where malformed records and unknown versions go. Without one they are dropped,
   * counted in `deadLettered` and reported to `onError`.
   */
  deadLetters?: DeadLetterQueue;
  /** Enrichment (user agent, bots, geo, referrer). Default `new Enricher()`, without geo. */
  enricher?: Enricher;
  /** Sinks written at the same time. Default 4. */
  sinkConcurrency?: number;
  /** Retries of a failing sink before the batch fails. */
  retry?: SinkRetryOptions;
  /**
   * Most events in one sink write. Batches the transport hands over while a write runs
   * (a transport that hands out several partitions at a time, such as the Kafka transport
   * with `partitionsConsumedConcurrently` above 1) are merged into the next write, up to
   * this many events; each batch is acknowledged only once the write that took it (and its
   * dead letters) succeeded, and all of them are redelivered when it failed. A single batch
   * bigger than this is written alone. Default 10,000.
   */
  maxWriteEvents?: number;
  /**
   * Milliseconds a write waits for more batches: it starts this long after the first
   * waiting batch arrived or the previous write ended, whichever is later, or at once when
   * `maxWriteEvents` are waiting, or as many batches as the consumer hands out at once (its
   * `concurrentBatches`, such as the Kafka transport's `partitionsConsumedConcurrently`):
   * no other batch can come before a write then. Default 0: on the event loop's next turn,
   * with every batch handed over until then. With a Kafka transport consuming several
   * partitions at once, about 50 lets the partitions fetched right after a write join the
   * next one.
   */
  writeLingerMs?: number;
  /**
   * Ids of recently written events remembered to skip redelivered ones (at least this many,
   * at most twice); 0 turns it off, and duplicates are then skipped only within a write.
   * Default 100,000. It pays off with a transport that can deliver a batch again after it
   * was written (Redis, Kafka); `createInProcessAnalytics` turns it off, as its memory
   * transport redelivers only batches whose write failed, whose ids the worker forgets anyway.
   */
  dedupeWindow?: number;
  /** Told about every failed attempt and dropped record (all are counted as well). */
  onError?: (error: unknown, context: WorkerErrorContext) => void;
}

/** What a worker has done, as plain numbers. Only completed batches count, except where said. */
export interface WorkerCounters {
  /** Batches handled and acknowledged. */
  batches: number;
  /** Deliveries that failed (a sink or the dead-letter queue kept failing); they are redelivered. */
  failedBatches: number;
  /** Records received. */
  events: number;
  /** Events written to every sink. */
  written: number;
  /** Events skipped because their id was in the batch already or written recently. */
  duplicates: number;
  /** Malformed records: dead-lettered, or dropped when there is no dead-letter queue. */
  deadLettered: number;
  /** Failed write attempts of sinks (counted in every delivery, retried ones included). */
  sinkErrors: number;
  /** Duration of the last completed batch in milliseconds. */
  lastBatchMs: number;
}

/** One batch on its way to the sinks: what it brings to a write, and what became of it. */
interface Delivery {
  /** Records received. */
  records: number;
  /** Its valid events, enriched, duplicates not yet removed. */
  clicks: EnrichedClick[];
  /** Its malformed records. */
  dead: DeadLetter[];
  /** Events written (set by the write that took it). */
  written: number;
  /** Events skipped as duplicates (set by the write that took it). */
  duplicates: number;
}

/** Counters of a worker that has not handled anything yet. */
export function zeroWorkerCounters(): WorkerCounters {
  return {
    batches: 0,
    failedBatches: 0,
    events: 0,
    written: 0,
    duplicates: 0,
    deadLettered: 0,
    sinkErrors: 0,
    lastBatchMs: 0,
  };
}

/** Runs `run` over `items`, at most `limit` at a time, and returns the errors it threw. */
async function settleBounded<T>(
  items: readonly T[],
  limit: number,
  run: (item: T, index: number) => Promise<void>,
): Promise<unknown[]> {
  const errors: unknown[] = [];
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      try {
        await run(items[index]!, index);
      } catch (error) {
        errors.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return errors;
}

/** Whether the ids of the clicks of `deliveries`, in order, are strictly increasing. */
function idsIncrease(deliveries: readonly Delivery[]): boolean {
  let previous = '';
  for (const delivery of deliveries) {
    for (const click of delivery.clicks) {
      if (!(click.id > previous)) return false;
      previous = click.id;
    }
  }
  return true;
}

/**
 * Pulls batches of click records from a transport and lands them in sinks: decodes and
 * validates each record (malformed ones and unknown versions go to the dead-letter queue,
 * the rest of the batch goes on), enriches, skips events already seen, writes every sink
 * with bounded concurrency and retries each failing sink with exponential backoff and
 * jitter. Batches handed over while a write runs are merged into the next write (one
 * write at a time, up to `maxWriteEvents`). A batch is acknowledged only when every sink
 * took the write that held it; otherwise the handler rejects and the transport redelivers
 * it, which idempotent sinks make exact.
 */
export class ClickWorker {
  readonly #options: ClickWorkerOptions;
  readonly #enricher: Enricher;
  readonly #retry: Required<SinkRetryOptions>;
  readonly #concurrency: number;
  readonly #written: RecentIds | undefined;
  readonly #writes: WriteCoalescer<Delivery>;
  readonly #counters: WorkerCounters = zeroWorkerCounters();
  #subscription: Promise<Subscription> | undefined;
  #inFlight = 0;
  #idleWaiters: Array<() => void> = [];

  constructor(options: ClickWorkerOptions) {
    this.#options = options;
    this.#enricher = options.enricher ?? new Enricher();
    this.#retry = sinkRetryPolicy(options.retry);
    this.#concurrency = options.sinkConcurrency ?? 4;
    if (!Number.isInteger(this.#concurrency) || this.#concurrency < 1) {
      throw new RangeError('sinkConcurrency must be a positive integer');
    }
    const window = options.dedupeWindow ?? 100_000;
    if (!Number.isInteger(window) || window < 0) {
      throw new RangeError('dedupeWindow must be a non-negative integer');
    }
    this.#written = window > 0 ? new RecentIds(window) : undefined;
    const maxUnits = options.maxWriteEvents ?? 10_000;
    if (!Number.isInteger(maxUnits) || maxUnits < 1) {
      throw new RangeError('maxWriteEvents must be a positive integer');
    }
    const lingerMs = options.writeLingerMs ?? 0;
    if (!(lingerMs >= 0) || !Number.isFinite(lingerMs)) {
      throw new RangeError('writeLingerMs must be a non-negative number');
    }
    const { concurrentBatches } = options.consumer;
    this.#writes = new WriteCoalescer((deliveries) => this.#writeTogether(deliveries), {
      maxUnits,
      lingerMs,
      ...(concurrentBatches === undefined ? {} : { readyItems: concurrentBatches }),
    });
  }

  /** Starts consuming; resolves once the subscription is in place. Throws when running. */
  async start(): Promise<void> {
    if (this.#subscription) throw new Error('ClickWorker is already started');
    const { consumer, group = 'linkpulse-workers', consumerName } = this.#options;
    this.#subscription = consumer.consume((batch) => this.#handle(batch), {
      group,
      ...(consumerName === undefined ? {} : { consumer: consumerName }),
    });
    try {
      await this.#subscription;
    } catch (error) {
      this.#subscription = undefined;
      throw error;
    }
  }

  /**
   * Stops consuming and waits for the batch in hand, including its retries (bounded by
   * {@link ClickWorkerOptions.retry}). The worker can be started again.
   */
  async stop(): Promise<void> {
    const subscription = this.#subscription;
    if (!subscription) return;
    this.#subscription = undefined;
    await (await subscription).stop();
    await this.idle();
  }

  /** Resolves when no batch is being handled (at once when none is). */
  idle(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** A snapshot of the counters. */
  counters(): WorkerCounters {
    return { ...this.#counters };
  }

  async #handle(batch: ReceivedBatch): Promise<void> {
    this.#inFlight += 1;
    const started = performance.now();
    try {
      const delivery = this.#prepare(batch);
      await this.#writes.add(delivery, delivery.clicks.length);
      const counters = this.#counters;
      counters.batches += 1;
      counters.events += delivery.records;
      counters.written += delivery.written;
      counters.duplicates += delivery.duplicates;
      counters.deadLettered += delivery.dead.length;
      counters.lastBatchMs = performance.now() - started;
    } catch (error) {
      this.#counters.failedBatches += 1;
      this.#report(error, { stage: 'batch' });
      throw error;
    } finally {
      this.#inFlight -= 1;
      if (this.#inFlight === 0) for (const resolve of this.#idleWaiters.splice(0)) resolve();
    }
  }

  /** Decodes and enriches the records of `batch`; malformed ones become dead letters. */
  #prepare(batch: ReceivedBatch): Delivery {
    const clicks: EnrichedClick[] = [];
    const dead: DeadLetter[] = [];
    for (const record of batch.records) {
      const decoded = decodeClickEvent(record);
      if (!decoded.ok) {
        dead.push({ record, reason: decoded.reason });
        continue;
      }
      try {
        clicks.push(this.#enricher.enrich(decoded.event));
      } catch (error) {
        dead.push({ record, reason: `enrichment failed: ${String(error)}` });
      }
    }
    return { records: batch.records.length, clicks, dead, written: 0, duplicates: 0 };
  }

  /**
   * One write of the events of `deliveries` that are new (not in an earlier delivery of
   * this write, nor written recently), then their dead letters. Their ids are remembered as
   * they are taken (one lookup each) and forgotten again when the write fails, so that the
   * redelivery is written.
   */
  async #writeTogether(deliveries: Delivery[]): Promise<void> {
    // Without a dedupe window, duplicates are still skipped within the write; ids in
    // increasing order (as one emitter mints them) cannot repeat, so need no set.
    const seen =
      this.#written ??
      (idsIncrease(deliveries) ? undefined : new RecentIds(Number.POSITIVE_INFINITY));
    const fresh: EnrichedClick[] = [];
    const dead: DeadLetter[] = [];
    for (const delivery of deliveries) {
      const before = fresh.length;
      for (const click of delivery.clicks) if (seen?.add(click.id) ?? true) fresh.push(click);
      delivery.written = fresh.length - before;
      delivery.duplicates = delivery.clicks.length - delivery.written;
      for (const entry of delivery.dead) dead.push(entry);
    }
    try {
      if (fresh.length > 0) await this.#writeSinks(fresh);
      if (dead.length > 0) await this.#deadLetter(dead);
    } catch (error) {
      if (seen !== undefined) for (const click of fresh) seen.delete(click.id);
      throw error;
    }
  }

  async #writeSinks(clicks: EnrichedClick[]): Promise<void> {
    const { sinks } = this.#options;
    const errors = await settleBounded(sinks, this.#concurrency, (sink, index) =>
      retryWithBackoff(() => sink.write(clicks), this.#retry, {
        onFailure: (error, attempt) => {
          this.#counters.sinkErrors += 1;
          this.#report(error, { stage: 'sink', sink: index, attempt });
        },
      }),
    );
    if (errors.length > 0) {
      throw new LinkPulseError('unavailable', `${errors.length} of ${sinks.length} sinks failed`, {
        cause: errors.length === 1 ? errors[0] : new AggregateError(errors),
      });
    }
  }

  async #deadLetter(entries: DeadLetter[]): Promise<void> {
    const queue = this.#options.deadLetters;
    if (queue) {
      await retryWithBackoff(() => queue.deadLetter(entries), this.#retry, {
        onFailure: (error, attempt) => this.#report(error, { stage: 'dead_letter', attempt }),
      });
      return;
    }
    for (const entry of entries) {
      this.#report(new Error(`malformed click record dropped: ${entry.reason}`), {
        stage: 'decode',
      });
    }
  }

  #report(error: unknown, context: WorkerErrorContext): void {
    try {
      this.#options.onError?.(error, context);
    } catch {
      // A throwing error handler must not take the worker down.
    }
  }
}

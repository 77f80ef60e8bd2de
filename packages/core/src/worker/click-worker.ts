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
   * Ids of recently written events remembered to skip redelivered ones (at least this many,
   * at most twice); 0 turns it off. Default 100,000.
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

/**
 * Pulls batches of click records from a transport and lands them in sinks: decodes and
 * validates each record (malformed ones and unknown versions go to the dead-letter queue,
 * the rest of the batch goes on), skips events already seen, enriches, writes every sink
 * with bounded concurrency and retries each failing sink with exponential backoff and
 * jitter. The batch is acknowledged only when every sink succeeded; otherwise the handler
 * rejects and the transport redelivers it, which idempotent sinks make exact.
 */
export class ClickWorker {
  readonly #options: ClickWorkerOptions;
  readonly #enricher: Enricher;
  readonly #retry: Required<SinkRetryOptions>;
  readonly #concurrency: number;
  readonly #written: RecentIds | undefined;
  readonly #counters: WorkerCounters = {
    batches: 0,
    failedBatches: 0,
    events: 0,
    written: 0,
    duplicates: 0,
    deadLettered: 0,
    sinkErrors: 0,
    lastBatchMs: 0,
  };
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
      const fresh: EnrichedClick[] = [];
      const dead: DeadLetter[] = [];
      const ids = new Set<string>();
      let duplicates = 0;
      for (const record of batch.records) {
        const decoded = decodeClickEvent(record);
        if (!decoded.ok) {
          dead.push({ record, reason: decoded.reason });
          continue;
        }
        const { event } = decoded;
        if (ids.has(event.id) || this.#written?.has(event.id)) {
          duplicates += 1;
          continue;
        }
        ids.add(event.id);
        try {
          fresh.push(this.#enricher.enrich(event));
        } catch (error) {
          dead.push({ record, reason: `enrichment failed: ${String(error)}` });
        }
      }
      if (fresh.length > 0) await this.#writeSinks(fresh);
      if (dead.length > 0) await this.#deadLetter(dead);
      for (const id of ids) this.#written?.add(id);
      const counters = this.#counters;
      counters.batches += 1;
      counters.events += batch.records.length;
      counters.written += fresh.length;
      counters.duplicates += duplicates;
      counters.deadLettered += dead.length;
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

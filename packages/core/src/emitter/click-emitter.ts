import type { ClickEvent, ClickInput } from '../clicks/click-event.js';
import { assertClickInput, toClickEvent } from '../clicks/to-click-event.js';
import { createUlid, type UlidFactory } from '../clicks/ulid.js';
import { VisitorHasher } from '../clicks/visitor.js';
import { LinkPulseError } from '../errors.js';
import {
  type ClickInputProducer,
  type ClickProducer,
  type EmittedClicks,
  takesClicks,
} from '../transport/transport.js';
import { ClickSlots } from './click-slots.js';

/** Backoff of failed sends: exponential with full jitter, between 0 and the current cap. */
export interface EmitterRetryOptions {
  /** Cap of the first retry's delay; doubles per failed attempt. Default 100 ms. */
  initialDelayMs?: number;
  /** Largest cap. Default 10,000 ms. */
  maxDelayMs?: number;
}

/** A batch on its way: events, or clicks for a producer that builds the events itself. */
type Batch = ClickEvent[] | EmittedClicks;

/** Options of {@link ClickEmitter}. */
export interface ClickEmitterOptions {
  /**
   * Receives the batches. The emitter never closes it: its owner does. A
   * {@link ClickInputProducer} (an analytics thread) is sent the clicks as emitted and
   * builds their events itself; any other producer is sent events.
   */
  transport: ClickProducer;
  /** Key of the visitor-id HMAC; give every node the same one. Must not be empty. */
  secret: string | Uint8Array;
  /** Clicks buffered at most; when full, the oldest is dropped and counted. Default 10,000. */
  capacity?: number;
  /** Clicks per batch; a full batch is flushed at once. Default 500 (at most `capacity`). */
  maxBatchSize?: number;
  /** Whatever is buffered is flushed this often. Default 250 ms. */
  flushIntervalMs?: number;
  /** A send still pending after this long counts as failed and is retried. Default 10,000 ms. */
  sendTimeoutMs?: number;
  /** Backoff between attempts to send a batch that failed. */
  retry?: EmitterRetryOptions;
  /** Clock used to stamp clicks without a `ts`. Default `Date.now`. */
  now?: () => number;
  /**
   * Told about failed sends and clicks that could not be turned into events (both are
   * also counted). Default: nothing; watch {@link ClickEmitter.counters} instead.
   */
  onError?: (error: unknown) => void;
}

/**
 * What the emitter has done so far, as plain numbers. At any instant
 * `emitted === sent + dropped + queueDepth + inFlight`.
 */
export interface EmitterCounters {
  /** Calls to `emit`, including those after `close`. */
  emitted: number;
  /**
   * Clicks given up on: overwritten in a full buffer, emitted after `close`, malformed, or
   * still undelivered when `close` timed out.
   */
  dropped: number;
  /** Clicks in batches the transport accepted. */
  sent: number;
  /** Send attempts that rejected or timed out. */
  failedSends: number;
  /** Clicks buffered, not yet in a batch. */
  queueDepth: number;
  /** Clicks in the batch being sent or waiting to be retried. */
  inFlight: number;
}

/** Options of {@link ClickEmitter.close}. */
export interface EmitterCloseOptions {
  /** How long to keep trying to deliver what is buffered. Default 5,000 ms. */
  timeoutMs?: number;
}

interface FlushWaiter {
  /** Resolved once every click accepted before this index is sent or dropped. */
  target: number;
  resolve: () => void;
}

// Sender phases. Only IDLE lets `emit` schedule a flush.
const IDLE = 0;
const SCHEDULED = 1;
const SENDING = 2;
const BACKOFF = 3;
const STOPPED = 4;

const DEFAULTS = {
  capacity: 10_000,
  maxBatchSize: 500,
  flushIntervalMs: 250,
  sendTimeoutMs: 10_000,
  initialDelayMs: 100,
  maxDelayMs: 10_000,
  closeTimeoutMs: 5_000,
};

function positive(name: string, value: number | undefined, fallback: number): number {
  const result = value ?? fallback;
  if (!(result > 0) || !Number.isFinite(result)) {
    throw new RangeError(`${name} must be a positive number, got ${value}`);
  }
  return result;
}

/**
 * Takes clicks off the request path and ships them in batches, modelled on OpenTelemetry's
 * `BatchSpanProcessor`.
 *
 * `emit` is synchronous and O(1): it copies the click's fields into a preallocated ring
 * buffer (user agent and referer as the first equal strings seen, found by a fingerprint
 * of a few characters, not a hash) and returns; no I/O, no awaiting, and it never
 * throws. When the buffer is full the oldest click is overwritten and counted as dropped,
 * so memory stays bounded by `capacity` clicks plus the one batch in flight.
 *
 * A batch is built (ULID, visitor id, IP prefix, UTM; the raw IP never leaves the process)
 * when it is sent: as soon as `maxBatchSize` clicks are buffered, every `flushIntervalMs`,
 * and on {@link ClickEmitter.flush} / {@link ClickEmitter.close}. A
 * {@link ClickInputProducer} gets the clicks instead and builds the events where it runs
 * (an analytics thread, in this process), so that the request thread does not hash
 * visitors. At most one send is in
 * flight. A send that rejects or outlasts `sendTimeoutMs` is retried with the same batch
 * (same ids, so a late success plus the retry is deduplicated downstream) after an
 * exponential, fully jittered backoff, while `emit` keeps accepting clicks. Timers are
 * `unref`'d: call `close()` before exit to deliver what is buffered.
 */
export class ClickEmitter {
  // Hot state, touched by `emit`.
  readonly #slots: ClickSlots;
  readonly #times: Float64Array;
  readonly #capacity: number;
  readonly #maxBatchSize: number;
  readonly #now: () => number;
  #head = 0;
  #size = 0;
  /** Clicks that ever entered the buffer; the buffer holds indexes `[accepted - size, accepted)`. */
  #accepted = 0;
  #emitted = 0;
  #dropped = 0;
  #closed = false;
  #phase = IDLE;

  // Sender state.
  readonly #transport: ClickProducer;
  /** The transport when it builds events itself: it is sent clicks. */
  readonly #clickTaker: ClickInputProducer | null;
  readonly #secret: string | Uint8Array;
  readonly #visitors: VisitorHasher;
  readonly #ulid: UlidFactory = createUlid();
  readonly #sendTimeoutMs: number;
  readonly #initialDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #onError: ((error: unknown) => void) | undefined;
  readonly #interval: NodeJS.Timeout;
  #batch: Batch | null = null;
  /** Buffer index of the first click of `#batch`. */
  #batchStart = 0;
  #attempt = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  #sent = 0;
  #failedSends = 0;
  #waiters: FlushWaiter[] = [];
  /** `flush` asked for every click before this index. */
  #drainTarget = 0;
  #closing: Promise<void> | undefined;

  constructor(options: ClickEmitterOptions) {
    this.#capacity = Math.floor(positive('capacity', options.capacity, DEFAULTS.capacity));
    this.#maxBatchSize = Math.min(
      Math.floor(positive('maxBatchSize', options.maxBatchSize, DEFAULTS.maxBatchSize)),
      this.#capacity,
    );
    this.#sendTimeoutMs = positive('sendTimeoutMs', options.sendTimeoutMs, DEFAULTS.sendTimeoutMs);
    this.#initialDelayMs = positive(
      'retry.initialDelayMs',
      options.retry?.initialDelayMs,
      DEFAULTS.initialDelayMs,
    );
    this.#maxDelayMs = positive('retry.maxDelayMs', options.retry?.maxDelayMs, DEFAULTS.maxDelayMs);
    const flushIntervalMs = positive(
      'flushIntervalMs',
      options.flushIntervalMs,
      DEFAULTS.flushIntervalMs,
    );
    this.#slots = new ClickSlots(this.#capacity);
    this.#times = new Float64Array(this.#capacity);
    this.#now = options.now ? guardedClock(options.now) : Date.now;
    this.#transport = options.transport;
    this.#clickTaker = takesClicks(options.transport) ? options.transport : null;
    this.#visitors = new VisitorHasher(options.secret);
    this.#secret = options.secret;
    this.#onError = options.onError;
    this.#interval = setInterval(this.#onInterval, flushIntervalMs);
    this.#interval.unref();
  }

  /**
   * Records one click: copies its fields (the input may be reused afterwards) and its
   * time (`input.ts` when it is a number, else the clock), and returns. Never throws,
   * never waits; after `close`, or when a field cannot be read (a throwing getter), the
   * click is counted as dropped.
   */
  emit(input: ClickInput): void {
    this.#emitted++;
    if (this.#closed || typeof input !== 'object' || input === null) {
      this.#dropped++;
      return;
    }
    const capacity = this.#capacity;
    let slot = this.#head + this.#size;
    if (slot >= capacity) slot -= capacity;
    let ts: unknown;
    try {
      ts = input.ts;
      this.#slots.store(slot, input);
    } catch (error) {
      this.#dropped++;
      this.#report(error);
      return;
    }
    if (this.#size === capacity) {
      // Full: `slot` is the oldest click; overwrite it.
      this.#dropped++;
      this.#head = slot + 1 === capacity ? 0 : slot + 1;
    } else {
      this.#size++;
    }
    this.#times[slot] = typeof ts === 'number' ? ts : this.#now();
    this.#accepted++;
    if (this.#size >= this.#maxBatchSize && this.#phase === IDLE) {
      this.#phase = SCHEDULED;
      setImmediate(this.#onScheduled);
    }
  }

  /**
   * Sends every click emitted before the call. Resolves once each of them was sent or
   * dropped; never rejects. While the transport keeps failing it keeps retrying, so it
   * may wait until `close` gives up.
   */
  flush(): Promise<void> {
    const target = this.#accepted;
    if (this.#oldestPending() >= target) return Promise.resolve();
    return new Promise((resolve) => {
      this.#waiters.push({ target, resolve });
      if (target > this.#drainTarget) this.#drainTarget = target;
      if (this.#phase === IDLE) void this.#pump(false);
    });
  }

  /**
   * Stops accepting clicks (later `emit`s count as dropped) and delivers what is
   * buffered. After `timeoutMs` it gives up: what is still undelivered is counted as
   * dropped (a send still pending may yet land; sinks deduplicate by id). Does not close
   * the transport. Calling it again returns the same promise.
   */
  close(options: EmitterCloseOptions = {}): Promise<void> {
    this.#closing ??= this.#shutdown(options.timeoutMs ?? DEFAULTS.closeTimeoutMs);
    return this.#closing;
  }

  /** The counters, read synchronously. */
  counters(): EmitterCounters {
    return {
      emitted: this.#emitted,
      dropped: this.#dropped,
      sent: this.#sent,
      failedSends: this.#failedSends,
      queueDepth: this.#size,
      inFlight: this.#batch === null ? 0 : this.#batch.length,
    };
  }

  readonly #onScheduled = (): void => {
    if (this.#phase === SCHEDULED) void this.#pump(false);
  };

  readonly #onInterval = (): void => {
    if (this.#phase === IDLE && this.#size > 0) void this.#pump(true);
  };

  readonly #onRetry = (): void => {
    this.#retryTimer = undefined;
    if (this.#phase === BACKOFF) void this.#pump(false);
  };

  /** Buffer index of the oldest click neither sent nor dropped. */
  #oldestPending(): number {
    return this.#batch === null ? this.#accepted - this.#size : this.#batchStart;
  }

  /**
   * Sends batches one at a time while a full batch is buffered or `flush` waits for
   * buffered clicks (`force` sends the first batch regardless, for the interval). Stops
   * on a failure and schedules the retry.
   */
  async #pump(force: boolean): Promise<void> {
    this.#phase = SENDING;
    for (;;) {
      let batch = this.#batch;
      if (batch === null) {
        const wanted =
          force ||
          this.#size >= this.#maxBatchSize ||
          this.#accepted - this.#size < this.#drainTarget;
        if (!wanted || this.#size === 0) break;
        force = false;
        batch = this.#takeBatch();
        if (batch === null) continue;
      }
      const delivered = await this.#send(batch);
      if (this.#phase !== SENDING) return; // close gave up meanwhile
      if (!delivered) {
        this.#phase = BACKOFF;
        const cap = Math.min(this.#maxDelayMs, this.#initialDelayMs * 2 ** this.#attempt++);
        this.#retryTimer = setTimeout(this.#onRetry, Math.random() * cap);
        this.#retryTimer.unref();
        return;
      }
      this.#sent += batch.length;
      this.#batch = null;
      this.#attempt = 0;
      this.#settleWaiters();
    }
    this.#phase = IDLE;
    this.#settleWaiters();
  }

  /**
   * Moves up to `maxBatchSize` clicks out of the buffer into `#batch`: as events, or as
   * they are for a transport that builds the events itself. Malformed clicks are dropped.
   */
  #takeBatch(): Batch | null {
    const count = Math.min(this.#size, this.#maxBatchSize);
    const start = this.#accepted - this.#size;
    const asClicks = this.#clickTaker !== null;
    const events: ClickEvent[] = [];
    const clicks: ClickInput[] = [];
    const times = new Float64Array(asClicks ? count : 0);
    let slot = this.#head;
    for (let i = 0; i < count; i++) {
      const input = this.#slots.take(slot);
      const ts = this.#times[slot]!;
      try {
        if (asClicks) {
          assertClickInput(input, ts);
          times[clicks.push(input) - 1] = ts;
        } else {
          events.push(toClickEvent(input, ts, this.#ulid, this.#visitors));
        }
      } catch (error) {
        this.#dropped++;
        this.#report(error);
      }
      if (++slot === this.#capacity) slot = 0;
    }
    this.#head = slot;
    this.#size -= count;
    const batch: Batch = asClicks
      ? { clicks, times: times.subarray(0, clicks.length), length: clicks.length }
      : events;
    if (batch.length === 0) return null;
    this.#batch = batch;
    this.#batchStart = start;
    return batch;
  }

  /** One attempt: true when the transport accepted the batch within the timeout. */
  #send(batch: Batch): Promise<boolean> {
    return new Promise((resolve) => {
      let settled = false;
      const fail = (error: unknown): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.#failedSends++;
        this.#report(error);
        resolve(false);
      };
      const timer = setTimeout(() => {
        fail(new LinkPulseError('unavailable', `send timed out after ${this.#sendTimeoutMs} ms`));
      }, this.#sendTimeoutMs);
      timer.unref();
      let sending: Promise<void>;
      try {
        sending = Array.isArray(batch)
          ? this.#transport.send(batch)
          : this.#clickTaker!.sendClicks(batch as EmittedClicks, this.#secret);
      } catch (error) {
        sending = Promise.reject(error);
      }
      sending.then(() => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(true);
      }, fail);
    });
  }

  #settleWaiters(): void {
    if (this.#waiters.length === 0) return;
    const oldest = this.#oldestPending();
    const waiting: FlushWaiter[] = [];
    for (const waiter of this.#waiters) {
      if (waiter.target <= oldest) waiter.resolve();
      else waiting.push(waiter);
    }
    this.#waiters = waiting;
  }

  async #shutdown(timeoutMs: number): Promise<void> {
    this.#closed = true;
    clearInterval(this.#interval);
    let timer: NodeJS.Timeout | undefined;
    // This timer is not unref'd: an awaited close keeps the process alive until it is done.
    const gaveUp = await Promise.race([
      this.flush().then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    clearTimeout(this.#retryTimer);
    this.#phase = STOPPED;
    if (!gaveUp) return;
    this.#dropped += this.#size + (this.#batch === null ? 0 : this.#batch.length);
    this.#slots.clear();
    this.#size = 0;
    this.#batch = null;
    this.#settleWaiters();
  }

  #report(error: unknown): void {
    try {
      this.#onError?.(error);
    } catch {
      // A failing error handler must not break the sender.
    }
  }
}

/** `clock`, falling back to `Date.now` when it throws or returns a non-number. */
function guardedClock(clock: () => number): () => number {
  return () => {
    try {
      const now = clock();
      return typeof now === 'number' ? now : Date.now();
    } catch {
      return Date.now();
    }
  };
}

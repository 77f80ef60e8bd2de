import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Analytics } from '../analytics.js';
import type { ClickEvent } from '../clicks/click-event.js';
import { LinkPulseError } from '../errors.js';
import type { StatsReader } from '../sinks/stats.js';
import type { ClickInputProducer, EmittedClicks } from '../transport/transport.js';
import { type WorkerCounters, zeroWorkerCounters } from '../worker/click-worker.js';
import { packBatch, transferables } from './batch-codec.js';
import { clickTransferables, packClicks } from './clicks-codec.js';
import {
  type AnalyticsThreadErrorContext,
  type FromThread,
  fromWireError,
  THREAD_PROTOCOL,
  type ThreadInit,
  type ToThread,
} from './protocol.js';

export type { AnalyticsThreadErrorContext } from './protocol.js';

/** Options of {@link createThreadedAnalytics}. */
export interface ThreadedAnalyticsOptions<Data = unknown> {
  /**
   * The thread's module, which calls {@link runAnalyticsThread}: a `file:` URL (say
   * `new URL('./clicks-thread.js', import.meta.url)`) or an absolute path. A TypeScript
   * module (`.ts`, `.mts`, `.cts`) is for running from sources: the thread then registers
   * `tsx` (which must resolve from the working directory) before importing it, and unless
   * `execArgv` says otherwise resolves packages with the `source` export condition, as this
   * workspace's packages have it.
   */
  module: string | URL;
  /** Handed to the module's setup; must survive a structured clone (no functions, no handles). */
  data?: Data;
  /**
   * Answers `Shortener.stats` on this thread, e.g. a sink over its own connection to the
   * database the thread writes. Not closed by `close()`.
   */
  stats?: StatsReader;
  /**
   * Events the thread may hold that its worker has not finished with (queued, being
   * written, or waiting to be redelivered; a forwarding thread: whose send to its producer
   * has not settled). A send that would go past it waits until the thread catches up, so
   * a slow thread pushes back on the emitter (which keeps buffering, then drops the oldest
   * clicks and counts them) instead of growing without bound. One batch larger than this
   * is let through when the thread holds nothing. Default 10,000.
   */
  maxBacklog?: number;
  /** How long to wait for the thread's setup before giving up. Default 30,000 ms. */
  startTimeoutMs?: number;
  /**
   * Node options of the thread (`Worker` `execArgv`). Default: those of this thread, plus
   * `--conditions=@linkpulse/source` for a TypeScript module when they name no conditions.
   */
  execArgv?: string[];
  /**
   * Told about every problem in the thread (the same failed attempts and dropped records a
   * worker reports to its `onError`, and the thread crashing or not closing in time), as
   * `Error` objects rebuilt on this thread (name, message, stack and `code` kept).
   */
  onError?: (error: Error, context: AnalyticsThreadErrorContext) => void;
}

/** What the main-thread side of {@link createThreadedAnalytics} has done, as plain numbers. */
export interface ThreadedAnalyticsCounters {
  /** Events in batches the thread accepted (their sends resolved). */
  accepted: number;
  /** Events handed to the thread that it has not finished with (see `maxBacklog`). */
  backlog: number;
  /** Events in sends waiting for room in the thread's backlog. */
  waiting: number;
  /**
   * Events in sends rejected: the thread was closing or gone, or (a forwarding thread) its
   * producer refused them.
   */
  rejected: number;
}

/** {@link Analytics} whose worker and sinks run in a worker thread. */
export interface ThreadedAnalytics extends Analytics {
  /**
   * Takes events (`send`) and, from the emitter, clicks as emitted (`sendClicks`), whose
   * events the thread builds, so that the request thread does not hash visitors.
   */
  readonly producer: ClickInputProducer;
  /**
   * The thread's worker counters as last reported (after every batch and on close), so
   * that `registerWorkerMetrics(analytics.worker)` works as for in-process analytics.
   * A forwarding thread has no worker: all zero.
   */
  readonly worker: { counters(): WorkerCounters };
  /** The main-thread side's counters, read synchronously. */
  counters(): ThreadedAnalyticsCounters;
  /** `threadId` of the thread (as in `node:worker_threads`). */
  readonly threadId: number;
  /**
   * Whether the thread takes batches: started, and not closing, closed or dead (crashed or
   * exited). A readiness probe can watch it: a dead thread is not restarted.
   */
  readonly running: boolean;
}

const DEFAULTS = { maxBacklog: 10_000, startTimeoutMs: 30_000, closeTimeoutMs: 5_000 };
/** How long after the drain timeout the thread gets to stop its worker and close its sinks. */
const CLOSE_GRACE_MS = 5_000;
const TYPESCRIPT = /\.[cm]?ts$/;

/**
 * Analytics whose pipeline runs in a `node:worker_threads` thread, off the thread that
 * serves requests: the emitter stays here, and each batch it sends is posted to the
 * thread, where the module named by `options.module` has built the sinks (with
 * {@link runAnalyticsThread}) and a {@link MemoryTransport} feeds a {@link ClickWorker}
 * that decodes, deduplicates, enriches and writes them. Sinks are built in the thread
 * because they cannot cross threads; what they need comes as `options.data`.
 *
 * A send resolves once the thread has accepted the batch; while the thread holds
 * `maxBacklog` events its worker has not finished with, sends wait, so a thread that falls
 * behind pushes back on the emitter (beyond the emitter's `sendTimeoutMs` a waiting send
 * counts as failed and is retried; the same batch is not posted twice, whether the retry
 * comes while it waits or after the thread accepted it, so the thread's worker needs no
 * dedupe window). Batches cross packed: each distinct field value once in a table, events
 * as indexes into it, the ids apart; the thread checks each distinct value once (as
 * `decodeClickEvent` would) and its worker skips decoding the events that passed.
 *
 * The emitter's clicks cross as they were emitted (`producer.sendClicks`) and the thread
 * builds their events. A thread whose setup returns `forward` (a Kafka or Redis Streams
 * producer) sends those events there instead of to a worker: a send resolves once that
 * producer's send resolved and rejects when it rejected, and a batch sent again keeps its
 * event ids (the thread keeps the events of the 16 batches refused last: enough for the
 * one batch each emitter retries at a time).
 *
 * `close()` (after the emitter has drained, as the shortener does it) lets the thread
 * drain its transport for at most `timeoutMs`, stop its worker, close its sinks and exit
 * (a forwarding thread: wait for its producer's pending sends, close the producer, exit);
 * sends still pending then reject with `unavailable`;
 * a thread that takes `timeoutMs` + 5 s is terminated and reported. A thread that crashes
 * is reported to `onError`, its pending sends reject with `unavailable`, and `close()`
 * still resolves.
 *
 * Resolves once the thread's setup is done; rejects with `LinkPulseError('unavailable')`,
 * the thread's error as its cause, when the module cannot be loaded, its setup throws, it
 * does not call `runAnalyticsThread`, or it is not ready within `startTimeoutMs`. Like
 * in-process analytics, the thread keeps the process alive only while it has work (sends
 * pending, events not yet written) or is closing.
 */
export async function createThreadedAnalytics<Data = unknown>(
  options: ThreadedAnalyticsOptions<Data>,
): Promise<ThreadedAnalytics> {
  const maxBacklog = options.maxBacklog ?? DEFAULTS.maxBacklog;
  if (!Number.isInteger(maxBacklog) || maxBacklog < 1) {
    throw new RangeError(`maxBacklog must be a positive integer, got ${options.maxBacklog}`);
  }
  const link = new ThreadLink(options, maxBacklog);
  await link.started(options.startTimeoutMs ?? DEFAULTS.startTimeoutMs);
  return {
    producer: {
      send: (batch) => link.send(batch),
      sendClicks: (batch, secret) => link.send(batch, secret),
      // The thread is released by `close()` below.
      close: async () => {},
    },
    stats: options.stats,
    worker: { counters: () => ({ ...link.workerCounters }) },
    counters: () => link.counters(),
    threadId: link.threadId,
    get running() {
      return link.running;
    },
    close: (closeOptions) => link.close(closeOptions?.timeoutMs ?? DEFAULTS.closeTimeoutMs),
  };
}

/**
 * Starts a TypeScript thread module: Node 20 does not apply loader hooks given with
 * `--import` to a thread's entry, so the thread registers tsx itself, then imports it.
 */
const TYPESCRIPT_BOOTSTRAP = `const { workerData } = require('node:worker_threads');
import('tsx/esm/api').then((tsx) => {
  tsx.register();
  return import(workerData.entry);
});`;

/** The thread's module as a URL, whether it is TypeScript, and the thread's Node options. */
function workerEntry(
  module: string | URL,
  execArgv: string[] | undefined,
): { url: URL; typescript: boolean; execArgv: string[] | undefined } {
  const url =
    module instanceof URL || module.startsWith('file:') ? new URL(module) : pathToFileURL(module);
  if (!TYPESCRIPT.test(url.pathname)) return { url, typescript: false, execArgv };
  if (execArgv !== undefined) return { url, typescript: true, execArgv };
  const inherited = process.execArgv;
  const conditions = inherited.some((arg) => arg.startsWith('--conditions') || arg === '-C');
  return {
    url,
    typescript: true,
    execArgv: conditions ? undefined : [...inherited, '--conditions=@linkpulse/source'],
  };
}

/** What a send carries: events, or clicks whose events the thread builds. */
type SentBatch = readonly ClickEvent[] | EmittedClicks;

/** One batch handed to `send`, until it is accepted or rejected. */
interface PendingSend {
  batch: SentBatch;
  /** The visitor-id key of a batch of clicks. */
  secret: string | Uint8Array | undefined;
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: Error) => void;
}

type LinkState = 'starting' | 'running' | 'closing' | 'closed' | 'dead';

/** The main-thread end of an analytics thread. */
class ThreadLink {
  readonly threadId: number;
  workerCounters: WorkerCounters = zeroWorkerCounters();
  readonly #thread: Worker;
  readonly #maxBacklog: number;
  readonly #onError: ThreadedAnalyticsOptions['onError'];
  #state: LinkState = 'starting';
  /** Sends not posted yet, oldest first. */
  #waiting: PendingSend[] = [];
  #waitingEvents = 0;
  /** Posted sends by sequence number, until the thread accepts them. */
  readonly #posted = new Map<number, PendingSend>();
  /** Every pending send by its batch, so that a retried batch is not posted twice. */
  readonly #byBatch = new Map<SentBatch, PendingSend>();
  /** Batches the thread accepted, so that a retry after a timeout is not posted again. */
  readonly #acceptedBatches = new WeakSet<SentBatch>();
  /** The visitor-id key the thread's event builder has, once clicks were posted. */
  #postedSecret: string | Uint8Array | undefined;
  /** The key of each batch of clicks posted: one per batch, however often it is sent. */
  readonly #keys = new WeakMap<SentBatch, number>();
  #nextKey = 0;
  #seq = 0;
  /** Events ever posted, and events the thread's worker has finished with. */
  #postedEvents = 0;
  #handledEvents = 0;
  #accepted = 0;
  #rejected = 0;
  /** The uncaught error that took the thread down, if any. */
  #crash: Error | undefined;
  #startWaiter: { resolve: () => void; reject: (error: Error) => void } | undefined;
  /** Whether the thread keeps the process alive: while it has work, as in-process analytics does. */
  #referenced = true;
  readonly #exited: Promise<void>;
  #closing: Promise<void> | undefined;

  constructor(options: ThreadedAnalyticsOptions<unknown>, maxBacklog: number) {
    this.#maxBacklog = maxBacklog;
    this.#onError = options.onError;
    const entry = workerEntry(options.module, options.execArgv);
    const init: ThreadInit = {
      protocol: THREAD_PROTOCOL,
      data: options.data,
      ...(entry.typescript ? { entry: entry.url.href } : {}),
    };
    try {
      this.#thread = entry.typescript
        ? new Worker(TYPESCRIPT_BOOTSTRAP, {
            eval: true,
            workerData: init,
            execArgv: entry.execArgv,
          })
        : new Worker(entry.url, { workerData: init, execArgv: entry.execArgv });
    } catch (error) {
      throw new LinkPulseError(
        'unavailable',
        `the analytics thread could not be started: ${(error as Error).message}`,
        { cause: error },
      );
    }
    this.threadId = this.#thread.threadId;
    this.#thread.on('message', (message: FromThread) => this.#onMessage(message));
    this.#thread.on('error', (error) => {
      this.#crash = error;
    });
    this.#thread.on('messageerror', (error) => this.#report(error, { stage: 'thread' }));
    this.#exited = new Promise((resolve) => {
      this.#thread.once('exit', (code) => {
        this.#onExit(code);
        resolve();
      });
    });
  }

  /** Resolves when the thread's setup is done; rejects (and stops the thread) otherwise. */
  async started(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        this.#startWaiter = { resolve, reject };
        timer = setTimeout(() => {
          reject(
            new LinkPulseError(
              'unavailable',
              `the analytics thread was not ready in ${timeoutMs} ms`,
            ),
          );
        }, timeoutMs);
      });
    } catch (error) {
      this.#state = 'dead';
      await this.#thread.terminate();
      throw error;
    } finally {
      clearTimeout(timer);
      this.#startWaiter = undefined;
    }
    this.#state = 'running';
    this.#refWhileBusy();
  }

  /** Hands `batch` to the thread; `secret` is the visitor-id key of a batch of clicks. */
  send(batch: SentBatch, secret?: string | Uint8Array): Promise<void> {
    const pending = this.#byBatch.get(batch);
    if (pending !== undefined) return pending.promise;
    if (this.#acceptedBatches.has(batch)) return Promise.resolve();
    if (this.#state !== 'running') {
      this.#rejected += batch.length;
      return Promise.reject(this.#unavailable());
    }
    let resolve!: () => void;
    let reject!: (error: Error) => void;
    const promise = new Promise<void>((onResolve, onReject) => {
      resolve = onResolve;
      reject = onReject;
    });
    const send: PendingSend = { batch, secret, promise, resolve, reject };
    this.#byBatch.set(batch, send);
    this.#waiting.push(send);
    this.#waitingEvents += batch.length;
    this.#pump();
    this.#refWhileBusy();
    return promise;
  }

  /** Whether the thread takes batches. */
  get running(): boolean {
    return this.#state === 'running';
  }

  counters(): ThreadedAnalyticsCounters {
    return {
      accepted: this.#accepted,
      backlog: this.#postedEvents - this.#handledEvents,
      waiting: this.#waitingEvents,
      rejected: this.#rejected,
    };
  }

  close(timeoutMs: number): Promise<void> {
    this.#closing ??= this.#shutdown(timeoutMs);
    return this.#closing;
  }

  /** Posts waiting sends while the thread's backlog has room for them. */
  #pump(): void {
    while (this.#waiting.length > 0 && this.#state === 'running') {
      const send = this.#waiting[0]!;
      const backlog = this.#postedEvents - this.#handledEvents;
      if (backlog > 0 && backlog + send.batch.length > this.#maxBacklog) return;
      this.#waiting.shift();
      this.#waitingEvents -= send.batch.length;
      const seq = ++this.#seq;
      try {
        this.#post(seq, send);
      } catch (error) {
        this.#settle(send, error as Error);
        continue;
      }
      this.#posted.set(seq, send);
      this.#postedEvents += send.batch.length;
    }
  }

  #post(seq: number, { batch, secret }: PendingSend): void {
    if (!Array.isArray(batch)) {
      const clicks = packClicks(batch as EmittedClicks);
      let key = this.#keys.get(batch);
      if (key === undefined) {
        key = ++this.#nextKey;
        this.#keys.set(batch, key);
      }
      const message: ToThread = { type: 'clicks', seq, key, clicks };
      if (secret !== this.#postedSecret) message.secret = secret;
      this.#thread.postMessage(message, clickTransferables(clicks));
      this.#postedSecret = secret;
      return;
    }
    const packed = packBatch(batch);
    if (packed === undefined) {
      this.#thread.postMessage({ type: 'batch', seq, events: batch } satisfies ToThread);
      return;
    }
    this.#thread.postMessage(
      { type: 'batch', seq, events: packed } satisfies ToThread,
      transferables(packed),
    );
  }

  /** Resolves `send` (no error) or rejects it, and forgets it. */
  #settle(send: PendingSend, error?: Error): void {
    this.#byBatch.delete(send.batch);
    if (error === undefined) {
      this.#acceptedBatches.add(send.batch);
      this.#accepted += send.batch.length;
      send.resolve();
    } else {
      this.#rejected += send.batch.length;
      send.reject(error);
    }
  }

  #onMessage(message: FromThread): void {
    switch (message.type) {
      case 'ready':
        this.#startWaiter?.resolve();
        break;
      case 'failed':
        this.#startWaiter?.reject(
          new LinkPulseError(
            'unavailable',
            `the analytics thread's setup failed: ${message.error.message}`,
            { cause: fromWireError(message.error) },
          ),
        );
        break;
      case 'accepted':
      case 'rejected': {
        const send = this.#posted.get(message.seq);
        if (send === undefined) break;
        this.#posted.delete(message.seq);
        this.#settle(send, message.type === 'rejected' ? fromWireError(message.error) : undefined);
        this.#refWhileBusy();
        break;
      }
      case 'progress':
        this.#handledEvents = message.handled;
        this.workerCounters = message.counters;
        this.#pump();
        this.#refWhileBusy();
        break;
      case 'error':
        this.#report(fromWireError(message.error), message.context);
        break;
      case 'closed':
        this.workerCounters = message.counters;
        this.#state = 'closed';
        break;
    }
  }

  #onExit(code: number): void {
    const crash = this.#crash;
    if (this.#startWaiter !== undefined) {
      const reason = crash
        ? `failed: ${crash.message}`
        : `exited with code ${code} before it was ready (does its module call runAnalyticsThread?)`;
      this.#startWaiter.reject(
        new LinkPulseError('unavailable', `the analytics thread ${reason}`, { cause: crash }),
      );
      return;
    }
    if (this.#state === 'dead') return;
    if (this.#state === 'closed') {
      // Sends still pending when the thread gave up draining never get an answer.
      this.#failPending(this.#unavailable());
      return;
    }
    this.#state = 'dead';
    const error = new LinkPulseError(
      'unavailable',
      crash
        ? `the analytics thread crashed: ${crash.message}`
        : `the analytics thread exited with code ${code}`,
      { cause: crash },
    );
    this.#failPending(error);
    this.#report(error, { stage: 'thread' });
  }

  async #shutdown(timeoutMs: number): Promise<void> {
    if (this.#state !== 'running') return this.#exited;
    this.#state = 'closing';
    this.#failWaiting(this.#unavailable());
    this.#refWhileBusy();
    this.#thread.postMessage({ type: 'close', timeoutMs } satisfies ToThread);
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      this.#exited.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs + CLOSE_GRACE_MS);
      }),
    ]);
    clearTimeout(timer);
    if (finished) return;
    this.#report(
      new LinkPulseError(
        'unavailable',
        `the analytics thread did not close within ${timeoutMs + CLOSE_GRACE_MS} ms and was terminated`,
      ),
      { stage: 'thread' },
    );
    this.#state = 'dead';
    this.#failPending(this.#unavailable());
    await this.#thread.terminate();
  }

  /**
   * Lets the process exit while the thread is idle (nothing waiting, posted or unfinished),
   * and keeps it alive otherwise; always while starting and closing.
   */
  #refWhileBusy(): void {
    const busy =
      this.#state !== 'running' ||
      this.#waiting.length > 0 ||
      this.#posted.size > 0 ||
      this.#postedEvents > this.#handledEvents;
    if (busy === this.#referenced) return;
    this.#referenced = busy;
    if (busy) this.#thread.ref();
    else this.#thread.unref();
  }

  #failWaiting(error: Error): void {
    for (const send of this.#waiting) this.#settle(send, error);
    this.#waiting = [];
    this.#waitingEvents = 0;
  }

  #failPending(error: Error): void {
    this.#failWaiting(error);
    for (const send of this.#posted.values()) this.#settle(send, error);
    this.#posted.clear();
  }

  #unavailable(): LinkPulseError {
    return new LinkPulseError('unavailable', `the analytics thread is ${this.#state}`);
  }

  #report(error: Error, context: AnalyticsThreadErrorContext): void {
    try {
      this.#onError?.(error, context);
    } catch {
      // A throwing error handler must not break the link to the thread.
    }
  }
}

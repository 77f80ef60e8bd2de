import type { ClickEvent } from '../clicks/click-event.js';
import type { WorkerCounters } from '../worker/click-worker.js';
import type { PackedBatch } from './batch-codec.js';
import type { PackedClicks } from './clicks-codec.js';

/** Marks the `workerData` of a thread started by `createThreadedAnalytics`. */
export const THREAD_PROTOCOL = 'linkpulse-analytics-thread/1';

/** The thread's `workerData`. */
export interface ThreadInit {
  protocol: typeof THREAD_PROTOCOL;
  /** The caller's setup data. */
  data: unknown;
  /** The `file:` URL of a TypeScript module, for the bootstrap that loads it through tsx. */
  entry?: string;
}

/** Where a problem reported by the analytics thread happened. */
export interface AnalyticsThreadErrorContext {
  /**
   * The worker's stage (`decode`, `sink`, `dead_letter`, `batch`, as in `WorkerErrorContext`);
   * `thread` when the thread itself failed (crashed, exited, or did not close in time); or
   * the stage the thread module named in `reportError`.
   */
  stage: string;
  /** Index of the sink, for stage `sink`. */
  sink?: number;
  /** Attempt number from 1, for stages `sink` and `dead_letter`. */
  attempt?: number;
}

/** An error as it crosses threads: what `Error` objects lose in a structured clone is kept. */
export interface WireError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
}

/** Messages from the main thread to the analytics thread. */
export type ToThread =
  | { type: 'batch'; seq: number; events: PackedBatch | readonly ClickEvent[] }
  /**
   * Clicks whose events the thread builds; `secret` comes when it differs from the last,
   * `key` names the batch (the same for every send of one batch, so a retry keeps its ids).
   */
  | {
      type: 'clicks';
      seq: number;
      key: number;
      clicks: PackedClicks;
      secret?: string | Uint8Array;
    }
  | { type: 'close'; timeoutMs: number };

/** Messages from the analytics thread to the main thread. */
export type FromThread =
  | { type: 'ready' }
  | { type: 'failed'; error: WireError }
  | { type: 'accepted'; seq: number }
  /** A forwarding thread's producer refused the batch. */
  | { type: 'rejected'; seq: number; error: WireError }
  | { type: 'progress'; handled: number; counters: WorkerCounters }
  | { type: 'error'; error: WireError; context: AnalyticsThreadErrorContext }
  | { type: 'closed'; counters: WorkerCounters };

/** `error` as a {@link WireError}. */
export function toWireError(error: unknown): WireError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const code = (error as { code?: unknown }).code;
  return {
    name: error.name,
    message: error.message,
    ...(error.stack === undefined ? {} : { stack: error.stack }),
    ...(typeof code === 'string' ? { code } : {}),
  };
}

/** An `Error` rebuilt from a {@link WireError}: same name, message, stack and `code`. */
export function fromWireError(wire: WireError): Error {
  const error = new Error(wire.message) as Error & { code?: string };
  error.name = wire.name;
  if (wire.stack !== undefined) error.stack = wire.stack;
  if (wire.code !== undefined) error.code = wire.code;
  return error;
}

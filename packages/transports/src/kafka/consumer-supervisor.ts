import { backoffDelay, type RetryBackoff } from './backoff.js';
import type { BatchRun, CrashListener } from './batch-runner.js';

/** What `KafkaTransportOptions.onConsumerError` is told along with the error. */
export interface KafkaConsumerErrorContext {
  /** Consumer group of the member that failed. */
  group: string;
  /**
   * Who brings the member back. `client`: the client restarts it itself (kafkajs does after
   * retriable errors). `transport`: the client gave up on it (or its replacement failed to
   * start), and the transport starts a new member after `retryInMs`.
   */
  recovery: 'client' | 'transport';
  /** With `transport`: milliseconds until the new member starts. */
  retryInMs?: number;
}

/** Told about consumer crashes and failed restarts; see {@link KafkaConsumerErrorContext}. */
export type KafkaConsumerErrorListener = (
  error: unknown,
  context: KafkaConsumerErrorContext,
) => void;

/** How {@link superviseBatches} starts and watches group members. */
export interface SupervisorOptions {
  group: string;
  /**
   * Starts a member that reports crashes to `onCrash` (never before returning its promise).
   * `first` is `false` for replacements, which continue from the group's committed offsets.
   */
  start(onCrash: CrashListener, first: boolean): Promise<BatchRun>;
  backoff: Required<RetryBackoff>;
  onError: KafkaConsumerErrorListener | undefined;
}

/**
 * Keeps one member of a consumer group running. kafkajs restarts a crashed consumer only
 * after retriable errors; after any other (or when `retry.restartOnFailure` says no) the
 * consumer stays disconnected and its subscription would silently stop. The supervisor
 * then stops that member and starts a new one after a backoff that grows while members keep
 * failing (within `maxMs` of starting) and retries failed starts the same way, until
 * `stop`. Every crash and failed start goes to `onError`. Rejects only when the first member
 * cannot start.
 */
export async function superviseBatches(options: SupervisorOptions): Promise<BatchRun> {
  const { group, start, backoff, onError } = options;
  let stopping = false;
  /** A crash or failed start the replacement loop has not dealt with yet. */
  let failure: { error: unknown } | undefined;
  let replacing = false;
  let replacement: Promise<void> = Promise.resolve();
  /** Members that failed in a row, each within `maxMs` of its start. */
  let failuresInARow = 0;
  let startedAt = Date.now();
  let current: Promise<BatchRun>;
  let wake: (() => void) | undefined;

  const report = (error: unknown, context: KafkaConsumerErrorContext) => {
    try {
      onError?.(error, context);
    } catch {} // a throwing listener must not stop the recovery
  };

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const replaceWhileFailing = async () => {
    replacing = true;
    try {
      while (failure !== undefined && !stopping) {
        const { error } = failure;
        failure = undefined;
        if (Date.now() - startedAt > backoff.maxMs) failuresInARow = 0;
        const delay = backoffDelay(backoff, failuresInARow++);
        report(error, { group, recovery: 'transport', retryInMs: delay });
        await current.then((run) => run.stop()).catch(() => {});
        await pause(delay);
        if (stopping) return;
        startedAt = Date.now();
        current = start(crashed, false);
        await current.catch((startError: unknown) => {
          failure ??= { error: startError };
        });
      }
    } finally {
      replacing = false; // in the same turn as the last check of `failure`
    }
  };

  const crashed: CrashListener = (error, restart) => {
    if (stopping) return;
    if (restart) {
      report(error, { group, recovery: 'client' });
      return;
    }
    failure ??= { error };
    if (!replacing) replacement = replaceWhileFailing();
  };

  current = start(crashed, true);
  await current;

  let stopped: Promise<void> | undefined;
  return {
    stop() {
      stopped ??= (async () => {
        stopping = true;
        wake?.();
        await replacement;
        await current.then((run) => run.stop()).catch(() => {});
      })();
      return stopped;
    },
  };
}

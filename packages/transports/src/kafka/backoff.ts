/**
 * How long the Kafka transport waits after a failure: the pause of a partition whose batch
 * handler failed, and the wait before a consumer the client gave up on is replaced.
 */
export interface RetryBackoff {
  /** Wait after the first failure (default 250 ms); doubles with each further failure. */
  initialMs?: number;
  /** Longest wait (default 10 s). */
  maxMs?: number;
}

const DEFAULT_INITIAL_MS = 250;
const DEFAULT_MAX_MS = 10_000;

/** `backoff` with its defaults filled in. */
export function resolveBackoff(backoff: RetryBackoff | undefined): Required<RetryBackoff> {
  return {
    initialMs: backoff?.initialMs ?? DEFAULT_INITIAL_MS,
    maxMs: backoff?.maxMs ?? DEFAULT_MAX_MS,
  };
}

/**
 * The wait after `failuresSoFar` earlier failures in a row: `initialMs` doubled per failure,
 * at most `maxMs`, then jittered to between half and all of it.
 */
export function backoffDelay(backoff: Required<RetryBackoff>, failuresSoFar: number): number {
  const ceiling = Math.min(backoff.maxMs, backoff.initialMs * 2 ** failuresSoFar);
  return ceiling * (0.5 + Math.random() / 2);
}

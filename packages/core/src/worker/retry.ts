/** Retries of a failing sink (or dead-letter queue) within one batch. */
export interface SinkRetryOptions {
  /** Attempts in all, the first included. Default 5. */
  attempts?: number;
  /** Cap of the delay before the first retry; doubles per attempt. Default 100 ms. */
  initialDelayMs?: number;
  /** Largest cap. Default 5,000 ms. Each delay is random between 0 and the cap (full jitter). */
  maxDelayMs?: number;
}

/** Five attempts, delays capped at 100, 200, 400 and 800 ms (full jitter), at most 5 s. */
export const DEFAULT_SINK_RETRY: Required<SinkRetryOptions> = {
  attempts: 5,
  initialDelayMs: 100,
  maxDelayMs: 5_000,
};

/** Completes `options` with {@link DEFAULT_SINK_RETRY}; throws a `RangeError` for nonsense. */
export function sinkRetryPolicy(options: SinkRetryOptions = {}): Required<SinkRetryOptions> {
  const policy = { ...DEFAULT_SINK_RETRY, ...options };
  if (!Number.isInteger(policy.attempts) || policy.attempts < 1) {
    throw new RangeError(`retry.attempts must be a positive integer, got ${policy.attempts}`);
  }
  for (const key of ['initialDelayMs', 'maxDelayMs'] as const) {
    if (!(policy[key] >= 0)) throw new RangeError(`retry.${key} must be >= 0, got ${policy[key]}`);
  }
  return policy;
}

/** Hooks of {@link retryWithBackoff}. */
export interface RetryHooks {
  /** Whether an error is worth another attempt; default: every error is. */
  retryable?: (error: unknown) => boolean;
  /** Told about every failed attempt (numbered from 1) before the wait or the rethrow. */
  onFailure?: (error: unknown, attempt: number) => void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `task` until it succeeds, fails with an error that is not retryable, or the
 * attempts are used up (then the last error is rethrown). Between attempts it waits a
 * random time between 0 and a cap that starts at `initialDelayMs` and doubles up to
 * `maxDelayMs` (exponential backoff with full jitter).
 */
export async function retryWithBackoff<T>(
  task: () => Promise<T>,
  policy: Required<SinkRetryOptions>,
  hooks: RetryHooks = {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await task();
    } catch (error) {
      hooks.onFailure?.(error, attempt);
      if (attempt >= policy.attempts || hooks.retryable?.(error) === false) throw error;
      const cap = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1));
      await sleep(Math.random() * cap);
    }
  }
}

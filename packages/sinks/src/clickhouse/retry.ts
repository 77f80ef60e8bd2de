import { setTimeout as sleep } from 'node:timers/promises';
import type { SinkRetryOptions } from '@linkpulse/core';
import { ClickHouseSinkError, isTransientError } from './errors.js';

/** A {@link SinkRetryOptions} with every field set. */
export type RetryPolicy = Required<SinkRetryOptions>;

/** Five attempts, delays capped at 100 ms, 200 ms, 400 ms, 800 ms (full jitter), at most 5 s. */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, initialDelayMs: 100, maxDelayMs: 5_000 };

/** Completes `options` with {@link DEFAULT_RETRY}; throws a `RangeError` for nonsense. */
export function retryPolicy(options: SinkRetryOptions = {}): RetryPolicy {
  const policy = { ...DEFAULT_RETRY, ...options };
  if (!Number.isInteger(policy.attempts) || policy.attempts < 1) {
    throw new RangeError(`retry.attempts must be a positive integer, got ${policy.attempts}`);
  }
  for (const key of ['initialDelayMs', 'maxDelayMs'] as const) {
    if (!(policy[key] >= 0)) throw new RangeError(`retry.${key} must be >= 0, got ${policy[key]}`);
  }
  return policy;
}

/**
 * Runs `task` until it succeeds, a permanent error occurs or the attempts are used up,
 * waiting a random time between 0 and an exponentially growing cap between attempts.
 * Failures are rethrown as {@link ClickHouseSinkError} (its `cause` is the last error).
 */
export async function withRetry<T>(
  what: string,
  policy: RetryPolicy,
  task: () => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await task();
    } catch (error) {
      const transient = isTransientError(error);
      if (!transient || attempt >= policy.attempts) {
        const detail = error instanceof Error ? error.message : String(error);
        const tries = transient ? ` after ${attempt} attempts` : '';
        throw new ClickHouseSinkError(`ClickHouse ${what} failed${tries}: ${detail}`, {
          permanent: !transient,
          cause: error,
        });
      }
      const cap = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1));
      await sleep(Math.random() * cap);
    }
  }
}

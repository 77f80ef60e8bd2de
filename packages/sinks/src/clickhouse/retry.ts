import { retryWithBackoff, type SinkRetryOptions } from '@linkpulse/core';
import { ClickHouseSinkError, isTransientError } from './errors.js';

/**
 * Runs `task` with core's backoff (`retryWithBackoff`), retrying only transient
 * ClickHouse errors. The final failure is rethrown as a {@link ClickHouseSinkError}
 * (`permanent` when the error was not transient; `cause` is the last error).
 */
export async function withRetry<T>(
  what: string,
  policy: Required<SinkRetryOptions>,
  task: () => Promise<T>,
): Promise<T> {
  let attempts = 0;
  try {
    return await retryWithBackoff(task, policy, {
      retryable: isTransientError,
      onFailure: (_error, attempt) => {
        attempts = attempt;
      },
    });
  } catch (error) {
    const transient = isTransientError(error);
    const detail = error instanceof Error ? error.message : String(error);
    const tries = transient ? ` after ${attempts} attempts` : '';
    throw new ClickHouseSinkError(`ClickHouse ${what} failed${tries}: ${detail}`, {
      permanent: !transient,
      cause: error,
    });
  }
}

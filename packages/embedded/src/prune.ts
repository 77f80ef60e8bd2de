import type { SqliteSink } from '@linkpulse/sinks/sqlite';

/**
 * Runs `sink.prune()` every `intervalMs` (not at all when it is 0), telling `onError` about
 * failed runs (the next run tries again). The timer does not keep the process or thread
 * alive. Returns the function that stops it.
 */
export function schedulePrune(
  sink: SqliteSink,
  intervalMs: number,
  onError: ((error: unknown) => void) | undefined,
): () => void {
  if (intervalMs <= 0) return () => {};
  const timer = setInterval(() => {
    try {
      sink.prune();
    } catch (error) {
      onError?.(error);
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

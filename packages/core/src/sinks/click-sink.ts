import type { EnrichedClick } from '../clicks/click-event.js';

/**
 * Where enriched clicks land. `write` must be idempotent by event id: the pipeline
 * delivers at least once, and a redelivered batch must not change any count.
 * Every driver runs `describeClickSink` from `@linkpulse/core/testing`.
 */
export interface ClickSink {
  /** Writes the batch; rejects when nothing or not everything was durably written. */
  write(batch: readonly EnrichedClick[]): Promise<void>;
  /** Releases connections and handles. */
  close(): Promise<void>;
}

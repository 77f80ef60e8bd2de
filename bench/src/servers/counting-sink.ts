import type { ClickSink, EnrichedClick } from '@linkpulse/core';

/**
 * A sink that only counts: the redirect scenario measures the request path and the
 * pipeline up to the sink; storage is measured by the pipeline scenario.
 */
export class CountingSink implements ClickSink {
  written = 0;
  async write(batch: readonly EnrichedClick[]): Promise<void> {
    this.written += batch.length;
  }
  async close(): Promise<void> {}
}

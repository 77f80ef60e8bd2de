import type { EnrichedClick } from '../clicks/click-event.js';
import type { ClickSink } from './click-sink.js';
import type { LinkStats, StatsQuery, StatsReader } from './stats.js';
import {
  type BucketRow,
  bucketStart,
  buildLinkStats,
  dimensionValue,
  normalizeStatsQuery,
  STATS_DIMENSIONS,
  type TopRow,
} from './stats-builder.js';

interface MemoryBucket {
  clicks: number;
  bots: number;
  visitors: Set<string>;
}

/**
 * Keeps every click in memory and answers stats from them: for tests, demos and the
 * zero-configuration shortener. Idempotent by event id. Nothing is ever pruned, so a
 * long-running process should use a durable sink.
 */
export class MemorySink implements ClickSink, StatsReader {
  readonly #ids = new Set<string>();
  readonly #byCode = new Map<string, EnrichedClick[]>();

  /** Stores the clicks whose id it has not seen yet. */
  async write(batch: readonly EnrichedClick[]): Promise<void> {
    for (const click of batch) {
      if (this.#ids.has(click.id)) continue;
      this.#ids.add(click.id);
      let clicks = this.#byCode.get(click.code);
      if (clicks === undefined) {
        clicks = [];
        this.#byCode.set(click.code, clicks);
      }
      clicks.push(click);
    }
  }

  /** Stats of `code` over the query's range (see `normalizeStatsQuery` for the range rules). */
  async stats(code: string, query: StatsQuery): Promise<LinkStats> {
    const range = normalizeStatsQuery(query);
    const from = range.from.getTime();
    const to = range.to.getTime();
    const buckets = new Map<number, MemoryBucket>();
    const visitors = new Set<string>();
    const top: TopRow[] = [];
    for (const click of this.#byCode.get(code) ?? []) {
      if (click.ts < from || click.ts >= to) continue;
      const start = bucketStart(click.ts, range.interval);
      let bucket = buckets.get(start);
      if (bucket === undefined) {
        bucket = { clicks: 0, bots: 0, visitors: new Set() };
        buckets.set(start, bucket);
      }
      if (click.bot) {
        bucket.bots += 1;
        continue;
      }
      bucket.clicks += 1;
      bucket.visitors.add(click.visitorId);
      visitors.add(click.visitorId);
      for (const dimension of STATS_DIMENSIONS) {
        const value = dimensionValue(click, dimension);
        if (value !== null) top.push({ dimension, value, clicks: 1 });
      }
    }
    const series: BucketRow[] = [...buckets].map(([start, b]) => ({
      bucket: start,
      clicks: b.clicks,
      unique: b.visitors.size,
      bots: b.bots,
    }));
    return buildLinkStats(code, range, { series, unique: visitors.size, top });
  }

  /** Nothing to release. */
  async close(): Promise<void> {}
}

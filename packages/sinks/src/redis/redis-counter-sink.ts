import {
  type BucketRow,
  bucketStart,
  buildLinkStats,
  type ClickSink,
  dimensionValue,
  type EnrichedClick,
  type LinkStats,
  normalizeStatsQuery,
  STATS_DIMENSIONS,
  type StatsQuery,
  type StatsReader,
  type TopRow,
} from '@linkpulse/core';
import type { Cluster, Redis } from 'ioredis';
import { CounterKeys, WRITE_SCRIPT } from './counter-layout.js';

/** Options of {@link RedisCounterSink}. */
export interface RedisCounterSinkOptions {
  /**
   * The client: standalone, Sentinel or a `Cluster` (keys are sharded across the masters
   * by link code). It stays the caller's.
   */
  redis: Redis | Cluster;
  /**
   * Prefix of every key, after the client's own `keyPrefix` if it has one. Default `lp:`.
   * On a Cluster, leave hash tags (`{…}`) out of both:
   * a tag in the prefix puts every counter in one slot, on one master.
   */
  prefix?: string;
  /** Days the hourly and daily buckets are kept after they end. Default 90. */
  hourlyTtlDays?: number;
  /** How long an event id is remembered to skip redeliveries. Default 7 days. */
  dedupeTtlSeconds?: number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

interface CounterScripts {
  /**
   * One array, not spread: ioredis flattens it, and a batch of some 12,000 events is
   * more arguments than a JavaScript call can spread (`RangeError`).
   */
  linkpulseCountClicks(args: (string | number)[]): Promise<number>;
}

/**
 * Near-real-time click counters in Redis, a {@link ClickSink} and its
 * {@link StatsReader}: what a stats API reads for "clicks so far", a moment after the
 * redirect. A batch is written by a Lua script (atomic): per event a dedupe marker
 * `seen:<id>` and, only when the marker was not there, the hourly counters (human and
 * bot), HyperLogLogs of visitors per hour and per day and sorted sets per top dimension
 * per hour and per day, so redelivered events change nothing. Key layout:
 * `counter-layout.ts`.
 *
 * Every key of a code, its dedupe markers included, carries the code as a Redis Cluster
 * hash tag (`<prefix>{c:<code>}:…`), so a code's keys share one slot and the codes spread
 * over the masters. On a standalone server a batch is one script call (one round trip);
 * on a `Cluster` client it is one call per code of the batch, sent together (one round
 * trip per master, ioredis routes each call to the master of its code).
 *
 * A failed `write` is safe to retry with the same batch, and the retry counts every event
 * exactly once. Each call checks its markers and the types of the keys it will write
 * before writing anything, so a call fails either wholly (a key of the wrong type, a node
 * down) or after it ran wholly (a lost reply); a call that ran left the markers of its
 * events, which the retry skips (foreign data of the right type under a counter's key is
 * the one way left to fail half-way: see `counter-layout.ts`). On a Cluster some codes' calls can succeed while others
 * fail: `write` waits for all of them, then throws (the one error, or an
 * `AggregateError`), and the retry counts only what is missing. Markers last
 * `dedupeTtlSeconds`: a retry must come before that.
 *
 * `stats` reads whole days from the daily keys and the edges of a range from the hourly
 * ones, and sums hours into day and month buckets, so totals, series, bots and top lists
 * are exact for any range. Unique visitors are HyperLogLog estimates (PFCOUNT of several
 * keys merges them): 0.81 % standard error, and a count can be off by one even among a
 * dozen visitors. Buckets are kept `hourlyTtlDays` (events older than that are
 * skipped): this sink is the recent view; SQLite or ClickHouse keep the long history.
 */
export class RedisCounterSink implements ClickSink, StatsReader {
  readonly #redis: Redis | Cluster;
  readonly #scripts: CounterScripts;
  readonly #prefix: string;
  /** The prefix the script builds its keys with: the client's `keyPrefix`, then ours. */
  readonly #scriptPrefix: string;
  readonly #keepSeconds: number;
  readonly #dedupeTtlSeconds: number;

  constructor(options: RedisCounterSinkOptions) {
    this.#redis = options.redis;
    this.#prefix = options.prefix ?? 'lp:';
    // ioredis prefixes the keys of commands, not the names a script builds itself.
    this.#scriptPrefix = (options.redis.options.keyPrefix ?? '') + this.#prefix;
    const days = options.hourlyTtlDays ?? 90;
    this.#dedupeTtlSeconds = options.dedupeTtlSeconds ?? 7 * 86_400;
    if (!(Number.isSafeInteger(days) && days >= 1)) {
      throw new RangeError('hourlyTtlDays must be a positive integer');
    }
    if (!(Number.isSafeInteger(this.#dedupeTtlSeconds) && this.#dedupeTtlSeconds >= 1)) {
      throw new RangeError('dedupeTtlSeconds must be a positive integer');
    }
    this.#keepSeconds = days * 86_400;
    // No fixed number of keys: a call's first argument says how many follow.
    this.#redis.defineCommand('linkpulseCountClicks', { lua: WRITE_SCRIPT });
    this.#scripts = this.#redis as unknown as CounterScripts;
  }

  /**
   * Counts the events not seen before: one script call, or on a Cluster one per code
   * (all sent at once). Throws when a call failed, after all calls have settled.
   */
  async write(batch: readonly EnrichedClick[]): Promise<void> {
    if (batch.length === 0) return;
    if (!this.#redis.isCluster) {
      await this.#scripts.linkpulseCountClicks(this.#scriptArgs([], batch));
      return;
    }
    const byCode = new Map<string, EnrichedClick[]>();
    for (const click of batch) {
      const clicks = byCode.get(click.code);
      if (clicks === undefined) byCode.set(click.code, [click]);
      else clicks.push(click);
    }
    const settled = await Promise.allSettled(
      Array.from(byCode, ([code, clicks]) =>
        this.#scripts.linkpulseCountClicks(
          this.#scriptArgs([new CounterKeys(this.#prefix, code).days()], clicks),
        ),
      ),
    );
    const errors = settled.flatMap((result) =>
      result.status === 'rejected' ? [result.reason] : [],
    );
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) {
      throw new AggregateError(errors, `${errors.length} of ${settled.length} codes failed`);
    }
  }

  /** The script's arguments: the number of keys, the keys, then ARGV (counter-layout.ts). */
  #scriptArgs(keys: string[], clicks: readonly EnrichedClick[]): (string | number)[] {
    const args: (string | number)[] = [
      keys.length,
      ...keys,
      this.#scriptPrefix,
      this.#dedupeTtlSeconds,
      this.#keepSeconds,
      STATS_DIMENSIONS.length,
      ...STATS_DIMENSIONS,
    ];
    for (const click of clicks) {
      args.push(
        click.id,
        click.code,
        Math.floor(click.ts / HOUR_MS),
        click.visitorId,
        click.bot ? '1' : '0',
      );
      for (const dimension of STATS_DIMENSIONS) args.push(dimensionValue(click, dimension) ?? '');
    }
    return args;
  }

  /** Stats of `code` over the query's range, from the buckets still kept. */
  async stats(code: string, query: StatsQuery): Promise<LinkStats> {
    const range = normalizeStatsQuery(query);
    const from = range.from.getTime();
    const to = range.to.getTime();
    const keys = new CounterKeys(this.#prefix, code);
    const days = (
      await this.#redis.zrangebyscore(
        keys.days(),
        Math.floor(from / DAY_MS),
        Math.ceil(to / DAY_MS) - 1,
      )
    ).map(Number);
    if (days.length === 0) return buildLinkStats(code, range, { series: [], unique: 0, top: [] });

    // The range as few spans as possible: whole days, and the hours of partly covered days.
    const spans: string[] = [];
    for (const day of days) {
      const start = day * DAY_MS;
      if (start >= from && start + DAY_MS <= to) spans.push(`d:${day}`);
      else {
        for (let t = Math.max(from, start); t < Math.min(to, start + DAY_MS); t += HOUR_MS) {
          spans.push(`h:${t / HOUR_MS}`);
        }
      }
    }
    const buckets = this.#seriesBuckets(days, range, keys);

    // Sent together without waiting for each other: one round trip of latency. Every key
    // is one of this code's, so the multi-key PFCOUNT and ZUNION stay within one slot.
    const redis = this.#redis;
    const replies: unknown[] = await Promise.all([
      ...days.map((day) => redis.hgetall(keys.clicks(day))),
      ...buckets.map((bucket) => redis.pfcount(...bucket.visitorKeys)),
      redis.pfcount(...spans.map((span) => keys.visitors(span))),
      ...STATS_DIMENSIONS.map((dimension) =>
        redis.zunion(spans.length, ...spans.map((span) => keys.top(dimension, span)), 'WITHSCORES'),
      ),
    ]);

    const rows = new Map<number, BucketRow>();
    const rowOf = (bucket: number) => {
      let row = rows.get(bucket);
      if (row === undefined) {
        row = { bucket, clicks: 0, unique: 0, bots: 0 };
        rows.set(bucket, row);
      }
      return row;
    };
    days.forEach((day, i) => {
      for (const [field, count] of Object.entries(replies[i] as Record<string, string>)) {
        const bot = field.startsWith('b');
        const t = day * DAY_MS + Number(bot ? field.slice(1) : field) * HOUR_MS;
        if (t < from || t >= to) continue;
        const row = rowOf(bucketStart(t, range.interval));
        if (bot) row.bots += Number(count);
        else row.clicks += Number(count);
      }
    });
    let next = days.length;
    for (const bucket of buckets) rowOf(bucket.start).unique = replies[next++] as number;
    const unique = replies[next++] as number;
    const top: TopRow[] = [];
    for (const dimension of STATS_DIMENSIONS) {
      const flat = replies[next++] as string[];
      for (let i = 0; i + 1 < flat.length; i += 2) {
        top.push({ dimension, value: flat[i]!, clicks: Number(flat[i + 1]) });
      }
    }
    return buildLinkStats(code, range, { series: rows.values(), unique, top });
  }

  /** Nothing to release: the client is the caller's. */
  async close(): Promise<void> {}

  /** Each series bucket that may have data, with the HyperLogLogs that make it up. */
  #seriesBuckets(
    days: readonly number[],
    range: StatsQuery,
    keys: CounterKeys,
  ): { start: number; visitorKeys: string[] }[] {
    const from = range.from.getTime();
    const to = range.to.getTime();
    if (range.interval === 'hour') {
      return days.flatMap((day) => {
        const hours: { start: number; visitorKeys: string[] }[] = [];
        const start = day * DAY_MS;
        for (let t = Math.max(from, start); t < Math.min(to, start + DAY_MS); t += HOUR_MS) {
          hours.push({ start: t, visitorKeys: [keys.visitors(`h:${t / HOUR_MS}`)] });
        }
        return hours;
      });
    }
    // Day and month buckets are whole days (the range is widened to whole buckets).
    const buckets = new Map<number, string[]>();
    for (const day of days) {
      const start = bucketStart(day * DAY_MS, range.interval);
      buckets.set(start, [...(buckets.get(start) ?? []), keys.visitors(`d:${day}`)]);
    }
    return [...buckets].map(([start, visitorKeys]) => ({ start, visitorKeys }));
  }
}

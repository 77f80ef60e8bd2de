import type { BatchHandler, Subscription } from '@linkpulse/core';
import type { KafkaAdminClient, KafkaIncomingMessage } from './client.js';

/** Options of `KafkaTransport.replay`. */
export interface ReplayOptions {
  /**
   * Where to start: `'earliest'` (everything the topic still holds) or a time in
   * milliseconds since the epoch (clicks whose timestamp is at or after it).
   */
  from: number | 'earliest';
  /** Receives the old records, as a worker's handler would. */
  handler: BatchHandler;
  /** Consumer group of the replay (default: a fresh one, so no running group is disturbed). */
  group?: string;
  /** Stop once caught up (default `true`); `false` keeps following new records. */
  untilCaughtUp?: boolean;
}

/** A replay that has caught up with the log as it was when it started. */
export interface ReplayResult extends Subscription {
  /** The consumer group that read the log. */
  readonly group: string;
  /** Records handed to the handler until it caught up. */
  readonly replayed: number;
}

/** Where a replay starts in each partition and where it counts as caught up. */
export interface ReplayPlan {
  /** Start offset of every partition (the group's committed offsets do not matter). */
  seeks: Array<{ partition: number; offset: string }>;
  /** Partition → high watermark captured at start, for partitions with something to read. */
  targets: Map<number, bigint>;
  /** Messages older than `from` are skipped (their timestamps need not be monotonic). */
  accept?: (message: KafkaIncomingMessage) => boolean;
}

/**
 * Reads the high watermarks and, for a timestamp, the first offsets at or after it. Both
 * are ListOffsets requests to partition leaders, never routed to the controller. Brokers
 * that cannot look offsets up by time (librdkafka's mock answers -1, which kafkajs turns
 * into the high watermark) make a timestamp replay read nothing.
 */
export async function planReplay(
  admin: KafkaAdminClient,
  topic: string,
  from: ReplayOptions['from'],
): Promise<ReplayPlan> {
  const watermarks = await admin.fetchTopicOffsets(topic);
  const starts =
    from === 'earliest'
      ? watermarks.map(({ partition, low }) => ({ partition, offset: low }))
      : await admin.fetchTopicOffsetsByTimestamp(topic, from);
  const seeks: ReplayPlan['seeks'] = [];
  const targets = new Map<number, bigint>();
  for (const { partition, high } of watermarks) {
    const offset = starts.find((entry) => entry.partition === partition)?.offset ?? high;
    seeks.push({ partition, offset });
    if (BigInt(offset) < BigInt(high)) targets.set(partition, BigInt(high));
  }
  if (from === 'earliest') return { seeks, targets };
  return { seeks, targets, accept: (message) => Number(message.timestamp) >= from };
}

/**
 * Counts handled records and tells when every partition of the plan has been read up to its
 * target. `caughtUp` settles at once when there was nothing to read.
 */
export function progressTracker(targets: ReadonlyMap<number, bigint>) {
  const pending = new Set(targets.keys());
  let replayed = 0;
  let markCaughtUp!: () => void;
  const caughtUp = new Promise<void>((resolve) => {
    markCaughtUp = resolve;
  });
  if (pending.size === 0) markCaughtUp();
  return {
    caughtUp,
    get replayed() {
      return replayed;
    },
    handled(partition: number, lastOffset: string, records: number) {
      if (pending.size === 0) return;
      replayed += records;
      const target = targets.get(partition);
      if (target !== undefined && BigInt(lastOffset) + 1n >= target) pending.delete(partition);
      if (pending.size === 0) markCaughtUp();
    },
  };
}

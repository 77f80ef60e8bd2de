import type { BatchHandler } from '@linkpulse/core';
import { AheadLedger, type AheadLedgerOptions } from './ahead-ledger.js';
import { backoffDelay, type RetryBackoff } from './backoff.js';
import type {
  KafkaConsumerClient,
  KafkaConsumerEvents,
  KafkaEachBatchPayload,
  KafkaIncomingMessage,
} from './client.js';
import { consumerEvents, type KafkaFlavor, runConfig } from './client-config.js';
import { clickRecords } from './messages.js';

/**
 * Told when the client reports that the consumer crashed; `restart` says whether the
 * client restarts it itself (kafkajs does for retriable errors) or gave up on it.
 */
export type CrashListener = (error: unknown, restart: boolean) => void;

/** How {@link runBatches} drives a subscribed consumer. */
export interface BatchRunOptions {
  consumer: KafkaConsumerClient;
  /** The topic the consumer is subscribed to. */
  topic: string;
  flavor: KafkaFlavor;
  handler: BatchHandler;
  /** Partitions whose batches go to `handler` at the same time (each partition in order). */
  partitionsConsumedConcurrently: number;
  /**
   * 0: a partition's next batch is fetched once its batch in hand was handled. Above 0:
   * fetching goes on while batches are handled, up to this many handed out and unhandled
   * (across partitions), with offsets committed in order by an {@link AheadLedger}.
   */
  fetchAhead: number;
  backoff: Required<RetryBackoff>;
  /** Only these messages reach the handler; the others are skipped (and resolved). */
  accept?: (message: KafkaIncomingMessage) => boolean;
  /** Where to start reading, per partition, instead of the group's committed offsets. */
  seeks?: ReadonlyArray<{ partition: number; offset: string }>;
  /** Told after a batch was handled and its offsets resolved, with its record count. */
  onHandled?: (partition: number, lastOffset: string, records: number) => void;
  /** Told about crashes the client reports (clients without instrumentation events report none). */
  onCrash: CrashListener;
}

/**
 * A running consumer; {@link BatchRun.stop} waits for the batches in hand (and, fetching
 * ahead, commits what they allow).
 */
export interface BatchRun {
  stop(): Promise<void>;
}

/** kafkajs throttles heartbeats to its `heartbeatInterval`; asking more often is cheap. */
const HEARTBEAT_EVERY_MS = 1_000;

/**
 * Runs `consumer` with `eachBatch` and manual offset resolution: a batch's offsets are
 * resolved and committed only after `handler` resolved. Batches of up to
 * `partitionsConsumedConcurrently` partitions are handled at the same time; a partition's
 * next batch waits for the one before. With `fetchAhead`, fetching goes on while batches
 * are handled instead (up to `fetchAhead` unhandled), and each partition's offsets are
 * committed up to its oldest batch still in hand. When the handler rejects, nothing is
 * resolved: the partition is paused, rewound to the batch's first offset and resumed after
 * a growing backoff, so a failing sink slows consumption down instead of crash-looping it,
 * and the batch comes again (with `redeliveries` counting up); batches of the partition
 * fetched ahead of it come again too. Heartbeats continue while the handler runs, and while
 * a fetch-ahead run waits for room. Crashes the client reports go to `onCrash` (until `stop`). Resolves once
 * the consumer joined its group, or once the client reported that it could not.
 */
export async function runBatches(options: BatchRunOptions): Promise<BatchRun> {
  const { consumer, topic, handler, accept, onHandled, onCrash } = options;
  /** Per partition: the first offset of the batch that failed, and how often it did. */
  const failures = new Map<number, { offset: string; count: number }>();
  const resumeTimers = new Set<NodeJS.Timeout>();

  let stopping = false;
  const backOff = (partition: number, offset: string, failuresSoFar: number) => {
    if (stopping) return; // the next member of the group starts at the committed offset
    const target = [{ topic, partitions: [partition] }];
    consumer.pause(target);
    consumer.seek({ topic, partition, offset });
    const timer = setTimeout(
      () => {
        resumeTimers.delete(timer);
        // Throws while kafkajs restarts a crashed consumer; the restart reads from the
        // committed offsets anyway, which are before the failed batch.
        ignoreErrors(() => consumer.resume(target));
      },
      backoffDelay(options.backoff, failuresSoFar),
    );
    resumeTimers.add(timer);
  };
  const failed = (partition: number, first: string) => {
    const failure = failures.get(partition);
    const count = failure?.offset === first ? failure.count : 0;
    failures.set(partition, { offset: first, count: count + 1 });
    backOff(partition, first, count);
  };
  const handled = (partition: number, first: string, last: string, records: number) => {
    if (failures.get(partition)?.offset === first) failures.delete(partition);
    onHandled?.(partition, last, records);
  };
  const ledger = options.fetchAhead > 0 ? aheadLedger(options, failed, handled) : undefined;

  const eachBatch = async (payload: KafkaEachBatchPayload) => {
    const { batch } = payload;
    const first = batch.firstOffset();
    if (first === null || !payload.isRunning() || payload.isStale()) return;
    if (ledger) {
      // Checked and booked in one synchronous run, so the bound holds exactly.
      while (ledger.full) await whileHeartbeating(payload, () => ledger.room());
      if (stopping || payload.isStale()) return; // left for the group's next member / the rewind
    }
    const failure = failures.get(batch.partition);
    const redeliveries = failure?.offset === first ? failure.count : 0;
    const messages = accept ? batch.messages.filter(accept) : batch.messages;
    const records = clickRecords(messages);
    const handling = records.length > 0 ? handler({ records, redeliveries }) : Promise.resolve();
    const last = batch.lastOffset();
    if (ledger) {
      ledger.add(batch.partition, { first, last, records: records.length }, handling);
      payload.resolveOffset(last); // fetch on; the ledger commits once handled
      return;
    }
    try {
      await whileHeartbeating(payload, () => handling);
    } catch {
      failed(batch.partition, first);
      return;
    }
    payload.resolveOffset(last);
    await payload.commitOffsetsIfNecessary();
    handled(batch.partition, first, last, records.length);
  };

  // Before run(): kafkajs reports a failed first join as a crash, and run() still resolves.
  const events = consumerEvents(consumer, options.flavor);
  const unwatch = watchCrashes(consumer, events, (error, restart) => {
    if (!stopping) onCrash(error, restart);
  });
  // After a rebalance the group reads from its committed offsets: batches in hand no longer count.
  const unwatchJoins = ledger ? watchJoins(consumer, events, () => ledger.reset()) : () => {};
  const started = consumer.run(
    runConfig(options.flavor, eachBatch, options.partitionsConsumedConcurrently, !ledger),
  );
  // kafkajs keeps seeks made right after run() and applies them once partitions are assigned.
  for (const { partition, offset } of options.seeks ?? []) {
    consumer.seek({ topic, partition, offset });
  }
  try {
    await started;
  } catch (error) {
    unwatch();
    unwatchJoins();
    throw error;
  }

  let stopped: Promise<void> | undefined;
  return {
    stop() {
      stopped ??= (async () => {
        stopping = true;
        unwatch();
        for (const timer of resumeTimers) clearTimeout(timer);
        resumeTimers.clear();
        if (ledger) {
          // Stop fetching, then let the batches in hand finish and commit what they allow.
          ignoreErrors(() => consumer.pause([{ topic }]));
          await ledger.drain();
        }
        unwatchJoins();
        await consumer.disconnect();
      })();
      return stopped;
    },
  };
}

/** The ledger of a fetch-ahead run, committing through `options.consumer`. */
function aheadLedger(
  options: BatchRunOptions,
  onFailed: AheadLedgerOptions['onFailed'],
  onHandled: AheadLedgerOptions['onHandled'],
): AheadLedger {
  const { consumer, topic } = options;
  const commitOffsets = consumer.commitOffsets?.bind(consumer);
  if (commitOffsets === undefined) {
    throw new TypeError('fetchAhead needs a consumer with commitOffsets()');
  }
  return new AheadLedger({
    limit: options.fetchAhead,
    commit: (offsets) => commitOffsets(offsets.map((offset) => ({ topic, ...offset }))),
    onFailed,
    onHandled,
  });
}

/** Calls `listener` whenever the consumer (re)joins its group; returns the unsubscribe function. */
function watchJoins(
  consumer: KafkaConsumerClient,
  events: KafkaConsumerEvents | undefined,
  listener: () => void,
): () => void {
  const event = events?.GROUP_JOIN;
  if (event === undefined || !consumer.on) return () => {};
  return consumer.on(event, listener);
}

/** Subscribes `listener` to the client's crash reports; returns the unsubscribe function. */
function watchCrashes(
  consumer: KafkaConsumerClient,
  events: KafkaConsumerEvents | undefined,
  listener: CrashListener,
): () => void {
  const event = events?.CRASH;
  if (event === undefined || !consumer.on) return () => {};
  return consumer.on(event, ({ payload }) => listener(payload.error, payload.restart));
}

function ignoreErrors(action: () => void): void {
  try {
    action();
  } catch {}
}

async function whileHeartbeating<T>(
  payload: KafkaEachBatchPayload,
  work: () => Promise<T>,
): Promise<T> {
  // A failed heartbeat (say, a rebalance started) is the runner's business after the batch.
  const timer = setInterval(() => payload.heartbeat().catch(() => {}), HEARTBEAT_EVERY_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

import type { BatchHandler } from '@linkpulse/core';
import { backoffDelay, type RetryBackoff } from './backoff.js';
import type {
  KafkaBatch,
  KafkaConsumerClient,
  KafkaEachBatchPayload,
  KafkaIncomingMessage,
} from './client.js';
import { type KafkaFlavor, runConfig } from './client-config.js';
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

/** A running consumer; {@link BatchRun.stop} waits for the batch in hand. */
export interface BatchRun {
  stop(): Promise<void>;
}

/** kafkajs throttles heartbeats to its `heartbeatInterval`; asking more often is cheap. */
const HEARTBEAT_EVERY_MS = 1_000;

/**
 * Runs `consumer` with `eachBatch` and manual offset resolution: a batch's offsets are
 * resolved and committed only after `handler` resolved. Batches of up to
 * `partitionsConsumedConcurrently` partitions are handled at the same time; a partition's
 * next batch waits for the one before. When the handler rejects, nothing is resolved: the
 * partition is paused, rewound to the batch's first offset and resumed after a growing
 * backoff, so a failing sink slows consumption down instead of crash-looping it, and the
 * batch comes again (with `redeliveries` counting up). Heartbeats continue while the
 * handler runs. Crashes the client reports go to `onCrash` (until `stop`). Resolves once
 * the consumer joined its group, or once the client reported that it could not.
 */
export async function runBatches(options: BatchRunOptions): Promise<BatchRun> {
  const { consumer, handler, accept, onHandled, onCrash } = options;
  /** Per partition: the first offset of the batch that failed, and how often it did. */
  const failures = new Map<number, { offset: string; count: number }>();
  const resumeTimers = new Set<NodeJS.Timeout>();

  let stopping = false;
  const backOff = (batch: KafkaBatch, offset: string, failuresSoFar: number) => {
    if (stopping) return; // the next member of the group starts at the committed offset
    const target = [{ topic: batch.topic, partitions: [batch.partition] }];
    consumer.pause(target);
    consumer.seek({ topic: batch.topic, partition: batch.partition, offset });
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

  const eachBatch = async (payload: KafkaEachBatchPayload) => {
    const { batch } = payload;
    const first = batch.firstOffset();
    if (first === null || !payload.isRunning() || payload.isStale()) return;
    const failure = failures.get(batch.partition);
    const redeliveries = failure?.offset === first ? failure.count : 0;
    const messages = accept ? batch.messages.filter(accept) : batch.messages;
    const records = clickRecords(messages);
    try {
      if (records.length > 0) {
        await whileHeartbeating(payload, () => handler({ records, redeliveries }));
      }
    } catch {
      failures.set(batch.partition, { offset: first, count: redeliveries + 1 });
      backOff(batch, first, redeliveries);
      return;
    }
    failures.delete(batch.partition);
    const last = batch.lastOffset();
    payload.resolveOffset(last);
    await payload.commitOffsetsIfNecessary();
    onHandled?.(batch.partition, last, records.length);
  };

  // Before run(): kafkajs reports a failed first join as a crash, and run() still resolves.
  const unwatch = watchCrashes(consumer, (error, restart) => {
    if (!stopping) onCrash(error, restart);
  });
  const started = consumer.run(
    runConfig(options.flavor, eachBatch, options.partitionsConsumedConcurrently),
  );
  // kafkajs keeps seeks made right after run() and applies them once partitions are assigned.
  for (const { partition, offset } of options.seeks ?? []) {
    consumer.seek({ topic: options.topic, partition, offset });
  }
  try {
    await started;
  } catch (error) {
    unwatch();
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
        await consumer.disconnect();
      })();
      return stopped;
    },
  };
}

/** Subscribes `listener` to the client's crash reports; returns the unsubscribe function. */
function watchCrashes(consumer: KafkaConsumerClient, listener: CrashListener): () => void {
  const event = consumer.events?.CRASH;
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

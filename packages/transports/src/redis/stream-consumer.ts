import { setTimeout as sleep } from 'node:timers/promises';
import type { BatchHandler, Subscription } from '@linkpulse/core';
import type { Cluster, Redis } from 'ioredis';
import {
  parseAutoClaim,
  parseDeliveryCounts,
  parseReadGroup,
  type StreamEntry,
} from './stream-entries.js';

/** What one consumer needs to know; the transport fills it in from its options. */
export interface StreamConsumerSettings {
  /** Acknowledgements, XPENDING and dead letters go through this (shared) client. */
  redis: Redis | Cluster;
  stream: string;
  group: string;
  consumer: string;
  batchSize: number;
  blockMs: number;
  claimIdleMs: number;
  maxDeliveries: number;
  retryDelayMs: number;
  /** Moves entries to the dead-letter stream and acknowledges them, atomically. */
  deadLetter(entries: readonly StreamEntry[], reason: string): Promise<void>;
  /** Counts pending entries that were trimmed from the stream before anyone acknowledged them. */
  countLost(count: number): void;
  onError(error: unknown): void;
}

const MAX_RETRY_DELAY_MS = 30_000;
const ERROR_DELAY_MS = 100;
const MAX_ERROR_DELAY_MS = 2_000;
/** Entries a stopping consumer hands back at most (beyond that XAUTOCLAIM finds them later). */
const HAND_BACK_LIMIT = 10_000;

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** True for an ioredis `Cluster` client. */
export function isCluster(redis: Redis | Cluster): redis is Cluster {
  return redis.isCluster;
}

/**
 * A connection of its own for blocking reads: a `duplicate()` of the client whose reads
 * wait for a reconnect instead of failing at once, and never time out before BLOCK does.
 * A `Cluster`'s duplicate takes these in its own options and its nodes' `redisOptions`
 * (its `duplicate()` ignores plain overrides); it connects to a node on the first command
 * for that node's slots, so here only to the stream's master.
 */
function blockingConnection(redis: Redis | Cluster, blockMs: number): Redis | Cluster {
  const commandTimeout = blockMs + 10_000;
  if (!isCluster(redis)) return redis.duplicate({ enableOfflineQueue: true, commandTimeout });
  return redis.duplicate([], {
    enableOfflineQueue: true,
    // Its ready check (CLUSTER INFO) would leave a connection to a random node open.
    enableReadyCheck: false,
    redisOptions: { ...redis.options.redisOptions, commandTimeout },
  });
}

/** Creates the group at the start of the stream (and the stream), unless it exists. */
export async function ensureGroup(
  redis: Redis | Cluster,
  stream: string,
  group: string,
): Promise<void> {
  try {
    await redis.xgroup('CREATE', stream, group, '0', 'MKSTREAM');
  } catch (error) {
    if (!errorMessage(error).startsWith('BUSYGROUP')) throw error;
  }
}

/**
 * One member of a consumer group on a Redis stream. Its loop, on a dedicated connection
 * (blocking reads would stall every other command on a shared one):
 * 1. re-reads its own pending entries (id `0`) at start and after a failed batch;
 * 2. every `claimIdleMs / 2`, takes over entries idle for `claimIdleMs` in other
 *    members' pending lists (XAUTOCLAIM: members that died mid-batch);
 * 3. otherwise blocks up to `blockMs` for new entries (`>`).
 * Each batch goes to the handler; entries are acknowledged (XACK) only after it resolved.
 * Redelivered entries are checked against XPENDING delivery counts: those delivered more
 * than `maxDeliveries` times go to the dead-letter stream instead.
 */
export class StreamConsumer implements Subscription {
  readonly #settings: StreamConsumerSettings;
  readonly #handler: BatchHandler;
  readonly #blocking: Redis | Cluster;
  #stopping = false;
  /** Cuts a backoff short when the consumer stops. */
  readonly #stopSignal = new AbortController();
  #loop: Promise<void> = Promise.resolve();
  #stopped: Promise<void> | undefined;

  private constructor(handler: BatchHandler, settings: StreamConsumerSettings) {
    this.#handler = handler;
    this.#settings = settings;
    this.#blocking = blockingConnection(settings.redis, settings.blockMs);
    this.#blocking.on('error', () => {
      // Connection errors surface as rejected reads, reported by the loop.
    });
  }

  /** Creates the group if needed and starts consuming. */
  static async start(
    handler: BatchHandler,
    settings: StreamConsumerSettings,
  ): Promise<StreamConsumer> {
    await ensureGroup(settings.redis, settings.stream, settings.group);
    const consumer = new StreamConsumer(handler, settings);
    consumer.#loop = consumer.#run();
    return consumer;
  }

  /**
   * Stops reading, waits for the handler in progress and its acknowledgement, then makes
   * whatever this member still holds unacknowledged claimable at once by the group's
   * other members (or, holding nothing, removes the member from the group).
   */
  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      this.#stopping = true;
      this.#stopSignal.abort();
      // Interrupts a blocking read; a handler in progress acknowledges through the shared client.
      this.#blocking.disconnect();
      await this.#loop;
      await this.#handBack().catch((error: unknown) => this.#settings.onError(error));
    })();
    return this.#stopped;
  }

  async #run(): Promise<void> {
    const { claimIdleMs, retryDelayMs } = this.#settings;
    let ownPending = true;
    let claimCursor = '0-0';
    let nextClaimAt = 0;
    let rejections = 0;
    let errors = 0;
    while (!this.#stopping) {
      let delay: number;
      try {
        let entries: StreamEntry[];
        let fresh = false;
        if (ownPending) {
          entries = await this.#read('0');
          ownPending = entries.length > 0;
        } else if (Date.now() >= nextClaimAt) {
          const claimed = await this.#autoClaim(claimCursor);
          claimCursor = claimed.cursor;
          if (claimCursor === '0-0') nextClaimAt = Date.now() + claimIdleMs / 2;
          entries = claimed.entries;
        } else {
          entries = await this.#read('>');
          fresh = true;
        }
        errors = 0;
        if (entries.length === 0 || (await this.#process(entries, fresh))) {
          rejections = 0;
          continue;
        }
        // The handler rejected: the batch is re-read from the pending list after a backoff.
        ownPending = true;
        delay = Math.min(retryDelayMs * 2 ** rejections++, MAX_RETRY_DELAY_MS);
      } catch (error) {
        if (this.#stopping) return;
        this.#settings.onError(error);
        if (errorMessage(error).startsWith('NOGROUP')) {
          const { redis, stream, group } = this.#settings;
          await ensureGroup(redis, stream, group).catch(() => {});
        }
        // Redis errors (down, restarting): retry soon, whatever the handler backoff is, and
        // start over from the pending list (an acknowledgement may have failed).
        ownPending = true;
        delay = Math.min(ERROR_DELAY_MS * 2 ** errors++, MAX_ERROR_DELAY_MS);
      }
      if (this.#stopping) return;
      await sleep(delay, undefined, { signal: this.#stopSignal.signal }).catch(() => {});
    }
  }

  async #read(from: '0' | '>'): Promise<StreamEntry[]> {
    const { stream, group, consumer, batchSize, blockMs } = this.#settings;
    const block = from === '>' ? ['BLOCK', blockMs] : [];
    const reply = await this.#blocking.call(
      'XREADGROUP',
      'GROUP',
      group,
      consumer,
      'COUNT',
      batchSize,
      ...block,
      'STREAMS',
      stream,
      from,
    );
    return parseReadGroup(reply);
  }

  async #autoClaim(cursor: string): Promise<{ cursor: string; entries: StreamEntry[] }> {
    const { stream, group, consumer, batchSize, claimIdleMs } = this.#settings;
    const reply = parseAutoClaim(
      await this.#blocking.xautoclaim(
        stream,
        group,
        consumer,
        claimIdleMs,
        cursor,
        'COUNT',
        batchSize,
      ),
    );
    if (reply.deleted > 0) this.#settings.countLost(reply.deleted);
    return reply;
  }

  /** Hands the batch to the handler; `true` when it was acknowledged (or dead-lettered). */
  async #process(entries: StreamEntry[], fresh: boolean): Promise<boolean> {
    const { redis, stream, group, maxDeliveries } = this.#settings;
    const trimmed = entries.filter((entry) => entry.payload === null);
    if (trimmed.length > 0) {
      await redis.xack(stream, group, ...trimmed.map((entry) => entry.id));
      this.#settings.countLost(trimmed.length);
    }
    let live = entries.filter((entry) => entry.payload !== null);
    let redeliveries = 0;
    if (!fresh && live.length > 0) {
      const counts = await this.#deliveryCounts(live);
      const exhausted = live.filter((entry) => (counts.get(entry.id) ?? 1) > maxDeliveries);
      if (exhausted.length > 0) {
        await this.#settings.deadLetter(
          exhausted,
          `not acknowledged after ${maxDeliveries} deliveries`,
        );
        live = live.filter((entry) => !exhausted.includes(entry));
      }
      for (const entry of live) {
        redeliveries = Math.max(redeliveries, (counts.get(entry.id) ?? 1) - 1);
      }
    }
    if (live.length === 0) return true;
    try {
      await this.#handler({ records: live.map((entry) => entry.payload), redeliveries });
    } catch {
      // Left pending: re-read from this member's pending list after a backoff.
      return false;
    }
    await redis.xack(stream, group, ...live.map((entry) => entry.id));
    return true;
  }

  async #deliveryCounts(entries: readonly StreamEntry[]): Promise<Map<string, number>> {
    const { redis, stream, group, consumer, batchSize } = this.#settings;
    const first = entries[0]!.id;
    const last = entries[entries.length - 1]!.id;
    // Other entries of this member may lie within the id range: room for a batch of them.
    const count = entries.length + batchSize;
    return parseDeliveryCounts(await redis.xpending(stream, group, first, last, count, consumer));
  }

  async #handBack(): Promise<void> {
    const { redis, stream, group, consumer, claimIdleMs } = this.#settings;
    const pending = parseDeliveryCounts(
      await redis.xpending(stream, group, '-', '+', HAND_BACK_LIMIT, consumer),
    );
    if (pending.size === 0) {
      await redis.xgroup('DELCONSUMER', stream, group, consumer);
      return;
    }
    // Backdate the entries so the next XAUTOCLAIM of any member takes them over.
    await redis.call(
      'XCLAIM',
      stream,
      group,
      consumer,
      0,
      ...pending.keys(),
      'IDLE',
      claimIdleMs,
      'JUSTID',
    );
  }
}

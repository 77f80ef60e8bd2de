import { type InvalidationBus, LocalInvalidationBus } from '@linkpulse/core';
import type { Cluster, Redis } from 'ioredis';
import type { RedisClient } from './client.js';

/** Options of {@link RedisInvalidationBus}. */
export interface RedisInvalidationBusOptions {
  /** Publishes invalidations; it stays the caller's. */
  redis: RedisClient;
  /**
   * The connection that subscribes (a connection in subscriber mode can send nothing
   * else). By default a duplicate of `redis` (with the offline queue on, so it resubscribes
   * after an outage), which `close()` disconnects; one passed in stays the caller's.
   */
  subscriber?: RedisClient;
  /** Pub/sub channel (default `lp:invalidate`). */
  channel?: string;
}

/**
 * An {@link InvalidationBus} over Redis pub/sub: `publish` reaches every node's resolver
 * that subscribes to the same channel, typically within milliseconds. Pub/sub does not
 * queue: a node whose subscriber connection is down misses what is published meanwhile.
 * So whenever the connection is ready again the bus subscribes once more and, once Redis
 * confirmed it, tells its subscribers that codes may have been missed (`onMissed`): a
 * resolver then forgets every cached code, and asks the store again. While the
 * connection is down, the node serves its cached copies. With a `Cluster` client this
 * does not happen: ioredis moves a dropped subscription to another node by itself and
 * emits nothing, so such a gap goes unnoticed and cached copies stay until the
 * resolver's TTL.
 */
export class RedisInvalidationBus implements InvalidationBus {
  readonly #redis: RedisClient;
  readonly #subscriber: RedisClient;
  readonly #ownsSubscriber: boolean;
  readonly #channel: string;
  /** This node's listeners; messages from the channel are published to them. */
  readonly #local = new LocalInvalidationBus();
  readonly #subscribed: Promise<unknown>;
  readonly #onMessage = (channel: string, code: string) => {
    // A failing listener must neither stop the others nor break the connection.
    if (channel === this.#channel) this.#local.publish(code).catch(() => {});
  };
  /** Whether the subscriber connection closed since the subscription was last active. */
  #interrupted = false;
  readonly #onClose = () => {
    this.#interrupted = true;
  };
  // By `ready` ioredis has sent its own resubscription (autoResubscribe); a second
  // SUBSCRIBE is harmless, and its reply says that the subscription is active again: from
  // then on nothing is missed, and what was published before may have been.
  readonly #onReady = () => {
    if (!this.#interrupted) return;
    this.#subscriber.subscribe(this.#channel).then(
      () => {
        this.#interrupted = false;
        this.#local.missed();
      },
      () => {},
    );
  };

  constructor(options: RedisInvalidationBusOptions) {
    this.#redis = options.redis;
    this.#ownsSubscriber = options.subscriber === undefined;
    this.#subscriber = options.subscriber ?? duplicateForSubscribing(options.redis);
    this.#channel = options.channel ?? 'lp:invalidate';
    this.#subscriber.on('message', this.#onMessage);
    this.#subscriber.on('close', this.#onClose);
    this.#subscriber.on('ready', this.#onReady);
    this.#subscribed = this.#subscriber.subscribe(this.#channel);
    // Surfaced by ready(); until then a failed SUBSCRIBE must not be an unhandled rejection.
    this.#subscribed.catch(() => {});
  }

  /** Resolves once the subscription is active: from then on no publish is missed. */
  async ready(): Promise<void> {
    await this.#subscribed;
  }

  /** Announces on the channel that the link with `code` changed or is gone. */
  async publish(code: string): Promise<void> {
    await this.#redis.publish(this.#channel, code);
  }

  /**
   * Calls `listener` with every code published by any node, and `onMissed` whenever the
   * subscription was re-established after an interruption; returns the unsubscribe.
   */
  subscribe(listener: (code: string) => void, onMissed?: () => void): () => void {
    return this.#local.subscribe(listener, onMissed);
  }

  /** Stops listening; disconnects the subscriber connection if the bus created it. */
  async close(): Promise<void> {
    await this.#local.close();
    this.#subscriber.off('message', this.#onMessage);
    this.#subscriber.off('close', this.#onClose);
    this.#subscriber.off('ready', this.#onReady);
    if (this.#ownsSubscriber) {
      this.#subscriber.disconnect();
      return;
    }
    await this.#subscriber.unsubscribe(this.#channel).catch(() => {});
  }
}

/**
 * A new connection like `redis` for a long-lived subscription: it queues commands while
 * disconnected (so SUBSCRIBE waits for the connection instead of failing) and connects
 * right away, whatever the fail-fast options of `redis`.
 */
function duplicateForSubscribing(redis: RedisClient): RedisClient {
  const override = { enableOfflineQueue: true, lazyConnect: false };
  return redis.isCluster
    ? (redis as Cluster).duplicate(undefined, override)
    : (redis as Redis).duplicate(override);
}

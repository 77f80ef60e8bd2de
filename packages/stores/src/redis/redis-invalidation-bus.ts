import type { EventEmitter } from 'node:events';
import { type InvalidationBus, LocalInvalidationBus } from '@linkpulse/core';
import type { Cluster, Redis } from 'ioredis';
import type { RedisClient } from './client.js';
import { ClusterNodeSubscriber } from './cluster-node-subscriber.js';

/** What the bus needs of its subscriber connection: an ioredis client or a {@link ClusterNodeSubscriber}. */
interface SubscriberConnection extends Pick<EventEmitter, 'on' | 'off'> {
  subscribe(channel: string): Promise<unknown>;
  unsubscribe(channel: string): Promise<unknown>;
  disconnect(): void;
}

/** Options of {@link RedisInvalidationBus}. */
export interface RedisInvalidationBusOptions {
  /** Publishes invalidations; it stays the caller's. */
  redis: RedisClient;
  /**
   * The connection that subscribes (a connection in subscriber mode can send nothing
   * else). By default the bus opens its own, which `close()` disconnects: a duplicate of a
   * `Redis` client (with the offline queue on, so it resubscribes after an outage), or for a
   * `Cluster` client a connection to one of its nodes, replaced by one to the next node
   * when it drops. One passed in stays the caller's; a `Cluster` passed here moves its
   * subscription between nodes without telling, so a gap goes unnoticed (see the class).
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
 * connection is down, the node serves its cached copies. With a `Cluster` client the bus
 * subscribes through one plain connection to a node of the cluster (a `PUBLISH` reaches
 * the subscribers of every node) and, when that drops, through one to the next node, with
 * the same notice. (ioredis's own cluster subscription moves to another node without any
 * event, so a `Cluster` passed as `subscriber` leaves such a gap unnoticed, and cached
 * copies stay until the resolver's TTL.)
 */
export class RedisInvalidationBus implements InvalidationBus {
  readonly #redis: RedisClient;
  readonly #subscriber: SubscriberConnection;
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
    this.#subscriber = options.subscriber ?? subscriberFor(options.redis);
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
 * A new connection for a long-lived subscription. For a `Redis` client, a duplicate that
 * queues commands while disconnected (so SUBSCRIBE waits for the connection instead of
 * failing) and connects right away, whatever the fail-fast options of `redis`; for a
 * `Cluster`, a {@link ClusterNodeSubscriber}.
 */
function subscriberFor(redis: RedisClient): SubscriberConnection {
  return redis.isCluster
    ? new ClusterNodeSubscriber(redis as Cluster)
    : (redis as Redis).duplicate({ enableOfflineQueue: true, lazyConnect: false });
}

import { EventEmitter } from 'node:events';
import { type Cluster, Redis, type RedisOptions } from 'ioredis';

/** Longest wait between two attempts to connect to a node of the cluster. */
const MAX_RETRY_DELAY_MS = 2_000;
/** First wait after a connection ended; doubles while connecting keeps failing. */
const FIRST_RETRY_DELAY_MS = 50;

/**
 * A pub/sub subscription to a Redis Cluster that says when it was interrupted, for the
 * invalidation bus. In a cluster, `PUBLISH` reaches the subscribers of every node, so one
 * plain connection to any node is enough. ioredis's own cluster subscription moves to
 * another node silently when its connection drops; this one emits `close` when its
 * connection is lost and `ready` once a new one (to the same node or another, taken in
 * turn from the cluster's current nodes) has subscribed again to every channel, so the bus
 * can tell its listeners that messages may have been missed. Emits `message` like an
 * ioredis client. Offers the part of the ioredis client that the bus uses.
 */
export class ClusterNodeSubscriber extends EventEmitter {
  readonly #cluster: Cluster;
  readonly #channels = new Set<string>();
  #connection: Redis | undefined;
  #closed = false;
  #nodeTurn = 0;
  #failures = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  /** Callers of `subscribe` waiting for the next connection that subscribes to every channel. */
  #waiting: { resolve(): void; reject(error: Error): void }[] = [];

  constructor(cluster: Cluster) {
    super();
    this.#cluster = cluster;
    this.#connect();
  }

  /**
   * Subscribes to `channel` (now, or as soon as a connection is up); resolves once a
   * connection has confirmed it.
   */
  async subscribe(channel: string): Promise<void> {
    this.#channels.add(channel);
    const connection = this.#connection;
    if (connection?.status === 'ready') {
      try {
        await connection.subscribe(channel);
        return;
      } catch {
        // The connection ended meanwhile: the next one subscribes to every channel.
      }
    }
    await new Promise<void>((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  /** Stops receiving `channel`. */
  async unsubscribe(channel: string): Promise<void> {
    this.#channels.delete(channel);
    if (this.#connection?.status === 'ready') await this.#connection.unsubscribe(channel);
  }

  /** Closes the connection for good. */
  disconnect(): void {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    this.#connection?.disconnect();
    this.#connection = undefined;
    const error = new Error('the subscriber was disconnected');
    for (const waiter of this.#waiting.splice(0)) waiter.reject(error);
  }

  #connect(): void {
    const node = this.#nextNode();
    if (node === undefined) {
      // No node known yet: the cluster client has not connected. Try again after it has.
      if (this.#cluster.status === 'wait') this.#cluster.connect().catch(() => {});
      this.#retryLater();
      return;
    }
    const connection = new Redis({
      ...node,
      // A dropped connection is replaced by one to the next node rather than retried.
      retryStrategy: () => null,
      enableOfflineQueue: false,
      lazyConnect: false,
    });
    this.#connection = connection;
    connection.on('message', (channel: string, message: string) =>
      this.emit('message', channel, message),
    );
    connection.on('error', () => {});
    connection.once('ready', () => this.#subscribeAll(connection));
    connection.once('end', () => {
      if (this.#connection !== connection) return;
      this.#connection = undefined;
      this.emit('close');
      this.#retryLater();
    });
  }

  async #subscribeAll(connection: Redis): Promise<void> {
    try {
      if (this.#channels.size > 0) await connection.subscribe(...this.#channels);
    } catch {
      return; // It ended meanwhile; its `end` handler connects again.
    }
    if (this.#connection !== connection) return;
    this.#failures = 0;
    for (const waiter of this.#waiting.splice(0)) waiter.resolve();
    this.emit('ready');
  }

  #retryLater(): void {
    if (this.#closed) return;
    const delay = Math.min(MAX_RETRY_DELAY_MS, FIRST_RETRY_DELAY_MS * 2 ** this.#failures);
    this.#failures++;
    this.#retryTimer = setTimeout(() => this.#connect(), delay);
  }

  /** Connection options of the next of the cluster's current nodes, in turn. */
  #nextNode(): RedisOptions | undefined {
    const nodes = this.#cluster.nodes('all');
    if (nodes.length === 0) return undefined;
    const { host, port, family, username, password, tls, connectTimeout, connectionName } =
      nodes[this.#nodeTurn++ % nodes.length]!.options;
    return { host, port, family, username, password, tls, connectTimeout, connectionName };
  }
}

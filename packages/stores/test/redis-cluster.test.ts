import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { describeLinkStore } from '@linkpulse/core/testing';
import { RedisBlockAllocator, RedisInvalidationBus, RedisLinkStore } from '@linkpulse/stores/redis';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type RedisCluster, startRedisCluster } from '../../../tools/services/redis.js';
import { requireService } from '../../../tools/services/test-services.js';
import { expectDisjointBlocks } from './disjoint-blocks.js';

// Ports the harness's next freePort() calls return instead of free ones.
const { pickedPorts } = vi.hoisted(() => ({ pickedPorts: [] as number[] }));
vi.mock('../../../tools/services/free-port.js', async (importOriginal) => {
  const { freePort } =
    await importOriginal<typeof import('../../../tools/services/free-port.js')>();
  return { freePort: async (host?: string) => pickedPorts.shift() ?? freePort(host) };
});

// The global setup's redis-server tells whether the binary is here; the cluster is this
// file's own.
const url = requireService('redis');

describe.skipIf(!url)('Redis drivers on a Redis Cluster of three masters', () => {
  let cluster: RedisCluster | undefined;
  const clients: Cluster[] = [];
  const client = () => {
    const connection = new Cluster([...cluster!.nodes]);
    clients.push(connection);
    return connection;
  };

  beforeAll(async () => {
    cluster = await startRedisCluster(3);
  }, 60_000);
  afterAll(async () => {
    for (const connection of clients) connection.disconnect();
    await cluster?.stop();
  });

  // Keys of one store share a hash tag, so its multi-key scripts stay within one slot.
  describeLinkStore(
    'RedisLinkStore with a hash-tagged prefix',
    () => new RedisLinkStore({ redis: client(), prefix: `{t${randomUUID()}}:` }),
  );

  it('runs on three masters that share the keys (checks the harness)', async () => {
    const redis = client();
    for (let i = 0; i < 12; i++) {
      await redis.set(`{t${randomUUID()}}:link:c${i}`, 'x');
    }
    const keysPerMaster = await Promise.all(redis.nodes('master').map((node) => node.dbsize()));
    expect(keysPerMaster).toHaveLength(3);
    expect(keysPerMaster.filter((keys) => keys > 0).length).toBeGreaterThan(1);
  });

  it('starts a node on new ports when a port it picked was taken meanwhile (checks the harness)', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = taken.address() as { port: number };
      pickedPorts.push(port, port);
      const single = await startRedisCluster(1);
      await single.stop();
      expect(pickedPorts).toEqual([]);
    } finally {
      pickedPorts.length = 0;
      taken.close();
    }
  }, 60_000);

  it('keeps blocks from two clients disjoint', async () => {
    const key = `{t${randomUUID()}}:seq`;
    const allocators = [client(), client()].map((c) => new RedisBlockAllocator({ redis: c, key }));
    await expectDisjointBlocks(allocators, 100);
  });

  it('carries an invalidation between clients connected to the cluster within 1 s', async () => {
    const channel = `t:${randomUUID()}:invalidate`;
    const publisher = new RedisInvalidationBus({ redis: client(), channel });
    const receiver = new RedisInvalidationBus({ redis: client(), channel });
    await receiver.ready();
    const received: string[] = [];
    receiver.subscribe((code) => received.push(code));
    await publisher.publish('abc');
    await expect.poll(() => received, { timeout: 1_000, interval: 10 }).toEqual(['abc']);
    await publisher.close();
    await receiver.close();
  });

  /** A bus on `redis` whose subscribers record codes and missed-notices. */
  async function listeningBus(redis: Cluster, channel: string) {
    const bus = new RedisInvalidationBus({ redis, channel });
    await bus.ready();
    const received: string[] = [];
    let missed = 0;
    bus.subscribe(
      (code) => received.push(code),
      () => missed++,
    );
    return { bus, received, missed: () => missed };
  }

  it('tells its subscribers when its subscription was interrupted, and keeps receiving', async () => {
    const channel = `t:${randomUUID()}:invalidate`;
    const publisher = new RedisInvalidationBus({ redis: client(), channel });
    const receiver = await listeningBus(client(), channel);
    await publisher.publish('before');
    await expect.poll(() => receiver.received, { timeout: 1_000 }).toEqual(['before']);
    expect(receiver.missed()).toBe(0);

    // Drop every subscriber connection of the cluster, as a network fault would.
    for (const { port } of cluster!.nodes) {
      const admin = new Redis(port, '127.0.0.1');
      await admin.client('KILL', 'TYPE', 'pubsub');
      admin.disconnect();
    }
    await expect.poll(() => receiver.missed(), { timeout: 5_000, interval: 10 }).toBe(1);
    await publisher.publish('after');
    await expect.poll(() => receiver.received, { timeout: 1_000 }).toEqual(['before', 'after']);
    await publisher.close();
    await receiver.bus.close();
  });

  it('subscribes through a cluster client that has not connected yet', async () => {
    const channel = `t:${randomUUID()}:invalidate`;
    const lazy = new Cluster([...cluster!.nodes], { lazyConnect: true });
    clients.push(lazy);
    const receiver = await listeningBus(lazy, channel);
    const publisher = new RedisInvalidationBus({ redis: client(), channel });
    await publisher.publish('abc');
    await expect.poll(() => receiver.received, { timeout: 1_000 }).toEqual(['abc']);
    expect(receiver.missed()).toBe(0);
    await publisher.close();
    await receiver.bus.close();
  });

  it('moves its subscription to another node when its node dies, and says so', async () => {
    // A cluster of its own: the other tests need every master of the shared one.
    const own = await startRedisCluster(3);
    const redis = new Cluster([...own.nodes], { redisOptions: { connectionName: 'app-1' } });
    try {
      const channel = `t:${randomUUID()}:invalidate`;
      const receiver = await listeningBus(redis, channel);
      const subscribersOn = await Promise.all(
        own.nodes.map(async ({ port }) => {
          const admin = new Redis(port, '127.0.0.1');
          const list = await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub');
          admin.disconnect();
          const lines = String(list).trim().split('\n').filter(Boolean);
          // The subscriber carries the client's connection name, as its other connections do.
          for (const line of lines) expect(line).toContain(' name=app-1 ');
          return lines.length;
        }),
      );
      expect(subscribersOn.reduce((sum, count) => sum + count)).toBe(1);
      const dead = subscribersOn.indexOf(1);
      await own.servers[dead]!.kill();

      await expect.poll(() => receiver.missed(), { timeout: 10_000, interval: 20 }).toBe(1);
      // Published through a node that is still up: a cluster relays it to every node.
      const alive = new Redis(own.nodes[(dead + 1) % 3]!.port, '127.0.0.1');
      await alive.publish(channel, 'after');
      alive.disconnect();
      await expect.poll(() => receiver.received, { timeout: 1_000 }).toEqual(['after']);
      await receiver.bus.close();
    } finally {
      redis.disconnect();
      await own.stop();
    }
  }, 60_000);
});

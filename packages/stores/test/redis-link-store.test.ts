import { randomUUID } from 'node:crypto';
import { describeLinkStore } from '@linkpulse/core/testing';
import { RedisBlockAllocator, RedisInvalidationBus, RedisLinkStore } from '@linkpulse/stores/redis';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireService } from '../../../tools/services/test-services.js';
import { expectDisjointBlocks } from './disjoint-blocks.js';

const url = requireService('redis');

describe.skipIf(!url)('Redis drivers of @linkpulse/stores', () => {
  let redis: Redis;
  const clients: Redis[] = [];
  const client = () => {
    const connection = new Redis(url!);
    clients.push(connection);
    return connection;
  };

  beforeAll(() => {
    redis = client();
  });
  afterAll(() => {
    for (const connection of clients) connection.disconnect();
  });

  // A fresh prefix per store: an empty store without flushing what other files use.
  describeLinkStore(
    'RedisLinkStore',
    () => new RedisLinkStore({ redis, prefix: `t:${randomUUID()}:` }),
  );

  it('keeps blocks from two clients disjoint', async () => {
    const key = `t:${randomUUID()}:seq`;
    const allocators = [client(), client()].map((c) => new RedisBlockAllocator({ redis: c, key }));
    await expectDisjointBlocks(allocators, 200);
    await expect(allocators[0]!.allocate(0)).rejects.toThrow(RangeError);
  });

  it('carries an invalidation from one connection to a subscriber on another within 1 s', async () => {
    const channel = `t:${randomUUID()}:invalidate`;
    const publisher = new RedisInvalidationBus({ redis: client(), channel });
    const receiver = new RedisInvalidationBus({ redis: client(), channel });
    const witness = new RedisInvalidationBus({ redis: client(), channel });
    const other = new RedisInvalidationBus({ redis: client(), channel: `${channel}:other` });
    await Promise.all([receiver.ready(), witness.ready(), other.ready()]);
    const received: string[] = [];
    const witnessed: string[] = [];
    const unrelated: string[] = [];
    receiver.subscribe(() => {
      throw new Error('a failing listener does not stop the others');
    });
    receiver.subscribe((code) => received.push(code));
    witness.subscribe((code) => witnessed.push(code));
    other.subscribe((code) => unrelated.push(code));

    await publisher.publish('abc');
    await expect.poll(() => received, { timeout: 1_000, interval: 5 }).toEqual(['abc']);

    await receiver.close();
    await publisher.publish('after-close');
    await expect
      .poll(() => witnessed, { timeout: 1_000, interval: 5 })
      .toEqual(['abc', 'after-close']);
    expect(received).toEqual(['abc']);
    expect(unrelated).toEqual([]);
    await Promise.all([publisher.close(), witness.close(), other.close()]);
  });
});

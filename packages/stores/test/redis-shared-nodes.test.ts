import { randomUUID } from 'node:crypto';
import { createShortener, isLinkPulseError, type ShortenerHandle } from '@linkpulse/core';
import {
  FAIL_FAST_REDIS_OPTIONS,
  RedisInvalidationBus,
  RedisLinkStore,
} from '@linkpulse/stores/redis';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { startRedis } from '../../../tools/services/redis.js';
import { requireService } from '../../../tools/services/test-services.js';

const url = requireService('redis');

/** Outcome of `promise`, or `hung` when it has not settled after `ms`. */
function settleWithin<T>(promise: Promise<T>, ms: number): Promise<T | Error | 'hung'> {
  return Promise.race([
    promise.catch((error: unknown) => error as Error),
    new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), ms).unref()),
  ]);
}

describe.skipIf(!url)('app nodes sharing Redis', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** One app node: its own connections, store, bus and resolver cache. */
  async function node(redisUrl: string, prefix: string): Promise<ShortenerHandle> {
    const redis = new Redis(redisUrl, { ...FAIL_FAST_REDIS_OPTIONS, lazyConnect: true });
    await redis.connect();
    const bus = new RedisInvalidationBus({ redis, channel: `${prefix}invalidate` });
    await bus.ready();
    const shortener = await createShortener({
      store: new RedisLinkStore({ redis, prefix }),
      // A long cache TTL: only the bus can make a node forget a link in time.
      resolver: { bus, ttlMs: 600_000, negativeTtlMs: 600_000 },
    });
    cleanups.push(async () => {
      await shortener.close({ timeoutMs: 100 });
      await bus.close();
      redis.disconnect();
    });
    return shortener;
  }

  it('redirects on one node what another created; a PATCH or DELETE reaches the other within 1 s', async () => {
    const prefix = `t:${randomUUID()}:`;
    const [a, b] = [await node(url!, prefix), await node(url!, prefix)];

    const link = await a.shorten({ url: 'https://example.com/first' });
    expect(await b.resolve(link.code)).toMatchObject({
      status: 'found',
      link: { url: 'https://example.com/first' },
    });

    await a.update(link.code, { url: 'https://example.com/second' });
    await expect
      .poll(() => b.resolve(link.code), { timeout: 1_000, interval: 10 })
      .toMatchObject({ status: 'found', link: { url: 'https://example.com/second' } });

    await b.update(link.code, { disabled: true });
    await expect
      .poll(async () => (await a.resolve(link.code)).status, { timeout: 1_000, interval: 10 })
      .toBe('gone');

    await a.delete(link.code);
    await expect
      .poll(async () => (await b.resolve(link.code)).status, { timeout: 1_000, interval: 10 })
      .toBe('not_found');
  });

  it('forgets its cached links once its subscription is back after an interruption, and keeps receiving', async () => {
    // A server of its own: killing the pub/sub connections of the shared one would drop
    // those of the test files running alongside.
    const server = await startRedis();
    cleanups.push(() => server.stop());
    const prefix = `t:${randomUUID()}:`;
    const [a, b] = [await node(server.url, prefix), await node(server.url, prefix)];
    const link = await a.shorten({ url: 'https://example.com/first' });
    // Creating a link publishes its code too (to end cached misses): cache it on b once
    // that has arrived.
    await expect
      .poll(
        async () => {
          await b.resolve(link.code);
          await new Promise((resolve) => setTimeout(resolve, 50));
          return b.resolver.peek(link.code);
        },
        { timeout: 2_000 },
      )
      .toMatchObject({ url: 'https://example.com/first' });
    // Drop every subscriber connection, as a network fault would: what is published until
    // they are back never reaches them.
    const admin = new Redis(server.url);
    cleanups.push(() => admin.disconnect());
    await admin.client('KILL', 'TYPE', 'pubsub');
    await expect
      .poll(() => b.resolver.peek(link.code), { timeout: 5_000, interval: 10 })
      .toBeUndefined();
    await b.resolve(link.code);
    await a.update(link.code, { url: 'https://example.com/second' });
    await expect
      .poll(() => b.resolver.peek(link.code), { timeout: 1_000, interval: 10 })
      .toBeUndefined();
    expect(await b.resolve(link.code)).toMatchObject({
      link: { url: 'https://example.com/second' },
    });
  });

  it('keeps redirecting cached links while Redis is down; uncached ones fail fast with unavailable', async () => {
    const server = await startRedis({ appendonly: true });
    cleanups.push(() => server.stop());
    const app = await node(server.url, 'lp:');
    const cached = await app.shorten({ url: 'https://example.com/cached' });
    const uncached = await app.shorten({ url: 'https://example.com/uncached' });
    expect((await app.resolve(cached.code)).status).toBe('found');

    await server.kill();
    for (let i = 0; i < 3; i++) {
      expect(await settleWithin(app.resolve(cached.code), 2_000)).toMatchObject({
        status: 'found',
      });
    }
    const failure = await settleWithin(app.resolve(uncached.code), 2_000);
    expect(isLinkPulseError(failure, 'unavailable'), String(failure)).toBe(true);

    await server.restart();
    await expect
      .poll(async () => (await app.resolve(uncached.code).catch(() => null))?.status, {
        timeout: 10_000,
        interval: 100,
      })
      .toBe('found');
  });
});

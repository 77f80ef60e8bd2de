import {
  isLinkPulseError,
  type Link,
  LocalInvalidationBus,
  MemoryLinkStore,
  Resolver,
} from '@linkpulse/core';
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';

function link(code: string, url = `https://example.com/${code}`): Link {
  return {
    code,
    url,
    createdAt: new Date(1_700_000_000_000),
    expiresAt: null,
    maxClicks: null,
    clicksUsed: 0,
    disabled: false,
    redirectStatus: 302,
    tags: ['t'],
  };
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

async function reject(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

// lru-cache reads time from `performance.now()`; the tests move it by hand. The cache
// memoises the reading for 1 ms through a timer, so each move waits a few ms for it.
let now = 1_000_000;
async function advance(ms: number): Promise<void> {
  now += ms;
  await new Promise((resolve) => setTimeout(resolve, 5));
}

let store: MemoryLinkStore;
let get: MockInstance<MemoryLinkStore['get']>;

beforeEach(() => {
  vi.spyOn(performance, 'now').mockImplementation(() => now);
  store = new MemoryLinkStore();
  get = vi.spyOn(store, 'get');
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('Resolver', () => {
  it('serves a cached link without asking the store again', async () => {
    await store.create(link('abc'));
    const resolver = new Resolver(store);
    const first = await resolver.lookup('abc');
    const second = await resolver.lookup('abc');
    expect(first).toEqual(link('abc'));
    expect(second).toBe(first);
    expect(get).toHaveBeenCalledTimes(1);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first?.tags)).toBe(true);
  });

  it('remembers a miss', async () => {
    const resolver = new Resolver(store);
    expect(await resolver.lookup('missing')).toBeNull();
    expect(await resolver.lookup('missing')).toBeNull();
    expect(get).toHaveBeenCalledTimes(1);
  });

  it('asks the store once for 100 concurrent lookups of a missing code', async () => {
    const resolver = new Resolver(store);
    const results = await Promise.all(Array.from({ length: 100 }, () => resolver.lookup('nope')));
    expect(results.every((result) => result === null)).toBe(true);
    expect(get).toHaveBeenCalledTimes(1);
  });

  it('asks the store once for concurrent lookups of a slow, existing code', async () => {
    const answer = deferred<Link | null>();
    get.mockImplementation(() => answer.promise);
    const resolver = new Resolver(store);
    const lookups = Array.from({ length: 50 }, () => resolver.lookup('slow'));
    answer.resolve(link('slow'));
    const results = await Promise.all(lookups);
    expect(new Set(results).size).toBe(1);
    expect(results[0]?.url).toBe('https://example.com/slow');
    expect(get).toHaveBeenCalledTimes(1);
  });

  it('forgets a miss after the short negative TTL', async () => {
    const resolver = new Resolver(store, { negativeTtlMs: 5_000 });
    expect(await resolver.lookup('later')).toBeNull();
    await store.create(link('later'));
    await advance(4_900);
    expect(await resolver.lookup('later')).toBeNull();
    await advance(200);
    expect((await resolver.lookup('later'))?.code).toBe('later');
    expect(get).toHaveBeenCalledTimes(2);
  });

  it('reloads a found link after its TTL', async () => {
    await store.create(link('ttl'));
    const resolver = new Resolver(store, { ttlMs: 60_000 });
    await resolver.lookup('ttl');
    await store.update('ttl', { url: 'https://example.com/new' });
    await advance(59_000);
    expect((await resolver.lookup('ttl'))?.url).toBe('https://example.com/ttl');
    await advance(2_000);
    expect((await resolver.lookup('ttl'))?.url).toBe('https://example.com/new');
    expect(get).toHaveBeenCalledTimes(2);
  });

  it('drops a code on invalidate and everything on clear', async () => {
    await store.create(link('inv'));
    await store.create(link('other'));
    const resolver = new Resolver(store);
    await resolver.lookup('inv');
    await resolver.lookup('other');
    await store.update('inv', { url: 'https://example.com/changed' });
    await store.update('other', { url: 'https://example.com/changed-too' });
    resolver.invalidate('inv');
    expect((await resolver.lookup('inv'))?.url).toBe('https://example.com/changed');
    expect((await resolver.lookup('other'))?.url).toBe('https://example.com/other');
    resolver.clear();
    expect((await resolver.lookup('other'))?.url).toBe('https://example.com/changed-too');
  });

  it('does not cache a link fetched while its code was invalidated', async () => {
    const answer = deferred<Link | null>();
    get.mockImplementationOnce(() => answer.promise);
    await store.create(link('race', 'https://example.com/new'));
    const resolver = new Resolver(store);
    const inFlight = resolver.lookup('race');
    resolver.invalidate('race');
    answer.resolve(link('race', 'https://example.com/old'));
    expect((await inFlight)?.url).toBe('https://example.com/old');
    expect((await resolver.lookup('race'))?.url).toBe('https://example.com/new');
    expect(get).toHaveBeenCalledTimes(2);
  });

  it('invalidates every resolver subscribed to the bus, until it is closed', async () => {
    await store.create(link('bus'));
    const bus = new LocalInvalidationBus();
    const nodeA = new Resolver(store, { bus });
    const nodeB = new Resolver(store, { bus });
    await nodeA.lookup('bus');
    await nodeB.lookup('bus');
    await store.update('bus', { url: 'https://example.com/v2' });
    await bus.publish('bus');
    expect((await nodeA.lookup('bus'))?.url).toBe('https://example.com/v2');
    expect((await nodeB.lookup('bus'))?.url).toBe('https://example.com/v2');

    await nodeB.close();
    await nodeB.lookup('bus');
    await store.update('bus', { url: 'https://example.com/v3' });
    await bus.publish('bus');
    expect((await nodeA.lookup('bus'))?.url).toBe('https://example.com/v3');
    expect((await nodeB.lookup('bus'))?.url).toBe('https://example.com/v2');
  });

  it('forgets every cached code when the bus reports that some may have been missed', async () => {
    await store.create(link('kept'));
    const bus = new LocalInvalidationBus();
    const resolver = new Resolver(store, { bus });
    await resolver.lookup('kept');
    expect(await resolver.lookup('unknown')).toBeNull();
    expect(resolver.peek('kept')?.url).toBe('https://example.com/kept');
    bus.missed();
    expect(resolver.peek('kept')).toBeUndefined();
    expect(resolver.peek('unknown')).toBeUndefined();
    await store.update('kept', { url: 'https://example.com/v2' });
    expect((await resolver.lookup('kept'))?.url).toBe('https://example.com/v2');
    await resolver.close();
    await resolver.lookup('kept');
    bus.missed();
    expect(resolver.peek('kept')?.url).toBe('https://example.com/v2');
  });

  it('serves an expired entry while the store fails (stale-if-error)', async () => {
    await store.create(link('stale'));
    await store.create(link('x'));
    const resolver = new Resolver(store, { ttlMs: 1_000, negativeTtlMs: 1_000 });
    await resolver.lookup('stale');
    expect(await resolver.lookup('gone')).toBeNull();
    await advance(5_000);
    get.mockRejectedValue(new Error('database down'));
    expect((await resolver.lookup('stale'))?.url).toBe('https://example.com/stale');
    expect(await resolver.lookup('gone')).toBeNull();
    expect((await resolver.lookup('stale'))?.url).toBe('https://example.com/stale');
    get.mockRestore();
    await store.update('stale', { url: 'https://example.com/fresh' });
    expect((await resolver.lookup('stale'))?.url).toBe('https://example.com/fresh');
  });

  it('throws unavailable when the store fails and nothing is cached', async () => {
    const resolver = new Resolver(store);
    const cause = new Error('database down');
    get.mockRejectedValueOnce(cause);
    const error = await reject(resolver.lookup('cold'));
    expect(isLinkPulseError(error, 'unavailable')).toBe(true);
    expect((error as Error).cause).toBe(cause);
    await store.create(link('cold'));
    expect((await resolver.lookup('cold'))?.code).toBe('cold');
  });

  it('falls back to the lower-cased code when case-insensitive', async () => {
    await store.create(link('mylink'));
    await store.create(link('MixedUp'));
    const insensitive = new Resolver(store, { caseInsensitive: true });
    expect((await insensitive.lookup('MyLink'))?.code).toBe('mylink');
    expect((await insensitive.lookup('MyLink'))?.code).toBe('mylink');
    expect((await insensitive.lookup('MixedUp'))?.code).toBe('MixedUp');
    expect(await insensitive.lookup('Nothing')).toBeNull();
    const exact = new Resolver(store);
    expect(await exact.lookup('MyLink')).toBeNull();
    expect((await exact.lookup('mylink'))?.code).toBe('mylink');
  });

  it('evicts the least recently used code beyond maxEntries', async () => {
    for (const code of ['one', 'two', 'three']) await store.create(link(code));
    const resolver = new Resolver(store, { maxEntries: 2 });
    await resolver.lookup('one');
    await resolver.lookup('two');
    await resolver.lookup('one');
    await resolver.lookup('three'); // evicts "two"
    expect(get).toHaveBeenCalledTimes(3);
    await resolver.lookup('one');
    expect(get).toHaveBeenCalledTimes(3);
    await resolver.lookup('two');
    expect(get).toHaveBeenCalledTimes(4);
  });

  it('peek answers a fresh entry synchronously and never asks the store', async () => {
    await store.create(link('peeked'));
    const resolver = new Resolver(store, { ttlMs: 1_000, negativeTtlMs: 1_000 });
    expect(resolver.peek('peeked')).toBeUndefined();
    expect(resolver.peek('none')).toBeUndefined();
    const found = await resolver.lookup('peeked');
    expect(await resolver.lookup('none')).toBeNull();
    expect(resolver.peek('peeked')).toBe(found);
    expect(resolver.peek('none')).toBeNull();
    expect(get).toHaveBeenCalledTimes(2);

    resolver.invalidate('peeked');
    expect(resolver.peek('peeked')).toBeUndefined();
    await resolver.lookup('peeked');
    expect(resolver.peek('peeked')?.code).toBe('peeked');
    expect(get).toHaveBeenCalledTimes(3);
  });

  it('peek does not serve an expired entry, though lookup keeps it for stale-if-error', async () => {
    await store.create(link('old'));
    const resolver = new Resolver(store, { ttlMs: 1_000, negativeTtlMs: 1_000 });
    await resolver.lookup('old');
    expect(await resolver.lookup('missing')).toBeNull();
    await advance(1_500);
    expect(resolver.peek('old')).toBeUndefined();
    expect(resolver.peek('missing')).toBeUndefined();
    get.mockRejectedValue(new Error('database down'));
    expect((await resolver.lookup('old'))?.code).toBe('old');
    expect(resolver.peek('old')).toBeUndefined();
  });

  it('peek tries the lower-cased code after a remembered miss when case-insensitive', async () => {
    await store.create(link('mylink'));
    const resolver = new Resolver(store, { caseInsensitive: true });
    expect((await resolver.lookup('MyLink'))?.code).toBe('mylink');
    expect(resolver.peek('MyLink')?.code).toBe('mylink');
    resolver.invalidate('mylink');
    expect(resolver.peek('MyLink')).toBeUndefined();
    expect((await resolver.lookup('MyLink'))?.code).toBe('mylink');
    expect(await resolver.lookup('Nothing')).toBeNull();
    expect(resolver.peek('Nothing')).toBeNull();
    expect(get).toHaveBeenCalledTimes(5);
  });

  it('refuses nonsensical options', () => {
    expect(() => new Resolver(store, { ttlMs: 0 })).toThrow(RangeError);
    expect(() => new Resolver(store, { negativeTtlMs: -1 })).toThrow(RangeError);
    expect(() => new Resolver(store, { maxEntries: 1.5 })).toThrow(RangeError);
  });
});

describe('LocalInvalidationBus', () => {
  it('delivers every published code to every listener until unsubscribed', async () => {
    const bus = new LocalInvalidationBus();
    const a: string[] = [];
    const b: string[] = [];
    const stopA = bus.subscribe((code) => a.push(code));
    bus.subscribe((code) => b.push(code));
    await bus.publish('one');
    stopA();
    await bus.publish('two');
    expect(a).toEqual(['one']);
    expect(b).toEqual(['one', 'two']);
    await bus.close();
    await bus.publish('three');
    expect(b).toEqual(['one', 'two']);
  });

  it('tells every subscriber that codes were missed until it unsubscribes, past one that throws', () => {
    const bus = new LocalInvalidationBus();
    const calls: string[] = [];
    bus.subscribe(
      () => {},
      () => {
        calls.push('broken');
        throw new Error('onMissed broke');
      },
    );
    const stop = bus.subscribe(
      () => {},
      () => calls.push('a'),
    );
    bus.subscribe(() => {});
    bus.missed();
    stop();
    bus.missed();
    expect(calls).toEqual(['broken', 'a', 'broken']);
  });

  it('keeps delivering when a listener throws, then reports the failure', async () => {
    const bus = new LocalInvalidationBus();
    const received: string[] = [];
    bus.subscribe(() => {
      throw new Error('listener broke');
    });
    bus.subscribe((code) => received.push(code));
    const error = await reject(bus.publish('x'));
    expect(error).toBeInstanceOf(AggregateError);
    expect(received).toEqual(['x']);
  });
});

import {
  type CodeGenerator,
  createInProcessAnalytics,
  createShortener,
  type InvalidationBus,
  LinkPulseError,
  MemoryLinkStore,
  type ShortenerHandle,
} from '@linkpulse/core';
import { describe, expect, it, vi } from 'vitest';

const UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';

/** A generator that replays fixed codes, to force collisions. */
class ScriptedCodes implements CodeGenerator {
  calls = 0;
  constructor(private readonly codes: string[]) {}
  async next(): Promise<string> {
    const code = this.codes[Math.min(this.calls, this.codes.length - 1)]!;
    this.calls++;
    return code;
  }
}

async function withShortener(
  run: (shortener: ShortenerHandle) => Promise<void>,
  options: Parameters<typeof createShortener>[0] = {},
): Promise<void> {
  const shortener = await createShortener({ emitter: { flushIntervalMs: 10 }, ...options });
  try {
    await run(shortener);
  } finally {
    await shortener.close();
  }
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(LinkPulseError);
  expect((error as LinkPulseError).code).toBe(code);
}

describe('createShortener', () => {
  it('shortens, resolves, records clicks and reads them back as stats', async () => {
    await withShortener(async (shortener) => {
      const link = await shortener.shorten({ url: 'https://example.com/a?b=1' });
      expect(link.code).toMatch(/^[0-9A-Za-z]{7}$/);
      const resolution = await shortener.resolve(link.code);
      expect(resolution).toMatchObject({ status: 'found', link: { url: link.url } });
      for (let i = 0; i < 5; i++) {
        shortener.recordClick({ code: link.code, ip: `203.0.113.${i}`, userAgent: UA });
      }
      await shortener.emitter.flush();
      await expect
        .poll(async () => (await shortener.stats(link.code)).total, { timeout: 2_000 })
        .toBe(5);
      expect((await shortener.stats(link.code)).unique).toBe(5);
    });
  });

  it('retries a generated code that collides, through the store', async () => {
    const codes = new ScriptedCodes(['taken01', 'taken01', 'fresh01']);
    const store = new MemoryLinkStore();
    await withShortener(
      async (shortener) => {
        await shortener.shorten({ url: 'https://example.com/1' });
        const second = await shortener.shorten({ url: 'https://example.com/2' });
        expect(second.code).toBe('fresh01');
        expect(codes.calls).toBe(3);
      },
      { store, codes },
    );
  });

  it('skips generated codes that are reserved words', async () => {
    const codes = new ScriptedCodes(['healthz', 'abcdefg']);
    await withShortener(
      async (shortener) => {
        expect((await shortener.shorten({ url: 'https://example.com' })).code).toBe('abcdefg');
      },
      { codes },
    );
  });

  it('rejects bad input with typed errors and stores nothing', async () => {
    await withShortener(async (shortener) => {
      const bad: [Parameters<ShortenerHandle['shorten']>[0], string][] = [
        [{ url: 'javascript:alert(1)' }, 'invalid_url'],
        [{ url: 'data:text/html,hi' }, 'invalid_url'],
        [{ url: 'https://user:pw@example.com' }, 'invalid_url'],
        [{ url: `https://example.com/${'a'.repeat(3000)}` }, 'invalid_url'],
        [{ url: 'https://example.com/\r\nSet-Cookie: x=1' }, 'invalid_url'],
        [{ url: 'https://example.com', code: 'api' }, 'invalid_code'],
        [{ url: 'https://example.com', code: '../x' }, 'invalid_code'],
        [{ url: 'https://example.com', code: 'ünï' }, 'invalid_code'],
        [{ url: 'https://example.com', maxClicks: 0 }, 'invalid_body'],
        [{ url: 'https://example.com', expiresAt: 'yesterday' }, 'invalid_body'],
        [{ url: 'https://example.com', expiresAt: '2099-02-30T00:00:00Z' }, 'invalid_body'],
        [{ url: 'https://example.com', expiresAt: '2099-02-29T00:00:00Z' }, 'invalid_body'],
        [{ url: 'https://example.com', expiresAt: 'Feb 30 2099' }, 'invalid_body'],
      ];
      for (const [input, code] of bad) await expectCode(shortener.shorten(input), code);
      expect((await shortener.list()).links).toEqual([]);
    });
  });

  it('takes expiresAt as an RFC 3339 string in shorten and update, not an impossible one', async () => {
    await withShortener(async (shortener) => {
      const expiry = '2099-02-28T22:00:00.000Z';
      const link = await shortener.shorten({
        url: 'https://example.com',
        expiresAt: '2099-02-28T23:00:00+01:00',
      });
      expect(link.expiresAt?.toISOString()).toBe(expiry);
      for (const expiresAt of ['2099-04-31T00:00:00Z', '2099-02-28T24:00:00Z', '2099-03-01']) {
        await expectCode(shortener.update(link.code, { expiresAt }), 'invalid_body');
      }
      expect((await shortener.get(link.code)).expiresAt?.toISOString()).toBe(expiry);
      const updated = await shortener.update(link.code, { expiresAt: '2099-03-01T00:00:00Z' });
      expect(updated.expiresAt?.toISOString()).toBe('2099-03-01T00:00:00.000Z');
    });
  });

  it('refuses a taken alias and keeps the first link', async () => {
    await withShortener(async (shortener) => {
      await shortener.shorten({ url: 'https://example.com/first', code: 'promo' });
      await expectCode(
        shortener.shorten({ url: 'https://example.com/2', code: 'promo' }),
        'code_taken',
      );
      expect((await shortener.get('promo')).url).toBe('https://example.com/first');
    });
  });

  it('answers gone after maxClicks redirects, and HEAD does not use them up', async () => {
    await withShortener(async (shortener) => {
      const { code } = await shortener.shorten({ url: 'https://example.com', maxClicks: 2 });
      expect((await shortener.resolve(code, { method: 'HEAD' })).status).toBe('found');
      const results = await Promise.all([1, 2, 3, 4].map(() => shortener.resolve(code)));
      expect(results.filter((r) => r.status === 'found')).toHaveLength(2);
      expect(results.filter((r) => r.status === 'gone')).toHaveLength(2);
    });
  });

  it('follows an update and a delete through the cache', async () => {
    await withShortener(async (shortener) => {
      const { code } = await shortener.shorten({ url: 'https://example.com/old' });
      await shortener.resolve(code);
      await shortener.update(code, { url: 'https://example.com/new' });
      expect(await shortener.resolve(code)).toMatchObject({
        link: { url: 'https://example.com/new' },
      });
      await shortener.update(code, { disabled: true });
      expect(await shortener.resolve(code)).toMatchObject({ status: 'gone', reason: 'disabled' });
      await shortener.delete(code);
      expect((await shortener.resolve(code)).status).toBe('not_found');
      await expectCode(shortener.delete(code), 'not_found');
    });
  });

  /** The code of the link `resolve` and `get` find for `code`; `null` where they find none. */
  async function foundBy(shortener: ShortenerHandle, code: string) {
    const resolution = await shortener.resolve(code, { method: 'HEAD' });
    const got = await shortener.get(code).then(
      (link) => link.code,
      (error: unknown) => {
        if (error instanceof LinkPulseError && error.code === 'not_found') return null;
        throw error;
      },
    );
    return { resolved: resolution.status === 'not_found' ? null : resolution.link.code, got };
  }

  it('finds a case-insensitive alias by any spelling in get, update, stats and delete', async () => {
    const caseInsensitive = { policy: { alias: { caseInsensitive: true } } };
    await withShortener(async (shortener) => {
      const { code } = await shortener.shorten({ url: 'https://example.com/old', code: 'MyLink' });
      expect(code).toBe('mylink');
      for (const spelling of ['MyLink', 'MYLINK', 'mylink']) {
        expect(await foundBy(shortener, spelling)).toEqual({ resolved: code, got: code });
      }
      // Cached for redirects first, so the update must reach the cache of the stored code.
      const updated = await shortener.update('MYLINK', { url: 'https://example.com/new' });
      expect(updated).toMatchObject({ code, url: 'https://example.com/new' });
      expect(await shortener.resolve('MyLink')).toMatchObject({
        link: { url: 'https://example.com/new' },
      });

      shortener.recordClick({ code, ip: '203.0.113.1', userAgent: UA });
      await shortener.emitter.flush();
      await expect
        .poll(async () => (await shortener.stats('MyLink')).total, { timeout: 2_000 })
        .toBe(1);

      await shortener.delete('MyLink');
      expect(await foundBy(shortener, 'mylink')).toEqual({ resolved: null, got: null });
      await expectCode(shortener.delete('MYLINK'), 'not_found');
    }, caseInsensitive);
  });

  it('keeps generated mixed-case codes exact under a case-insensitive policy', async () => {
    const options = {
      policy: { alias: { caseInsensitive: true } },
      codes: new ScriptedCodes(['AbC123x', 'XyZ789q']),
    };
    await withShortener(async (shortener) => {
      const generated = await shortener.shorten({ url: 'https://example.com/generated' });
      expect(generated.code).toBe('AbC123x');
      const only = await shortener.shorten({ url: 'https://example.com/only' });
      expect(only.code).toBe('XyZ789q');
      // An alias that differs from the generated code only in case is another link.
      const alias = await shortener.shorten({ url: 'https://example.com/alias', code: 'ABC123X' });
      expect(alias.code).toBe('abc123x');

      const expectations: [string, string | null][] = [
        ['AbC123x', 'AbC123x'], // the exact code wins
        ['abc123x', 'abc123x'],
        ['ABC123X', 'abc123x'], // no such code: its lower case, the alias
        ['XyZ789q', 'XyZ789q'],
        ['xyz789q', null], // generated codes are not folded
        ['XYZ789Q', null],
      ];
      for (const [spelling, found] of expectations) {
        expect(await foundBy(shortener, spelling)).toEqual({ resolved: found, got: found });
      }

      await shortener.update('AbC123x', { disabled: true });
      expect((await shortener.get('AbC123x')).disabled).toBe(true);
      expect((await shortener.get('abc123x')).disabled).toBe(false);
      await shortener.delete('AbC123x');
      expect((await shortener.get('abc123x')).url).toBe('https://example.com/alias');
      expect(await foundBy(shortener, 'AbC123x')).toEqual({ resolved: 'abc123x', got: 'abc123x' });
      await expectCode(shortener.delete('xyz789q'), 'not_found');
    }, options);
  });

  it('matches codes exactly when case-sensitive, in resolve and get alike', async () => {
    const configs: Parameters<typeof createShortener>[0][] = [
      {},
      // The resolver's setting wins over the alias policy, for management too.
      { policy: { alias: { caseInsensitive: true } }, resolver: { caseInsensitive: false } },
    ];
    for (const options of configs) {
      await withShortener(async (shortener) => {
        const { code } = await shortener.shorten({ url: 'https://example.com', code: 'MyLink' });
        expect(await foundBy(shortener, code)).toEqual({ resolved: code, got: code });
        const other = code === 'MyLink' ? 'mylink' : 'MyLink';
        expect(await foundBy(shortener, other)).toEqual({ resolved: null, got: null });
        await expectCode(shortener.update(other, { disabled: true }), 'not_found');
        await expectCode(shortener.stats(other), 'not_found');
        await expectCode(shortener.delete(other), 'not_found');
      }, options);
    }
  });

  it('resolves a code created after it was looked up (no stale negative cache)', async () => {
    await withShortener(async (shortener) => {
      expect((await shortener.resolve('later1')).status).toBe('not_found');
      await shortener.shorten({ url: 'https://example.com', code: 'later1' });
      expect((await shortener.resolve('later1')).status).toBe('found');
    });
  });

  it('resolveCached answers only what the cache holds fresh, and follows invalidation', async () => {
    await withShortener(async (shortener) => {
      expect(shortener.resolveCached('..')).toEqual({ status: 'not_found' });
      const { code } = await shortener.shorten({ url: 'https://example.com/v1' });
      expect(shortener.resolveCached(code)).toBeUndefined();
      const resolved = await shortener.resolve(code);
      expect(shortener.resolveCached(code)).toEqual(resolved);
      expect(shortener.resolveCached(code)).toMatchObject({
        link: { url: 'https://example.com/v1' },
      });

      expect(shortener.resolveCached('unknown')).toBeUndefined();
      expect((await shortener.resolve('unknown')).status).toBe('not_found');
      expect(shortener.resolveCached('unknown')).toEqual({ status: 'not_found' });

      await shortener.update(code, { url: 'https://example.com/v2' });
      expect(shortener.resolveCached(code)).toBeUndefined();
      await shortener.resolve(code);
      expect(shortener.resolveCached(code)).toMatchObject({
        link: { url: 'https://example.com/v2' },
      });
      await shortener.update(code, { disabled: true });
      await shortener.resolve(code);
      expect(shortener.resolveCached(code)).toMatchObject({ status: 'gone', reason: 'disabled' });
    });
  });

  it('resolveCached leaves a GET of a link with maxClicks to resolve', async () => {
    await withShortener(async (shortener) => {
      const { code } = await shortener.shorten({ url: 'https://example.com', maxClicks: 1 });
      expect((await shortener.resolve(code, { method: 'HEAD' })).status).toBe('found');
      expect(shortener.resolveCached(code, { method: 'HEAD' })?.status).toBe('found');
      expect(shortener.resolveCached(code)).toBeUndefined();
      expect(shortener.resolveCached(code, { method: 'GET' })).toBeUndefined();
      expect((await shortener.get(code)).clicksUsed).toBe(0);
      expect((await shortener.resolve(code)).status).toBe('found');
      expect((await shortener.resolve(code)).status).toBe('gone');
      expect((await shortener.get(code)).clicksUsed).toBe(1);
    });
  });

  it('resolveCached judges expiry by the clock and does not serve an expired cache entry', async () => {
    await withShortener(
      async (shortener) => {
        const expiresAt = new Date(Date.now() + 60_000);
        const { code } = await shortener.shorten({ url: 'https://example.com', expiresAt });
        await shortener.resolve(code);
        expect(shortener.resolveCached(code)?.status).toBe('found');
        const now = vi.spyOn(Date, 'now').mockReturnValue(expiresAt.getTime());
        expect(shortener.resolveCached(code)).toMatchObject({ status: 'gone', reason: 'expired' });
        now.mockRestore();
        await new Promise((resolve) => setTimeout(resolve, 80));
        expect(shortener.resolveCached(code)).toBeUndefined();
        expect((await shortener.resolve(code)).status).toBe('found');
      },
      { resolver: { ttlMs: 40 } },
    );
  });

  it('answers not_found for malformed codes without asking the store', async () => {
    const store = new MemoryLinkStore();
    let gets = 0;
    const get = store.get.bind(store);
    store.get = (code) => {
      gets++;
      return get(code);
    };
    await withShortener(
      async (shortener) => {
        for (const code of ['..', 'a/b', 'ünï', 'x'.repeat(65), '']) {
          expect((await shortener.resolve(code)).status).toBe('not_found');
        }
        expect(gets).toBe(0);
        await expectCode(shortener.stats('a/b'), 'not_found');
      },
      { store },
    );
  });

  it('delivers every buffered click on close', async () => {
    const shortener = await createShortener({ emitter: { flushIntervalMs: 60_000 } });
    const { code } = await shortener.shorten({ url: 'https://example.com' });
    for (let i = 0; i < 1_234; i++) shortener.recordClick({ code, ip: '198.51.100.7' });
    const sink = shortener.analytics.stats!;
    await shortener.close();
    const stats = await sink.stats(code, {
      from: new Date(Date.now() - 60_000),
      to: new Date(Date.now() + 60_000),
      interval: 'hour',
      top: 5,
    });
    expect(stats.total).toBe(1_234);
    expect(shortener.emitter.counters()).toMatchObject({ dropped: 0, sent: 1_234 });
  });

  it('turns a failing store into unavailable (503) and keeps typed errors typed', async () => {
    const store = new MemoryLinkStore();
    await withShortener(
      async (shortener) => {
        await shortener.shorten({ url: 'https://example.com', code: 'exists' });
        await expectCode(
          shortener.shorten({ url: 'https://example.com', code: 'exists' }),
          'code_taken',
        );
        expect((await shortener.resolve('exists')).status).toBe('found');
        store.create = () => Promise.reject(new Error('connection refused'));
        store.get = () => Promise.reject(new Error('connection refused'));
        await expectCode(shortener.shorten({ url: 'https://example.com' }), 'unavailable');
        await expectCode(shortener.get('exists'), 'unavailable');
        expect((await shortener.resolve('exists')).status).toBe('found');
        await expectCode(shortener.resolve('uncached'), 'unavailable');
      },
      { store },
    );
  });

  it('answers a stats reader failure as unavailable, and passes its typed errors through', async () => {
    const driverError = new Error('Stream is not writeable');
    let fail: Error = driverError;
    const base = await createInProcessAnalytics();
    const analytics = {
      ...base,
      stats: {
        stats: async () => {
          throw fail;
        },
      },
    };
    await withShortener(
      async (shortener) => {
        const { code } = await shortener.shorten({ url: 'https://example.com/s' });
        const error = await shortener.stats(code).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(LinkPulseError);
        expect(error).toMatchObject({ code: 'unavailable', status: 503, cause: driverError });
        fail = new LinkPulseError('invalid_query', 'bad interval');
        await expectCode(shortener.stats(code), 'invalid_query');
      },
      { analytics },
    );
  });

  it('stores a change whose invalidation the bus cannot publish, and reports the failure', async () => {
    const busError = new Error('Connection is closed');
    const bus: InvalidationBus = {
      publish: async () => {
        throw busError;
      },
      subscribe: () => () => {},
      close: async () => {},
    };
    const reported: LinkPulseError[] = [];
    await withShortener(
      async (shortener) => {
        const link = await shortener.shorten({ url: 'https://example.com/old', code: 'promo' });
        expect(link.code).toBe('promo');
        await shortener.resolve('promo');
        const updated = await shortener.update('promo', { url: 'https://example.com/new' });
        expect(updated.url).toBe('https://example.com/new');
        // This node's cache forgot the old target, whatever the bus did.
        expect(await shortener.resolve('promo')).toMatchObject({
          status: 'found',
          link: { url: 'https://example.com/new' },
        });
        await shortener.delete('promo');
        await expectCode(shortener.get('promo'), 'not_found');
        expect(reported.map((error) => [error.code, error.cause])).toEqual([
          ['unavailable', busError],
          ['unavailable', busError],
          ['unavailable', busError],
        ]);
        expect(reported[1]!.message).toContain('"promo"');
      },
      { resolver: { bus }, onError: (error) => reported.push(error) },
    );
  });

  it('keeps a stored change when the onError handler itself throws', async () => {
    const bus: InvalidationBus = {
      publish: async () => {
        throw new Error('Connection is closed');
      },
      subscribe: () => () => {},
      close: async () => {},
    };
    await withShortener(
      async (shortener) => {
        const link = await shortener.shorten({ url: 'https://example.com/a', code: 'promo' });
        expect(link.code).toBe('promo');
        await shortener.delete('promo');
      },
      {
        resolver: { bus },
        onError: () => {
          throw new Error('handler bug');
        },
      },
    );
  });
});

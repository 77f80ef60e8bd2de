import {
  type CodeGenerator,
  createShortener,
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
      ];
      for (const [input, code] of bad) await expectCode(shortener.shorten(input), code);
      expect((await shortener.list()).links).toEqual([]);
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
});

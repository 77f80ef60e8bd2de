import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isLinkPulseError } from '../errors.js';
import type { Link } from '../links/link.js';
import type { LinkStore } from '../store/link-store.js';

/** Options of {@link describeLinkStore}. */
export interface LinkStoreSuiteOptions {
  /** Links created for the pagination test. Default 250. */
  listSize?: number;
}

function sampleLink(code: string, overrides: Partial<Link> = {}): Link {
  return {
    code,
    url: `https://example.com/${code}`,
    createdAt: new Date('2024-05-01T10:20:30.456Z'),
    expiresAt: null,
    maxClicks: null,
    clicksUsed: 0,
    disabled: false,
    redirectStatus: 302,
    tags: [],
    ...overrides,
  };
}

async function expectError(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(isLinkPulseError(error), `expected LinkPulseError(${code}), got ${error}`).toBe(true);
  expect((error as { code: string }).code).toBe(code);
}

/**
 * The contract every {@link LinkStore} driver must pass, as a vitest suite. `factory`
 * is called before each test and must return an empty store; the suite closes it after.
 *
 * @example
 * ```ts
 * describeLinkStore('MemoryLinkStore', () => new MemoryLinkStore());
 * ```
 */
export function describeLinkStore(
  name: string,
  factory: () => Promise<LinkStore> | LinkStore,
  options: LinkStoreSuiteOptions = {},
): void {
  const listSize = options.listSize ?? 250;

  describe(`LinkStore contract: ${name}`, () => {
    let store: LinkStore;
    let closed: boolean;

    beforeEach(async () => {
      store = await factory();
      closed = false;
    });

    afterEach(async () => {
      if (!closed) await store.close();
    });

    it('returns null for an unknown code', async () => {
      expect(await store.get('nope')).toBeNull();
    });

    it('round-trips every field of a link', async () => {
      const full = sampleLink('full_1-A', {
        url: 'https://example.com/a/b?c=d&e=%C3%A9#frag',
        createdAt: new Date('2023-12-31T23:59:59.999Z'),
        expiresAt: new Date('2030-01-02T03:04:05.678Z'),
        maxClicks: 5,
        clicksUsed: 2,
        disabled: true,
        redirectStatus: 308,
        tags: ['campaign', 'with space', 'ünïcode'],
      });
      const bare = sampleLink('bare', { redirectStatus: 301 });
      await store.create(full);
      await store.create(bare);
      const gotFull = await store.get('full_1-A');
      expect(gotFull).toEqual(full);
      expect(gotFull?.createdAt).toBeInstanceOf(Date);
      expect(gotFull?.expiresAt).toBeInstanceOf(Date);
      expect(await store.get('bare')).toEqual(bare);
    });

    it('keeps stored state apart from the objects passed in and handed out', async () => {
      const link = sampleLink('copy', { tags: ['a'], expiresAt: new Date(2_000_000_000_000) });
      await store.create(link);
      link.url = 'https://changed.example/';
      link.tags.push('b');
      link.expiresAt?.setTime(0);
      const first = await store.get('copy');
      expect(first?.url).toBe('https://example.com/copy');
      expect(first?.tags).toEqual(['a']);
      expect(first?.expiresAt?.getTime()).toBe(2_000_000_000_000);
      first!.tags.push('c');
      first!.disabled = true;
      const second = await store.get('copy');
      expect(second?.tags).toEqual(['a']);
      expect(second?.disabled).toBe(false);
    });

    it('refuses to create an existing code and leaves the original untouched', async () => {
      const original = sampleLink('taken', { tags: ['first'] });
      await store.create(original);
      await expectError(
        store.create(sampleLink('taken', { url: 'https://other.example/', tags: ['second'] })),
        'code_taken',
      );
      expect(await store.get('taken')).toEqual(original);
    });

    it('lets exactly one of many concurrent creates of one code win', async () => {
      const attempts = Array.from({ length: 20 }, (_, i) =>
        store.create(sampleLink('race', { url: `https://example.com/${i}` })),
      );
      const results = await Promise.allSettled(attempts);
      const winners = results.flatMap((result, i) => (result.status === 'fulfilled' ? [i] : []));
      expect(winners).toHaveLength(1);
      for (const result of results) {
        if (result.status === 'rejected') {
          expect(isLinkPulseError(result.reason, 'code_taken')).toBe(true);
        }
      }
      expect((await store.get('race'))?.url).toBe(`https://example.com/${winners[0]}`);
    });

    it('updates each field, clears with null and keeps the rest', async () => {
      const link = sampleLink('upd', {
        expiresAt: new Date('2031-01-01T00:00:00.000Z'),
        maxClicks: 3,
        clicksUsed: 1,
        tags: ['x'],
      });
      await store.create(link);
      const steps: [Parameters<LinkStore['update']>[1], Partial<Link>][] = [
        [{ url: 'https://example.org/new' }, { url: 'https://example.org/new' }],
        [{ disabled: true }, { disabled: true }],
        [{ redirectStatus: 307 }, { redirectStatus: 307 }],
        [{ tags: ['y', 'z'] }, { tags: ['y', 'z'] }],
        [{ maxClicks: 10 }, { maxClicks: 10 }],
        [{ expiresAt: new Date(1_900_000_000_000) }, { expiresAt: new Date(1_900_000_000_000) }],
        [{ expiresAt: null }, { expiresAt: null }],
        [{ maxClicks: null }, { maxClicks: null }],
        [{}, {}],
      ];
      let expected = { ...link };
      for (const [patch, change] of steps) {
        expected = { ...expected, ...change };
        expect(await store.update('upd', patch)).toEqual(expected);
        expect(await store.get('upd')).toEqual(expected);
      }
      expect(expected.code).toBe('upd');
      expect(expected.createdAt).toEqual(link.createdAt);
      expect(expected.clicksUsed).toBe(1);
    });

    it('throws not_found when updating an unknown code, creating nothing', async () => {
      await expectError(store.update('ghost', { disabled: true }), 'not_found');
      expect(await store.get('ghost')).toBeNull();
    });

    it('deletes a link once', async () => {
      await store.create(sampleLink('del'));
      await store.create(sampleLink('keep'));
      expect(await store.delete('del')).toBe(true);
      expect(await store.get('del')).toBeNull();
      expect(await store.delete('del')).toBe(false);
      expect(await store.get('keep')).not.toBeNull();
      await store.create(sampleLink('del', { url: 'https://example.com/again' }));
      expect((await store.get('del'))?.url).toBe('https://example.com/again');
    });

    it('lists an empty store as one empty page', async () => {
      expect(await store.list()).toEqual({ links: [], cursor: null });
    });

    it(`pages through ${listSize} links in code order`, async () => {
      const codes = Array.from({ length: listSize }, (_, i) => `c${String(i).padStart(4, '0')}`);
      // Insert in an order unrelated to code order.
      const shuffled = codes.map((code, i) => ({ code, key: (i * 7919) % listSize }));
      shuffled.sort((a, b) => a.key - b.key);
      for (const { code } of shuffled) await store.create(sampleLink(code));

      const firstDefault = await store.list();
      expect(firstDefault.links).toHaveLength(Math.min(100, listSize));

      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: Awaited<ReturnType<LinkStore['list']>> = await store.list({
          cursor,
          limit: 100,
        });
        pages += 1;
        expect(page.links.length).toBeLessThanOrEqual(100);
        seen.push(...page.links.map((link) => link.code));
        if (page.cursor !== null) {
          expect(page.links).toHaveLength(100);
          expect(page.cursor).toBe(page.links[page.links.length - 1]!.code);
        }
        cursor = page.cursor;
      } while (cursor !== null && pages <= listSize);
      expect(seen).toEqual(codes);
      expect(pages).toBe(Math.max(1, Math.ceil(listSize / 100)));
      expect((await store.list({ limit: 1 })).links[0]).toEqual(sampleLink(codes[0]!));
    });

    it('ends the listing without an empty extra page when the last page is full', async () => {
      for (const code of ['aa', 'bb', 'cc', 'dd']) await store.create(sampleLink(code));
      const first = await store.list({ limit: 2 });
      expect(first.links.map((link) => link.code)).toEqual(['aa', 'bb']);
      expect(first.cursor).toBe('bb');
      const second = await store.list({ cursor: first.cursor, limit: 2 });
      expect(second.links.map((link) => link.code)).toEqual(['cc', 'dd']);
      expect(second.cursor).toBeNull();
    });

    it('continues after a cursor whose link was deleted', async () => {
      for (const code of ['aa', 'bb', 'cc']) await store.create(sampleLink(code));
      const first = await store.list({ limit: 2 });
      await store.delete('bb');
      const second = await store.list({ cursor: first.cursor, limit: 2 });
      expect(second.links.map((link) => link.code)).toEqual(['cc']);
    });

    it('refuses a limit that is not a positive integer', async () => {
      await expectError(store.list({ limit: 0 }), 'invalid_query');
      await expectError(store.list({ limit: 2.5 }), 'invalid_query');
    });

    it('takes clicks exactly up to maxClicks under concurrency', async () => {
      await store.create(sampleLink('limited', { maxClicks: 10 }));
      const taken = await Promise.all(Array.from({ length: 50 }, () => store.takeClick('limited')));
      expect(taken.filter(Boolean)).toHaveLength(10);
      expect((await store.get('limited'))?.clicksUsed).toBe(10);
      expect(await store.takeClick('limited')).toBe(false);
      expect((await store.get('limited'))?.clicksUsed).toBe(10);
    });

    it('takes clicks again after the limit is raised', async () => {
      await store.create(sampleLink('raise', { maxClicks: 1 }));
      expect(await store.takeClick('raise')).toBe(true);
      expect(await store.takeClick('raise')).toBe(false);
      await store.update('raise', { maxClicks: 2 });
      expect(await store.takeClick('raise')).toBe(true);
      expect(await store.takeClick('raise')).toBe(false);
    });

    it('always allows a click on a link without a limit', async () => {
      await store.create(sampleLink('free'));
      for (let i = 0; i < 5; i++) expect(await store.takeClick('free')).toBe(true);
    });

    it('refuses a click on an unknown code', async () => {
      expect(await store.takeClick('ghost')).toBe(false);
      expect(await store.get('ghost')).toBeNull();
    });

    it('closes without error', async () => {
      await store.create(sampleLink('bye'));
      closed = true;
      await expect(store.close()).resolves.toBeUndefined();
    });
  });
}

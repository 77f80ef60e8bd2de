import type { IncomingMessage } from 'node:http';
import { createShortener, type ShortenerHandle } from '@linkpulse/core';
import { createProxyTrust, createRedirectHandler, type HttpReply } from '@linkpulse/core/http';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

function request(url: string, headers: Record<string, string> = {}): IncomingMessage {
  return { url, headers, socket: { remoteAddress: '203.0.113.9' } } as unknown as IncomingMessage;
}

describe('createRedirectHandler', () => {
  let shortener: ShortenerHandle;
  let redirect: ReturnType<typeof createRedirectHandler>;

  beforeEach(async () => {
    shortener = await createShortener();
    redirect = createRedirectHandler(shortener, { proxy: createProxyTrust() });
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    await shortener.close();
  });

  it('answers a cached code synchronously and records the click', async () => {
    const { code } = await shortener.shorten({ url: 'https://example.com/a', redirectStatus: 301 });
    const recordClick = vi.spyOn(shortener, 'recordClick');
    const first = redirect(code, 'GET', request(`/${code}`));
    expect(first).toBeInstanceOf(Promise);
    const expected: HttpReply = {
      status: 301,
      headers: { location: 'https://example.com/a', 'cache-control': 'no-store' },
    };
    expect(await first).toEqual(expected);

    const get = vi.spyOn(shortener.store, 'get');
    const headers = { 'user-agent': 'UA', referer: 'https://ref.example/' };
    const second = redirect(code, 'HEAD', request(`/${code}?utm_source=x`, headers));
    expect(second).not.toBeInstanceOf(Promise);
    expect(second).toEqual(expected);
    expect(get).not.toHaveBeenCalled();
    expect(recordClick.mock.calls.map(([input]) => input)).toEqual([
      {
        code,
        ip: '203.0.113.9',
        userAgent: undefined,
        referer: undefined,
        method: 'GET',
        query: undefined,
      },
      {
        code,
        ip: '203.0.113.9',
        userAgent: 'UA',
        referer: 'https://ref.example/',
        method: 'HEAD',
        query: 'utm_source=x',
      },
    ]);
  });

  it('answers 404 at once for a malformed code, and from the negative cache once looked up', async () => {
    const recordClick = vi.spyOn(shortener, 'recordClick');
    const malformed = redirect('a/b', 'GET', request('/a%2Fb'));
    expect(malformed).not.toBeInstanceOf(Promise);
    expect((malformed as HttpReply).status).toBe(404);
    const miss = redirect('missing', 'GET', request('/missing'));
    expect(miss).toBeInstanceOf(Promise);
    expect(await miss).toMatchObject({
      status: 404,
      headers: { 'cache-control': 'no-store' },
      body: { error: { code: 'not_found' } },
    });
    const remembered = redirect('missing', 'GET', request('/missing'));
    expect(remembered).not.toBeInstanceOf(Promise);
    expect(remembered).toEqual(await miss);
    expect(recordClick).not.toHaveBeenCalled();
  });

  it('takes a GET of a link with maxClicks through the store every time', async () => {
    const { code } = await shortener.shorten({ url: 'https://example.com/', maxClicks: 2 });
    const recordClick = vi.spyOn(shortener, 'recordClick');
    const head = await redirect(code, 'HEAD', request(`/${code}`));
    expect(head.status).toBe(302);
    expect(redirect(code, 'HEAD', request(`/${code}`))).not.toBeInstanceOf(Promise);
    const answers: HttpReply[] = [];
    for (let i = 0; i < 3; i++) {
      const answer = redirect(code, 'GET', request(`/${code}`));
      expect(answer).toBeInstanceOf(Promise);
      answers.push(await answer);
    }
    expect(answers.map((answer) => answer.status)).toEqual([302, 302, 410]);
    expect(answers[2]?.body).toMatchObject({ error: { code: 'gone' } });
    expect(recordClick.mock.calls.map(([input]) => input.method)).toEqual([
      'HEAD',
      'HEAD',
      'GET',
      'GET',
    ]);
  });

  it('follows an update: the invalidated code goes to the store once, then is cached again', async () => {
    const { code } = await shortener.shorten({ url: 'https://example.com/old' });
    await redirect(code, 'GET', request(`/${code}`));
    await shortener.update(code, { url: 'https://example.com/new' });
    const answer = redirect(code, 'GET', request(`/${code}`));
    expect(answer).toBeInstanceOf(Promise);
    expect((await answer).headers.location).toBe('https://example.com/new');
    const cached = redirect(code, 'GET', request(`/${code}`));
    expect(cached).not.toBeInstanceOf(Promise);
    expect((cached as HttpReply).headers.location).toBe('https://example.com/new');
  });

  it('does not answer from an expired cache entry', async () => {
    const brief = await createShortener({ resolver: { ttlMs: 30 } });
    try {
      const briefRedirect = createRedirectHandler(brief, { proxy: createProxyTrust() });
      const { code } = await brief.shorten({ url: 'https://example.com/' });
      await briefRedirect(code, 'GET', request(`/${code}`));
      expect(briefRedirect(code, 'GET', request(`/${code}`))).not.toBeInstanceOf(Promise);
      await new Promise((resolve) => setTimeout(resolve, 60));
      const answer = briefRedirect(code, 'GET', request(`/${code}`));
      expect(answer).toBeInstanceOf(Promise);
      expect((await answer).status).toBe(302);
    } finally {
      await brief.close();
    }
  });

  it('answers 503 unavailable when the store fails and nothing is cached', async () => {
    vi.spyOn(shortener.store, 'get').mockRejectedValue(new Error('store down'));
    expect(await redirect('cold', 'GET', request('/cold'))).toMatchObject({
      status: 503,
      body: { error: { code: 'unavailable' } },
    });
  });
});

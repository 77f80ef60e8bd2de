import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type ErrorCode, errorStatus } from '../errors.js';
import type { LinkJson, LinkPageJson } from '../http/link-json.js';
import type { LinkPulseHttpOptions } from '../http/options.js';
import { bodyError } from '../http/reply.js';
import type { Link } from '../links/link.js';
import { createShortener, type ShortenerHandle } from '../shortener.js';
import type { Shortener } from '../shortener-types.js';
import type { LinkStats } from '../sinks/stats.js';

/**
 * Adapter options the contract suite varies. `authorize` reads only `request.headers`,
 * which every framework's request has.
 */
export type HttpContractOptions = Omit<
  LinkPulseHttpOptions<{ headers: IncomingHttpHeaders }>,
  'authorize'
> & {
  authorize?: (request: { headers: IncomingHttpHeaders }) => boolean | Promise<boolean>;
};

/** A server started by an {@link HttpContractFactory}. */
export interface HttpContractServer {
  /** Origin it listens on, e.g. `http://127.0.0.1:40123`. */
  url: string;
  /** Stops the server; must not close the shortener (the suite does). */
  close(): Promise<void>;
}

/**
 * Starts an app with the adapter under test mounted with `options`, serving `shortener`,
 * listening on `127.0.0.1` on a free port.
 */
export type HttpContractFactory = (
  shortener: Shortener,
  options: HttpContractOptions,
) => Promise<HttpContractServer>;

const BROWSER =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const API_KEY = 'contract-suite-key';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Call {
  body?: unknown;
  /** Sent as is instead of `JSON.stringify(body)`. */
  raw?: string;
  headers?: Record<string, string>;
}

/**
 * One request over HTTP, with the path sent exactly as given: `fetch` would resolve
 * `/%2E%2E` as a dot segment before sending it, which would hide what servers do with it.
 */
function send(
  origin: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: string | undefined,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const url = new URL(origin);
    let answered = false;
    const req = httpRequest(
      { host: url.hostname, port: url.port, method, path, headers },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            for (const item of Array.isArray(value) ? value : [value ?? '']) {
              responseHeaders.append(name, item);
            }
          }
          const status = res.statusCode ?? 0;
          resolve(
            new Response(status === 204 || text === '' ? null : text, {
              status,
              headers: responseHeaders,
            }),
          );
        });
      },
    );
    // A server may answer (413) and close before reading a large body: not a failure.
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    req.end(body);
  });
}

/** Checks an error response and returns its message. */
async function readError(response: Response, status: number, code: string): Promise<string> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const body = JSON.parse(text) as { error: { code: string; message: string } };
  expect(Object.keys(body)).toEqual(['error']);
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  expect(body.error.message.length).toBeGreaterThan(0);
  return body.error.message;
}

async function allLinks(shortener: Shortener): Promise<Link[]> {
  const links: Link[] = [];
  let cursor: string | null = null;
  do {
    const page = await shortener.list({ cursor, limit: 100 });
    links.push(...page.links);
    cursor = page.cursor;
  } while (cursor !== null);
  return links;
}

/**
 * The HTTP contract of the LinkPulse adapters as a vitest suite, run over real HTTP:
 * every route and status of the contract table, every error code, HEAD, expiry, click
 * limits, PATCH and the cache, API keys, and bad input that must leave no trace. Each
 * test gets a fresh in-memory shortener.
 *
 * @example
 * ```ts
 * describeHttpContract('fastify', async (shortener, options) => {
 *   const app = Fastify();
 *   await app.register(linkpulse, { shortener, closeShortener: false, ...options });
 *   const url = await app.listen({ host: '127.0.0.1', port: 0 });
 *   return { url, close: () => app.close() };
 * });
 * ```
 */
export function describeHttpContract(name: string, start: HttpContractFactory): void {
  describe(`${name}: LinkPulse HTTP contract`, () => {
    let shortener: ShortenerHandle;
    let server: HttpContractServer;
    const extraServers: HttpContractServer[] = [];

    beforeEach(async () => {
      shortener = await createShortener({ emitter: { flushIntervalMs: 20 } });
      server = await start(shortener, {});
    });

    afterEach(async () => {
      vi.restoreAllMocks();
      await Promise.all([server, ...extraServers.splice(0)].map((s) => s.close()));
      await shortener.close();
    });

    async function startWith(options: HttpContractOptions): Promise<HttpContractServer> {
      const extra = await start(shortener, options);
      extraServers.push(extra);
      return extra;
    }

    function call(method: string, path: string, init: Call = {}, on = server): Promise<Response> {
      const body = init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body));
      const headers: Record<string, string> = {
        'user-agent': BROWSER,
        ...(body !== undefined && { 'content-type': 'application/json' }),
        ...init.headers,
      };
      return send(on.url, method, path, headers, body);
    }

    async function create(body: Record<string, unknown>, on = server): Promise<LinkJson> {
      const response = await call('POST', '/api/links', { body }, on);
      const text = await response.text();
      expect(response.status, text).toBe(201);
      return JSON.parse(text) as LinkJson;
    }

    async function expectRedirect(path: string, status: number, location: string, method = 'GET') {
      const response = await call(method, path);
      expect(response.status, `${method} ${path}`).toBe(status);
      expect(response.headers.get('location')).toBe(location);
      expect(await response.text()).toBe('');
      return response;
    }

    async function statsOf(code: string, query = ''): Promise<LinkStats> {
      const response = await call('GET', `/api/links/${code}/stats${query}`);
      expect(response.status).toBe(200);
      return (await response.json()) as LinkStats;
    }

    async function waitForStats(code: string, done: (stats: LinkStats) => boolean) {
      let stats = await statsOf(code);
      for (let tries = 0; !done(stats) && tries < 100; tries++) {
        await sleep(50);
        stats = await statsOf(code);
      }
      return stats;
    }

    describe('POST /api/links', () => {
      it('creates a link: 201 with the link, its short URL and a Location header', async () => {
        const response = await call('POST', '/api/links', {
          body: { url: 'https://example.com/landing?a=1' },
        });
        expect(response.status).toBe(201);
        const link = (await response.json()) as LinkJson;
        expect(link).toMatchObject({
          url: 'https://example.com/landing?a=1',
          expiresAt: null,
          maxClicks: null,
          redirectStatus: 302,
          disabled: false,
          tags: [],
        });
        expect(link.code).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(link.shortUrl).toBe(`${server.url}/${link.code}`);
        expect(Date.parse(link.createdAt)).not.toBeNaN();
        expect(response.headers.get('location')).toBe(`/api/links/${link.code}`);
        expect((await shortener.get(link.code)).url).toBe('https://example.com/landing?a=1');
      });

      it('takes an alias, expiry, click limit, redirect status and tags', async () => {
        const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
        const link = await create({
          url: 'https://example.com/',
          code: 'spring-sale',
          expiresAt,
          maxClicks: 10,
          redirectStatus: 307,
          tags: ['campaign', 'spring'],
        });
        expect(link).toMatchObject({
          code: 'spring-sale',
          expiresAt,
          maxClicks: 10,
          clicksUsed: 0,
          redirectStatus: 307,
          tags: ['campaign', 'spring'],
        });
      });

      it('takes application/json in any case, without a charset or in UTF-8, after a BOM', async () => {
        const contentTypes = [
          'Application/JSON',
          'application/json; charset=utf-8',
          'application/json ; charset="UTF-8"',
          'application/json; charset=utf8',
        ];
        for (const contentType of contentTypes) {
          const response = await call('POST', '/api/links', {
            raw: '{"url":"https://example.com/"}',
            headers: { 'content-type': contentType },
          });
          expect(response.status, contentType).toBe(201);
        }
        const withBom = await call('POST', '/api/links', {
          raw: '\uFEFF{"url":"https://example.com/"}',
        });
        expect(withBom.status).toBe(201);
      });

      it('answers 409 code_taken for a taken alias and leaves the first link as it was', async () => {
        await create({ url: 'https://example.com/first', code: 'taken' });
        const response = await call('POST', '/api/links', {
          body: { url: 'https://example.com/second', code: 'taken' },
        });
        await readError(response, 409, 'code_taken');
        expect((await shortener.get('taken')).url).toBe('https://example.com/first');
        expect(await allLinks(shortener)).toHaveLength(1);
      });
    });

    describe('bad input leaves no trace', () => {
      const tooLong = 'a'.repeat(65);
      const cases: [string, Call, number, string][] = [
        ['a missing url', { body: { code: 'no-url' } }, 400, 'invalid_body'],
        ['a url that is not a string', { body: { url: 42 } }, 400, 'invalid_body'],
        ['a javascript: URL', { body: { url: 'javascript:alert(1)' } }, 400, 'invalid_url'],
        ['a data: URL', { body: { url: 'data:text/html,<h1>hi</h1>' } }, 400, 'invalid_url'],
        [
          'a URL with CR/LF',
          { body: { url: 'https://example.com/\r\nSet-Cookie: a=b' } },
          400,
          'invalid_url',
        ],
        ['a relative URL', { body: { url: '/just/a/path' } }, 400, 'invalid_url'],
        [
          'a URL with credentials',
          { body: { url: 'https://user:pw@example.com/' } },
          400,
          'invalid_url',
        ],
        [
          'a reserved alias',
          { body: { url: 'https://example.com', code: 'api' } },
          400,
          'invalid_code',
        ],
        [
          'an alias with /',
          { body: { url: 'https://example.com', code: 'a/b' } },
          400,
          'invalid_code',
        ],
        ['an alias ..', { body: { url: 'https://example.com', code: '..' } }, 400, 'invalid_code'],
        [
          'a unicode alias',
          { body: { url: 'https://example.com', code: 'café' } },
          400,
          'invalid_code',
        ],
        [
          'an over-long alias',
          { body: { url: 'https://example.com', code: tooLong } },
          400,
          'invalid_code',
        ],
        [
          'an alias that is not a string',
          { body: { url: 'https://example.com', code: 7 } },
          400,
          'invalid_body',
        ],
        [
          'an unknown field',
          { body: { url: 'https://example.com', maxclicks: 1 } },
          400,
          'invalid_body',
        ],
        [
          'maxClicks as a string',
          { body: { url: 'https://example.com', maxClicks: '5' } },
          400,
          'invalid_body',
        ],
        [
          'maxClicks 0',
          { body: { url: 'https://example.com', maxClicks: 0 } },
          400,
          'invalid_body',
        ],
        [
          'maxClicks 1.5',
          { body: { url: 'https://example.com', maxClicks: 1.5 } },
          400,
          'invalid_body',
        ],
        [
          'redirectStatus 303',
          { body: { url: 'https://example.com', redirectStatus: 303 } },
          400,
          'invalid_body',
        ],
        [
          'expiresAt not ISO',
          { body: { url: 'https://example.com', expiresAt: 'tomorrow' } },
          400,
          'invalid_body',
        ],
        [
          'expiresAt on a day that does not exist (February 30)',
          { body: { url: 'https://example.com', expiresAt: '2099-02-30T00:00:00Z' } },
          400,
          'invalid_body',
        ],
        [
          'expiresAt as epoch ms',
          { body: { url: 'https://example.com', expiresAt: 4102444800000 } },
          400,
          'invalid_body',
        ],
        [
          'expiresAt in the past',
          { body: { url: 'https://example.com', expiresAt: '2001-01-01T00:00:00Z' } },
          400,
          'invalid_body',
        ],
        [
          'tags not an array',
          { body: { url: 'https://example.com', tags: 'promo' } },
          400,
          'invalid_body',
        ],
        [
          'a tag that is not a string',
          { body: { url: 'https://example.com', tags: [1] } },
          400,
          'invalid_body',
        ],
      ];

      it.each(cases)('POST with %s', async (_label, init, status, code) => {
        await create({ url: 'https://example.com/existing', code: 'existing' });
        const before = await allLinks(shortener);
        await readError(await call('POST', '/api/links', init), status, code);
        expect(await allLinks(shortener)).toEqual(before);
      });

      const patches: [string, Call, number, string][] = [
        ['an empty object', { body: {} }, 400, 'invalid_body'],
        ['a javascript: URL', { body: { url: 'javascript:alert(1)' } }, 400, 'invalid_url'],
        ['disabled as a string', { body: { disabled: 'yes' } }, 400, 'invalid_body'],
        ['maxClicks -1', { body: { maxClicks: -1 } }, 400, 'invalid_body'],
        ['an unknown field', { body: { code: 'renamed' } }, 400, 'invalid_body'],
      ];

      it.each(patches)('PATCH with %s', async (_label, init, status, code) => {
        await create({ url: 'https://example.com/existing', code: 'existing' });
        const before = await allLinks(shortener);
        await readError(await call('PATCH', '/api/links/existing', init), status, code);
        expect(await allLinks(shortener)).toEqual(before);
      });

      // A body is refused with the same status, code and message by every adapter, whatever
      // its framework's own body handling would answer. The content type is checked before
      // the size, so a large body of the wrong type is refused for its type.
      const json = (raw: string, contentType: string): Call => ({
        raw,
        headers: { 'content-type': contentType },
      });
      const valid = '{"url":"https://example.com/"}';
      const overLimit = JSON.stringify({ url: `https://example.com/${'x'.repeat(17_000)}` });
      const notJson = bodyError('not_json').message;
      const malformed = bodyError('malformed').message;
      const notUtf8 = bodyError('not_utf8').message;
      const tooLarge = bodyError('too_large').message;
      const bodies: [string, 'POST' | 'PATCH', Call, ErrorCode, string][] = [
        ['no body at all', 'POST', {}, 'invalid_body', notJson],
        ['a text/plain body', 'POST', json(valid, 'text/plain'), 'invalid_body', notJson],
        [
          'a form-encoded body',
          'POST',
          json('url=https%3A%2F%2Fexample.com', 'application/x-www-form-urlencoded'),
          'invalid_body',
          notJson,
        ],
        [
          'a vendor JSON type',
          'POST',
          json(valid, 'application/vnd.api+json'),
          'invalid_body',
          notJson,
        ],
        ['a 17 KB text/plain body', 'POST', json(overLimit, 'text/plain'), 'invalid_body', notJson],
        [
          'JSON in latin1',
          'POST',
          json(valid, 'application/json; charset=latin1'),
          'invalid_body',
          notUtf8,
        ],
        [
          'JSON in UTF-16',
          'POST',
          json(valid, 'application/json; charset=utf-16le'),
          'invalid_body',
          notUtf8,
        ],
        [
          'a 17 KB body in latin1',
          'POST',
          json(overLimit, 'application/json; charset=latin1'),
          'invalid_body',
          notUtf8,
        ],
        [
          'a compressed body',
          'POST',
          { raw: valid, headers: { 'content-encoding': 'gzip' } },
          'invalid_body',
          bodyError('encoded').message,
        ],
        ['an empty body sent as JSON', 'POST', { raw: '' }, 'invalid_body', malformed],
        ['blanks sent as JSON', 'POST', { raw: '  ' }, 'invalid_body', malformed],
        [
          'a body that is not JSON',
          'POST',
          { raw: 'url=https://example.com' },
          'invalid_body',
          malformed,
        ],
        [
          'truncated JSON',
          'POST',
          { raw: '{"url": "https://example.com"' },
          'invalid_body',
          malformed,
        ],
        ['JSON null', 'POST', { raw: 'null' }, 'invalid_body', notJson],
        ['a JSON string', 'POST', { body: 'https://example.com' }, 'invalid_body', notJson],
        [
          'a JSON array',
          'POST',
          { body: [{ url: 'https://example.com' }] },
          'invalid_body',
          notJson,
        ],
        [
          'a __proto__ field',
          'POST',
          { raw: '{"url":"https://example.com","__proto__":{"x":1}}' },
          'invalid_body',
          'body has an unknown field "__proto__"',
        ],
        [
          'a constructor field',
          'POST',
          { raw: '{"url":"https://example.com","constructor":{"prototype":{"x":1}}}' },
          'invalid_body',
          'body has an unknown field "constructor"',
        ],
        ['a 17 KB body', 'POST', { raw: overLimit }, 'payload_too_large', tooLarge],
        [
          'a 17 KB body sent chunked',
          'POST',
          { raw: overLimit, headers: { 'transfer-encoding': 'chunked' } },
          'payload_too_large',
          tooLarge,
        ],
        [
          'a 100 KB body',
          'POST',
          { body: { url: `https://example.com/${'x'.repeat(100_000)}` } },
          'payload_too_large',
          tooLarge,
        ],
        ['a body that is not JSON', 'PATCH', { raw: 'disabled' }, 'invalid_body', malformed],
        ['an empty body sent as JSON', 'PATCH', { raw: '' }, 'invalid_body', malformed],
        ['JSON null', 'PATCH', { raw: 'null' }, 'invalid_body', notJson],
        [
          'JSON in latin1',
          'PATCH',
          json('{"disabled":true}', 'application/json; charset=latin1'),
          'invalid_body',
          notUtf8,
        ],
        ['a 17 KB body', 'PATCH', { raw: overLimit }, 'payload_too_large', tooLarge],
      ];

      it.each(bodies)('%s with %s', async (label, method, init, code, message) => {
        await create({ url: 'https://example.com/existing', code: 'existing' });
        const before = await allLinks(shortener);
        const path = method === 'POST' ? '/api/links' : '/api/links/existing';
        const response = await call(method, path, init);
        expect(await readError(response, errorStatus(code), code), label).toBe(message);
        expect(await allLinks(shortener)).toEqual(before);
      });

      const badCodes: [string, string][] = [
        ['an unknown code', 'nothing-here'],
        ['an over-long code', 'b'.repeat(65)],
        ['a code with /', 'a%2Fb'],
        ['a code ..', '..'],
        ['a code %2E%2E', '%2E%2E'],
        ['a unicode code', 'caf%C3%A9'],
        ['a code with a space', 'a%20b'],
      ];

      it.each(badCodes)('every route answers 404 not_found for %s', async (_label, code) => {
        await create({ url: 'https://example.com/existing', code: 'existing' });
        const before = await allLinks(shortener);
        await readError(await call('GET', `/${code}`), 404, 'not_found');
        const head = await call('HEAD', `/${code}`);
        expect(head.status).toBe(404);
        await readError(await call('GET', `/api/links/${code}`), 404, 'not_found');
        await readError(await call('GET', `/api/links/${code}/stats`), 404, 'not_found');
        await readError(
          await call('PATCH', `/api/links/${code}`, { body: { disabled: true } }),
          404,
          'not_found',
        );
        await readError(await call('DELETE', `/api/links/${code}`), 404, 'not_found');
        expect(await allLinks(shortener)).toEqual(before);
      });

      it('malformed codes never reach the store', async () => {
        const get = vi.spyOn(shortener.store, 'get');
        for (const code of ['..', '%2E%2E', 'a%2Fb', 'caf%C3%A9', 'c'.repeat(65)]) {
          await readError(await call('GET', `/${code}`), 404, 'not_found');
        }
        expect(get).not.toHaveBeenCalled();
      });
    });

    describe('GET /api/links/:code', () => {
      it('answers 200 with the link as created', async () => {
        const created = await create({ url: 'https://example.com/read', tags: ['a'] });
        const response = await call('GET', `/api/links/${created.code}`);
        expect(response.status).toBe(200);
        expect(await response.json()).toEqual(created);
      });
    });

    describe('GET /api/links', () => {
      it('pages through every link in code order, each as GET /api/links/:code shows it', async () => {
        const created: LinkJson[] = [];
        for (const code of ['list-c', 'list-a', 'list-e', 'list-b', 'list-d']) {
          created.push(await create({ url: `https://example.com/${code}`, code }));
        }
        const pages: LinkPageJson[] = [];
        let cursor: string | null = '';
        while (cursor !== null) {
          const query: string = cursor === '' ? '?limit=2' : `?limit=2&cursor=${cursor}`;
          const response = await call('GET', `/api/links${query}`);
          expect(response.status).toBe(200);
          const page = (await response.json()) as LinkPageJson;
          pages.push(page);
          cursor = page.nextCursor;
        }
        expect(pages.map((page) => page.links.length)).toEqual([2, 2, 1]);
        const byCode = [...created].sort((a, b) => (a.code < b.code ? -1 : 1));
        expect(pages.flatMap((page) => page.links)).toEqual(byCode);
      });

      it('answers an empty last page without links, and 100 links by default', async () => {
        const empty = await call('GET', '/api/links');
        expect(await empty.json()).toEqual({ links: [], nextCursor: null });
        for (let i = 0; i < 101; i++) await shortener.shorten({ url: `https://example.com/${i}` });
        const first = (await (await call('GET', '/api/links')).json()) as LinkPageJson;
        expect(first.links).toHaveLength(100);
        expect(first.nextCursor).toBe(first.links[99]!.code);
      });

      it('answers 400 invalid_query for a bad limit or cursor', async () => {
        for (const query of ['?limit=0', '?limit=ten', '?limit=1001', '?limit=1.5', '?cursor=']) {
          await readError(await call('GET', `/api/links${query}`), 400, 'invalid_query');
        }
        await readError(
          await call('GET', `/api/links?cursor=${'c'.repeat(257)}`),
          400,
          'invalid_query',
        );
      });
    });

    describe('PATCH /api/links/:code', () => {
      it('changes the target, and the redirect follows at once despite the cache', async () => {
        const link = await create({ url: 'https://example.com/old' });
        await expectRedirect(`/${link.code}`, 302, 'https://example.com/old');
        const response = await call('PATCH', `/api/links/${link.code}`, {
          body: { url: 'https://example.com/new', maxClicks: 100, tags: ['moved'] },
        });
        expect(response.status).toBe(200);
        expect(await response.json()).toMatchObject({
          code: link.code,
          url: 'https://example.com/new',
          maxClicks: 100,
          tags: ['moved'],
          createdAt: link.createdAt,
        });
        await expectRedirect(`/${link.code}`, 302, 'https://example.com/new');
      });

      it('disables and re-enables a link, and null clears a limit', async () => {
        const link = await create({ url: 'https://example.com/', maxClicks: 5 });
        await call('PATCH', `/api/links/${link.code}`, { body: { disabled: true } });
        await readError(await call('GET', `/${link.code}`), 410, 'gone');
        const response = await call('PATCH', `/api/links/${link.code}`, {
          body: { disabled: false, maxClicks: null },
        });
        expect(await response.json()).toMatchObject({ disabled: false, maxClicks: null });
        await expectRedirect(`/${link.code}`, 302, 'https://example.com/');
      });
    });

    describe('DELETE /api/links/:code', () => {
      it('answers 204, then the link is gone from the API and the redirect', async () => {
        const link = await create({ url: 'https://example.com/' });
        await expectRedirect(`/${link.code}`, 302, 'https://example.com/');
        const response = await call('DELETE', `/api/links/${link.code}`);
        expect(response.status).toBe(204);
        expect(await response.text()).toBe('');
        await readError(await call('GET', `/api/links/${link.code}`), 404, 'not_found');
        await readError(await call('GET', `/${link.code}`), 404, 'not_found');
        await readError(await call('DELETE', `/api/links/${link.code}`), 404, 'not_found');
        expect(await allLinks(shortener)).toEqual([]);
      });

      it('ignores an empty body sent with a JSON content type', async () => {
        const link = await create({ url: 'https://example.com/' });
        const response = await call('DELETE', `/api/links/${link.code}`, {
          raw: '',
          headers: { 'content-type': 'application/json' },
        });
        expect(response.status).toBe(204);
      });
    });

    describe('GET and HEAD /:code', () => {
      it('redirects with the default 302, Location and a 90-second private cache', async () => {
        const link = await create({ url: 'https://example.com/target' });
        const response = await expectRedirect(`/${link.code}`, 302, 'https://example.com/target');
        expect(response.headers.get('cache-control')).toBe('private, max-age=90');
        const head = await expectRedirect(
          `/${link.code}`,
          302,
          'https://example.com/target',
          'HEAD',
        );
        expect(head.headers.get('cache-control')).toBe('private, max-age=90');
      });

      it('uses the link redirect status; permanent ones are not cacheable', async () => {
        const expected: [number, string][] = [
          [301, 'no-store'],
          [307, 'private, max-age=90'],
          [308, 'no-store'],
        ];
        for (const [status, cacheControl] of expected) {
          const link = await create({ url: 'https://example.com/', redirectStatus: status });
          const response = await expectRedirect(`/${link.code}`, status, 'https://example.com/');
          expect(response.headers.get('cache-control')).toBe(cacheControl);
        }
      });

      it('a code that was missing redirects once it is created', async () => {
        await readError(await call('GET', '/later'), 404, 'not_found');
        await create({ url: 'https://example.com/later', code: 'later' });
        await expectRedirect('/later', 302, 'https://example.com/later');
      });

      it('answers 410 gone once the link has expired', async () => {
        const expiresAt = new Date(Date.now() + 1_500).toISOString();
        const link = await create({ url: 'https://example.com/', expiresAt });
        await expectRedirect(`/${link.code}`, 302, 'https://example.com/');
        await sleep(Date.parse(expiresAt) - Date.now() + 50);
        await readError(await call('GET', `/${link.code}`), 410, 'gone');
        const head = await call('HEAD', `/${link.code}`);
        expect(head.status).toBe(410);
      });

      it('redirects exactly maxClicks times, then 410 gone; HEAD does not count', async () => {
        const link = await create({ url: 'https://example.com/', maxClicks: 3 });
        await expectRedirect(`/${link.code}`, 302, 'https://example.com/', 'HEAD');
        await expectRedirect(`/${link.code}`, 302, 'https://example.com/', 'HEAD');
        for (let i = 0; i < 3; i++)
          await expectRedirect(`/${link.code}`, 302, 'https://example.com/');
        await readError(await call('GET', `/${link.code}`), 410, 'gone');
        expect((await call('HEAD', `/${link.code}`)).status).toBe(410);
        expect((await shortener.get(link.code)).clicksUsed).toBe(3);
      });

      it('answers 503 unavailable when the store fails and nothing is cached', async () => {
        vi.spyOn(shortener.store, 'get').mockRejectedValue(new Error('store down'));
        await readError(await call('GET', '/uncached'), 503, 'unavailable');
      });
    });

    describe('GET /api/links/:code/stats', () => {
      it('counts redirects: totals, unique visitors, series, top lists, HEAD as a bot', async () => {
        const link = await create({ url: 'https://example.com/' });
        for (let i = 0; i < 5; i++) {
          await call('GET', `/${link.code}?utm_source=news`, {
            headers: {
              referer: 'https://news.example.org/story',
              'x-forwarded-for': `10.0.0.${i}`,
            },
          });
        }
        await call('HEAD', `/${link.code}`);
        const stats = await waitForStats(link.code, (s) => s.total === 5 && s.bots === 1);
        expect(stats).toMatchObject({ code: link.code, total: 5, bots: 1, unique: 1 });
        expect(stats.series.reduce((sum, point) => sum + point.clicks, 0)).toBe(5);
        expect(stats.top.referrers).toEqual([{ value: 'news.example.org', clicks: 5 }]);
        expect(stats.top.browsers[0]).toEqual({ value: 'Chrome', clicks: 5 });

        const hourly = await statsOf(
          link.code,
          `?interval=hour&top=1&from=${new Date(Date.now() - 3 * 3_600_000).toISOString()}`,
        );
        expect(hourly.series.length).toBeGreaterThanOrEqual(3);
        expect(hourly.series.length).toBeLessThanOrEqual(5);
        expect(hourly.total).toBe(5);
      });

      it('answers 400 invalid_query for a bad range, interval or top', async () => {
        const link = await create({ url: 'https://example.com/' });
        const queries = [
          '?interval=week',
          '?top=0',
          '?top=many',
          '?top=1000',
          '?from=yesterday',
          '?from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z',
          '?top=1&top=2',
        ];
        for (const query of queries) {
          await readError(
            await call('GET', `/api/links/${link.code}/stats${query}`),
            400,
            'invalid_query',
          );
        }
      });
    });

    describe('API keys', () => {
      it('with a key set, management routes answer 401 without it and work with it', async () => {
        const keyed = await startWith({ apiKey: API_KEY });
        const link = await create({ url: 'https://example.com/' });
        const routes: [string, string, Call][] = [
          ['POST', '/api/links', { body: { url: 'https://example.com/other' } }],
          ['GET', `/api/links/${link.code}`, {}],
          ['GET', '/api/links', {}],
          ['PATCH', `/api/links/${link.code}`, { body: { disabled: true } }],
          ['DELETE', `/api/links/${link.code}`, {}],
          ['GET', `/api/links/${link.code}/stats`, {}],
          ['POST', '/api/links', { raw: 'not json' }],
        ];
        const before = await allLinks(shortener);
        for (const [method, path, init] of routes) {
          const response = await call(method, path, init, keyed);
          await readError(response, 401, 'unauthorized');
          expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
          const wrong = { ...init, headers: { authorization: `Bearer ${API_KEY}x` } };
          await readError(await call(method, path, wrong, keyed), 401, 'unauthorized');
        }
        expect(await allLinks(shortener)).toEqual(before);

        const bearer = { authorization: `Bearer ${API_KEY}` };
        const created = await call(
          'POST',
          '/api/links',
          { body: { url: 'https://example.com/k' }, headers: bearer },
          keyed,
        );
        expect(created.status).toBe(201);
        const byHeader = await call(
          'GET',
          `/api/links/${link.code}`,
          { headers: { 'x-api-key': API_KEY } },
          keyed,
        );
        expect(byHeader.status).toBe(200);
        const redirect = await call('GET', `/${link.code}`, {}, keyed);
        expect(redirect.status).toBe(302);
      });

      it('without a key, management routes are open', async () => {
        const response = await call('POST', '/api/links', {
          body: { url: 'https://example.com/' },
        });
        expect(response.status).toBe(201);
      });
    });

    describe('prefix', () => {
      it('serves every route under the prefix and puts it in the short URL', async () => {
        const prefixed = await startWith({ prefix: '/go' });
        const response = await call(
          'POST',
          '/go/api/links',
          { body: { url: 'https://example.com/p' } },
          prefixed,
        );
        expect(response.status).toBe(201);
        const link = (await response.json()) as LinkJson;
        expect(link.shortUrl).toBe(`${prefixed.url}/go/${link.code}`);
        const redirect = await call('GET', `/go/${link.code}`, {}, prefixed);
        expect(redirect.status).toBe(302);
        expect(redirect.headers.get('location')).toBe('https://example.com/p');
        expect((await call('GET', `/${link.code}`, {}, prefixed)).status).toBe(404);
      });
    });

    describe('options', () => {
      it('a custom authorize hook replaces the API-key check', async () => {
        const guarded = await startWith({
          apiKey: API_KEY,
          authorize: (request) => request.headers['x-role'] === 'admin',
        });
        const body = { url: 'https://example.com/' };
        const withKey = { body, headers: { authorization: `Bearer ${API_KEY}` } };
        await readError(await call('POST', '/api/links', withKey, guarded), 401, 'unauthorized');
        const asAdmin = { body, headers: { 'x-role': 'admin' } };
        expect((await call('POST', '/api/links', asAdmin, guarded)).status).toBe(201);
      });

      it('bodyLimit sets the largest accepted body', async () => {
        const small = await startWith({ bodyLimit: 1024 });
        const long = { url: `https://example.com/${'x'.repeat(2_000)}` };
        await readError(
          await call('POST', '/api/links', { body: long }, small),
          413,
          'payload_too_large',
        );
        expect((await call('POST', '/api/links', { body: long })).status).toBe(201);
      });

      it('baseUrl makes the short URL', async () => {
        const public_ = await startWith({ baseUrl: 'https://sho.rt/' });
        const response = await call(
          'POST',
          '/api/links',
          { body: { url: 'https://example.com/' } },
          public_,
        );
        const link = (await response.json()) as LinkJson;
        expect(link.shortUrl).toBe(`https://sho.rt/${link.code}`);
      });

      it('redirects: false and management: false leave those routes out', async () => {
        const link = await create({ url: 'https://example.com/' });
        const apiOnly = await startWith({ redirects: false });
        expect((await call('GET', `/${link.code}`, {}, apiOnly)).status).toBe(404);
        expect((await call('GET', `/api/links/${link.code}`, {}, apiOnly)).status).toBe(200);
        const redirectOnly = await startWith({ management: false });
        expect((await call('GET', `/api/links/${link.code}`, {}, redirectOnly)).status).toBe(404);
        expect((await call('GET', `/${link.code}`, {}, redirectOnly)).status).toBe(302);
        const before = await allLinks(shortener);
        const created = await call(
          'POST',
          '/api/links',
          { body: { url: 'https://example.com/x' } },
          redirectOnly,
        );
        expect(created.status).toBe(404);
        expect(await allLinks(shortener)).toEqual(before);
      });

      it('records each redirect with the request fields; X-Forwarded-For only from trusted proxies', async () => {
        const link = await create({ url: 'https://example.com/' });
        const recordClick = vi.spyOn(shortener, 'recordClick');
        const headers = { referer: 'https://ref.example/', 'x-forwarded-for': '203.0.113.7' };
        await call('GET', `/${link.code}?utm_source=mail&x=1`, { headers });
        const trusting = await startWith({ trustProxy: ['127.0.0.1/32', '::1'] });
        await call('HEAD', `/${link.code}`, { headers }, trusting);
        const spoofed = { ...headers, 'x-forwarded-for': '198.51.100.1, 203.0.113.7' };
        const hops = await startWith({ trustProxy: 1 });
        await call('GET', `/${link.code}`, { headers: spoofed }, hops);
        expect(recordClick.mock.calls.map(([input]) => input)).toEqual([
          {
            code: link.code,
            ip: expect.stringMatching(/^(127\.0\.0\.1|::1)$/),
            userAgent: BROWSER,
            referer: 'https://ref.example/',
            method: 'GET',
            query: 'utm_source=mail&x=1',
          },
          {
            code: link.code,
            ip: '203.0.113.7',
            userAgent: BROWSER,
            referer: 'https://ref.example/',
            method: 'HEAD',
            query: undefined,
          },
          {
            code: link.code,
            ip: '203.0.113.7',
            userAgent: BROWSER,
            referer: 'https://ref.example/',
            method: 'GET',
            query: undefined,
          },
        ]);
      });

      it('takes the public protocol and host from trusted proxies only', async () => {
        const headers = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'sho.rt' };
        const body = { url: 'https://example.com/' };
        const direct = (await (
          await call('POST', '/api/links', { body, headers })
        ).json()) as LinkJson;
        expect(direct.shortUrl).toBe(`${server.url}/${direct.code}`);
        const proxied = await startWith({ trustProxy: true });
        const response = await call('POST', '/api/links', { body, headers }, proxied);
        const link = (await response.json()) as LinkJson;
        expect(link.shortUrl).toBe(`https://sho.rt/${link.code}`);
      });
    });
  });
}

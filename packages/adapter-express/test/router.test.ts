import type { AddressInfo } from 'node:net';
import { createShortener, LinkPulseError, type ShortenerHandle } from '@linkpulse/core';
import { bodyError, type LinkJson } from '@linkpulse/core/http';
import { linkpulseRedirect, linkpulseRouter } from '@linkpulse/express';
import express, { type ErrorRequestHandler, type Express } from 'express';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

async function listen(app: Express) {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const json = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

describe('@linkpulse/express', () => {
  let shortener: ShortenerHandle;
  let app: Express;
  let close = async () => {};

  beforeEach(async () => {
    shortener = await createShortener();
    app = express();
  });

  afterEach(async () => {
    await close();
    await shortener.close();
  });

  async function start() {
    const server = await listen(app);
    close = server.close;
    return server.url;
  }

  it('works mounted under a path and puts the mount path in the short URL', async () => {
    app.use('/links', linkpulseRouter(shortener, { prefix: '/go' }));
    const url = await start();
    const response = await fetch(
      `${url}/links/go/api/links`,
      json({ url: 'https://example.com/' }),
    );
    const link = (await response.json()) as LinkJson;
    expect(link.shortUrl).toBe(`${url}/links/go/${link.code}`);
    expect(response.headers.get('location')).toBe(`/links/go/api/links/${link.code}`);
    const redirect = await fetch(`${url}/links/go/${link.code}`, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
  });

  it('linkpulseRedirect serves only the redirect', async () => {
    const link = await shortener.shorten({ url: 'https://example.com/only' });
    app.use(linkpulseRedirect(shortener));
    const url = await start();
    const redirect = await fetch(`${url}/${link.code}`, { redirect: 'manual' });
    expect(redirect.headers.get('location')).toBe('https://example.com/only');
    const create = await fetch(`${url}/api/links`, json({ url: 'https://example.com/' }));
    expect(create.status).toBe(404);
    expect((await shortener.list()).links).toHaveLength(1);
  });

  it("hands errors it does not own (a failing store) to the app's error handler", async () => {
    vi.spyOn(shortener.store, 'create').mockRejectedValue(new Error('disk full'));
    app.use(linkpulseRouter(shortener));
    const onError: ErrorRequestHandler = (error, _req, res, _next) => {
      res.status(500).json({ failed: (error as Error).message });
    };
    app.use(onError);
    const url = await start();
    const response = await fetch(`${url}/api/links`, json({ url: 'https://example.com/' }));
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ failed: 'disk full' });
  });

  it("leaves the app's own routes and body parsing alone", async () => {
    app.use(linkpulseRouter(shortener));
    app.post('/echo', express.text(), (req, res) => {
      res.send(`echo:${req.body}`);
    });
    const url = await start();
    const echo = await fetch(`${url}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'hello',
    });
    expect(await echo.text()).toBe('echo:hello');
  });

  describe("behind the app's own body parser", () => {
    it('takes the JSON body the app parsed', async () => {
      app.use(express.json());
      app.use(linkpulseRouter(shortener));
      const url = await start();
      const response = await fetch(`${url}/api/links`, json({ url: 'https://example.com/' }));
      expect(response.status).toBe(201);
    });

    it('still refuses a body that is not JSON (express.urlencoded)', async () => {
      app.use(express.urlencoded());
      app.use(linkpulseRouter(shortener));
      const url = await start();
      const response = await fetch(`${url}/api/links`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'url=https%3A%2F%2Fexample.com',
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        error: { code: 'invalid_body', message: bodyError('not_json').message },
      });
      expect((await shortener.list()).links).toEqual([]);
    });

    it("still refuses a body over the router's 16 KiB limit by Content-Length (express.json)", async () => {
      app.use(express.json());
      app.use(linkpulseRouter(shortener));
      const url = await start();
      const padded = `{"url":"https://example.com/"${' '.repeat(40_000)}}`;
      const response = await fetch(`${url}/api/links`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: padded,
      });
      expect(response.status).toBe(413);
      expect(await response.json()).toEqual({
        error: { code: 'payload_too_large', message: bodyError('too_large').message },
      });
      expect((await shortener.list()).links).toEqual([]);
    });
  });

  it('answers a LinkPulseError of another copy of @linkpulse/core (CJS next to ESM) as JSON', async () => {
    // A second instance of the core's error module, as a CommonJS build loaded next to the
    // ES module build has: its LinkPulseError is another class.
    const path = '../../core/src/errors.js?copy';
    const other = (await import(/* @vite-ignore */ path)) as typeof import('@linkpulse/core');
    const foreign = new other.LinkPulseError('invalid_url', 'url must be an http(s) URL');
    expect(other.LinkPulseError).not.toBe(LinkPulseError);
    vi.spyOn(shortener, 'shorten').mockRejectedValue(foreign);
    app.use(linkpulseRouter(shortener));
    const url = await start();
    const response = await fetch(`${url}/api/links`, json({ url: 'javascript:alert(1)' }));
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: { code: 'invalid_url', message: 'url must be an http(s) URL' },
    });
  });

  it('refuses bad options at once', () => {
    expect(() => linkpulseRouter(shortener, { trustProxy: ['not-an-ip'] })).toThrow(/trustProxy/);
    expect(() => linkpulseRouter(shortener, { baseUrl: 'ftp://x' })).toThrow(/baseUrl/);
    expect(() => linkpulseRouter(shortener, { apiKey: '' })).toThrow(/apiKey/);
  });
});

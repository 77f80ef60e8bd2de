import type { AddressInfo } from 'node:net';
import { createShortener, type ShortenerHandle } from '@linkpulse/core';
import type { LinkJson } from '@linkpulse/core/http';
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

  it('refuses bad options at once', () => {
    expect(() => linkpulseRouter(shortener, { trustProxy: ['not-an-ip'] })).toThrow(/trustProxy/);
    expect(() => linkpulseRouter(shortener, { baseUrl: 'ftp://x' })).toThrow(/baseUrl/);
    expect(() => linkpulseRouter(shortener, { apiKey: '' })).toThrow(/apiKey/);
  });
});
